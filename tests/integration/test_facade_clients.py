"""Published client libraries, unmodified, against a real Atelier (web server
and worker processes, tiny model, embedded broker): webuiapi for the
AUTOMATIC1111 API and openai for the OpenAI Images API. Their images land in
the caller's gallery."""

import base64
import io
import os
import random

import httpx2
import openai
import pytest
import webuiapi
from PIL import Image as PILImage
from PIL import ImageDraw

from tests.stack import Stack, api_client

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(tiny_model_path, django_db_blocker):
    database = "postgres" if "postgres" in os.environ.get("DATABASE_URL", "") else "sqlite"
    with django_db_blocker.unblock():
        running = Stack(database=database, broker="sqlite", tiny_model=tiny_model_path)
    try:
        running.start()
        yield running
    finally:
        running.stop()


def token_of(http) -> str:
    return http.headers["Authorization"].removeprefix("Token ")


def gallery_size(stack, username) -> int:
    return stack.shell(
        "import json; from gallery.models import Image; "
        f"print(json.dumps(Image.objects.filter(owner__username={username!r}).count()))"
    )


def test_webuiapi_generates_with_basic_auth_and_lists_models(stack):
    http = api_client(stack, "ada")
    a1111 = webuiapi.WebUIApi(host="127.0.0.1", port=stack.port)
    a1111.set_auth("ada", token_of(http))

    assert "tiny" in [model["model_name"] for model in a1111.get_sd_models()]
    assert "Euler a" in [sampler["name"] for sampler in a1111.get_samplers()]

    result = a1111.txt2img(
        prompt="a lighthouse at dawn",
        negative_prompt="blurry",
        steps=2,
        width=64,
        height=64,
        cfg_scale=7,
        sampler_name="Euler a",
        seed=1234,
        batch_size=2,
    )

    assert [image.size for image in result.images] == [(64, 64), (64, 64)]
    assert result.info["all_seeds"] == [1234, 1235]
    assert result.info["sd_model_name"] == "tiny"
    assert "Seed: 1234" in result.info["infotexts"][0]
    assert a1111.get_progress()["state"]["job_count"] == 0
    assert gallery_size(stack, "ada") == 2

    refused = webuiapi.WebUIApi(host="127.0.0.1", port=stack.port)
    refused.set_auth("ada", "not-the-token")
    with pytest.raises(RuntimeError, match="401"):
        refused.txt2img(prompt="no", steps=1, width=64, height=64)


def test_webuiapi_inpaints_inside_the_mask_only(stack):
    http = api_client(stack, "lin")
    a1111 = webuiapi.WebUIApi(host="127.0.0.1", port=stack.port)
    a1111.set_auth("lin", token_of(http))
    start = PILImage.frombytes("RGB", (64, 64), random.Random(3).randbytes(64 * 64 * 3))
    mask = PILImage.new("L", (64, 64), 0)
    mask.paste(255, (16, 16, 48, 48))  # white: repaint

    result = a1111.img2img(
        images=[start],
        mask_image=mask,
        inpainting_fill=1,
        denoising_strength=0.9,
        mask_blur=0,
        prompt="a lighthouse at dawn",
        steps=2,
        width=64,
        height=64,
        seed=42,
    )

    [picture] = result.images
    picture = picture.convert("RGB")
    assert picture.size == (64, 64)
    inside = {(x, y) for x in range(16, 48) for y in range(16, 48)}
    outside = [(x, y) for x in range(64) for y in range(64) if (x, y) not in inside]
    assert all(picture.getpixel(point) == start.getpixel(point) for point in outside)
    assert any(picture.getpixel(point) != start.getpixel(point) for point in inside)
    assert result.info["denoising_strength"] == 0.9 and result.info["all_seeds"] == [42]
    assert "Masked content: original" in result.info["infotexts"][0]
    assert gallery_size(stack, "lin") == 2  # the starting image (private) and the result


