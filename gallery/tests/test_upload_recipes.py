"""Recipes from other tools, through the real upload paths (the page and the
API): kept with the tool's name, shown on the image page, remixed as far as
this site can, and damaged metadata noted to the uploader, never a 500."""

import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.models import Image
from imaging.png_metadata import read_recipe
from imaging.tests import tool_files as files
from imaging.tests.test_recipes import HOSTILE
from tests.fixtures import api_for

TOOLS = {
    "ComfyUI": files.comfyui_png,
    "InvokeAI": files.invokeai_png,
    "NovelAI": files.novelai_png,
    "Fooocus": files.fooocus_png,
    "SwarmUI": files.swarmui_png,
    "A1111": files.a1111_png,
}


def upload(content: bytes, name="made.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_the_upload_page_keeps_each_tools_recipe_and_names_the_tool(owner_client, tool):
    response = owner_client.post("/upload/", {"file": upload(TOOLS[tool]())})
    assert response.status_code == 302
    image = Image.objects.get()
    assert image.recipe["source"] == tool and image.recipe["prompt"]
    page = owner_client.get(response.url).text
    assert f"Made with {tool}" in page
    with image.file.open("rb") as stored:  # the stored file carries the same recipe
        assert read_recipe(stored.read()) == image.recipe


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_the_api_keeps_each_tools_recipe(owner, tool):
    response = api_for(owner).post(
        "/api/v1/images/", {"file": upload(TOOLS[tool]())}, format="multipart"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["recipe"]["source"] == tool and body["upload"]["notes"] == []


def test_a_comfyui_upload_shows_its_loras_and_remixes_them_as_tags(owner_client):
    response = owner_client.post("/upload/", {"file": upload(files.comfyui_png())})
    page = owner_client.get(response.url).text
    assert "add_detail.safetensors × 0.8" in page and "DPM++ 2M Karras" in page
    href = unescape(re.search(r'href="(/generate/\?[^"]+)"[^>]*>.*Remix', page).group(1))
    query = parse_qs(urlsplit(href).query)
    assert query["prompt"] == [
        "a lighthouse at dusk, oil painting, <lora:add_detail.safetensors:0.8>, "
        "<lora:film_grain.safetensors:0.5>"
    ]
    assert query["sampler"] == ["DPM++ 2M Karras"] and query["seed"] == ["987654321"]
    generate = owner_client.get(href)
    form = generate.context["form"]
    assert form["sampler"].value() == "DPM++ 2M Karras" and form["steps"].value() == "28"
    assert "<lora:film_grain.safetensors:0.5>" in form["prompt"].value()
    # No preset of that name here: the Generate page says so, and keeps its own model.
    assert (
        "Remix could not carry over the model “sd_xl_base_1.0.safetensors” (not available here)"
        in unescape(generate.text)
    )


@pytest.mark.local_engine  # the only engine set up in the tests
def test_a_remix_maps_a_model_by_its_preset_name_and_names_an_unknown_sampler(owner_client):
    from studio.presets import enabled_presets

    preset = enabled_presets()[0]  # one whose engine is set up in the tests
    comment = {**files.NOVELAI_COMMENT, "sampler": "ddim_v3"}
    content = files.png(
        {"Software": "NovelAI", "Source": preset.label, "Comment": json.dumps(comment)}, seed=9
    )
    response = owner_client.post("/upload/", {"file": upload(content)})
    page = owner_client.get(response.url).text
    href = unescape(re.search(r'href="(/generate/\?[^"]+)"[^>]*>.*Remix', page).group(1))
    generate = owner_client.get(href)
    assert "the sampler “ddim_v3”" in unescape(generate.text)
    assert "the model “" not in unescape(generate.text)
    assert generate.context["form"]["model"].value() == preset.key


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_metadata_is_uploaded_with_a_note_on_the_page(owner_client, name):
    response = owner_client.post("/upload/", {"file": upload(files.png(HOSTILE[name]))})
    assert response.status_code in (200, 302)
    image = Image.objects.get()
    if response.status_code == 200:  # the result page, with the note
        assert "recipe" in response.text or "metadata" in response.text
        assert f'href="/images/{image.pk}/"' in response.text
    json.dumps(image.recipe, ensure_ascii=False).encode("utf-8")


def test_a_damaged_comfyui_graph_is_noted_on_the_page_and_in_the_api(owner, owner_client):
    content = files.png(HOSTILE["truncated ComfyUI JSON"])
    response = owner_client.post("/upload/", {"file": upload(content)})
    assert response.status_code == 200
    assert (
        "The ComfyUI recipe in this file could not be read; the image was kept without it."
        in response.text
    )
    assert Image.objects.get().recipe == {}
    response = api_for(owner).post(
        "/api/v1/images/",
        {"file": upload(files.png(HOSTILE["truncated ComfyUI JSON"], seed=7))},
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["upload"]["notes"] == [
        "The ComfyUI recipe in this file could not be read; the image was kept without it."
    ]


def test_loras_and_hashes_from_a_file_are_bounded_and_typed(owner_client):
    hostile = {
        "prompt": "a fox",
        "source": "x" * 500,
        "loras": [{"name": f"l{i}", "weight": 1e9} for i in range(100)]
        + [{"name": 3}, "junk", {"weight": 1}],
        "hashes": {"model": "abc", "bad": {"nested": 1}, "long": "h" * 500},
        "lora_hashes": ["not", "a", "dict"],
    }
    content = files.png({"atelier": json.dumps(hostile)}, itxt=("atelier",))
    owner_client.post("/upload/", {"file": upload(content)})
    recipe = Image.objects.get().recipe
    assert len(recipe["source"]) == 50 and len(recipe["loras"]) == 20
    assert recipe["loras"][0] == {"name": "l0", "weight": 10.0}
    assert recipe["hashes"] == {"model": "abc", "long": "h" * 64}
    assert "lora_hashes" not in recipe