def test_webuiapi_reads_the_recipe_of_a_picture(stack):
    http = api_client(stack, "kay")
    a1111 = webuiapi.WebUIApi(host="127.0.0.1", port=stack.port)
    a1111.set_auth("kay", token_of(http))
    [made] = a1111.txt2img(prompt="a red fox", steps=1, width=64, height=64, seed=77).images

    found = a1111.png_info(made)

    assert found.info.startswith("a red fox\n") and "Seed: 77" in found.info
    assert found.parameters["Prompt"] == "a red fox" and found.parameters["Seed"] == "77"
    assert found.parameters["Size-1"] == "64"
    assert a1111.png_info(PILImage.new("RGB", (8, 8), "white")).info == ""


def test_the_openai_client_generates_with_a_bearer_token(stack):
    http = api_client(stack, "grace")
    client = openai.OpenAI(base_url=stack.url + "/v1", api_key=token_of(http), max_retries=0)

    assert "tiny" in [model.id for model in client.models.list()]
    answer = client.images.generate(
        model="tiny", prompt="a red fox", size="64x64", response_format="b64_json", n=1
    )

    [item] = answer.data
    assert item.revised_prompt == "a red fox"
    picture = PILImage.open(io.BytesIO(base64.b64decode(item.b64_json)))
    assert picture.format == "PNG" and picture.size == (64, 64)
    assert gallery_size(stack, "grace") == 1

    # A link opens the (private) image without a session, as OpenAI's URLs do.
    [linked] = client.images.generate(
        model="tiny", prompt="a red fox", size="64x64", response_format="url"
    ).data
    fetched = httpx2.get(linked.url)
    assert fetched.status_code == 200
    assert PILImage.open(io.BytesIO(fetched.content)).size == (64, 64)

    with pytest.raises(openai.NotFoundError) as missing:
        client.images.generate(model="dall-e-3", prompt="a red fox")
    assert missing.value.code == "model_not_found"
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=stack.url + "/v1", api_key="wrong", max_retries=0).models.list()


def png(image) -> tuple[str, bytes, str]:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return ("picture.png", buffer.getvalue(), "image/png")


def test_the_openai_client_edits_inside_the_mask_only(stack):
    http = api_client(stack, "hedy")
    client = openai.OpenAI(base_url=stack.url + "/v1", api_key=token_of(http), max_retries=0)
    source = PILImage.new("RGB", (64, 64), (200, 80, 40))
    ImageDraw.Draw(source).line((0, 0, 63, 63), fill=(20, 160, 220), width=3)
    mask = PILImage.new("RGBA", (64, 64), (0, 0, 0, 255))  # opaque: kept
    ImageDraw.Draw(mask).rectangle((8, 24, 55, 39), fill=(0, 0, 0, 0))  # transparent: edited

    answer = client.images.edit(
        image=png(source), mask=png(mask), prompt="a boat", model="tiny", response_format="b64_json"
    )

    [item] = answer.data
    assert item.revised_prompt == "a boat"
    after = PILImage.open(io.BytesIO(base64.b64decode(item.b64_json))).convert("RGB")
    assert after.size == (64, 64)
    kept = [(x, y) for x in range(64) for y in range(64) if not 24 <= y <= 39]
    assert all(after.getpixel(xy) == source.getpixel(xy) for xy in kept)
    assert any(after.getpixel((x, 32)) != source.getpixel((x, 32)) for x in range(8, 56))
    assert gallery_size(stack, "hedy") == 2  # the picture (private) and the edit

    with pytest.raises(openai.BadRequestError) as refused:
        client.images.edit(image=png(source), mask=png(source), prompt="a boat", model="tiny")
    assert refused.value.param == "mask" and "alpha" in refused.value.message


@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")  # the SDK's, for OpenAI's own
def test_the_openai_client_makes_variations(stack):
    http = api_client(stack, "alan")
    client = openai.OpenAI(base_url=stack.url + "/v1", api_key=token_of(http), max_retries=0)
    source = PILImage.new("RGB", (64, 64), (40, 120, 60))

    answer = client.images.create_variation(
        image=png(source), model="tiny", n=2, response_format="b64_json"
    )

    pictures = [PILImage.open(io.BytesIO(base64.b64decode(item.b64_json))) for item in answer.data]
    assert [picture.size for picture in pictures] == [(64, 64), (64, 64)]
    assert pictures[0].tobytes() != pictures[1].tobytes()  # each from a seed of its own
