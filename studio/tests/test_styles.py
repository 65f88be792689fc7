"""Styles: the built-in and a person's own prompt templates, applied on the
Generate page, the API and the A1111 API; the recipe keeps the style's name
and the expanded prompts, and Remix takes the expansion back off."""

import io

import pytest
from PIL import Image as PILImage

from studio.models import GenerationJob, Style
from studio.runner import run_job
from studio.styles import expand, unexpand
from tests.fixtures import api_for

FORM = {
    "prompt": "a lighthouse",
    "negative_prompt": "fog",
    "model": "tiny",
    "width": "64",
    "height": "64",
    "steps": "2",
    "seed": "5",
    "sampler": "Euler a",
    "n": "1",
    "visibility": "public",
}
CINEMATIC = (
    "cinematic film still of a lighthouse, shallow depth of field, dramatic lighting, "
    "anamorphic lens, film grain"
)


@pytest.mark.parametrize(
    "template, text, expanded",
    [
        ("photo of {prompt}, 35mm", "a cat", "photo of a cat, 35mm"),
        ("watercolor", "a cat", "a cat, watercolor"),
        ("watercolor", "", "watercolor"),
        ("", "a cat", "a cat"),
        ("{prompt}", "", ""),
    ],
)
def test_expand_and_unexpand_are_each_others_inverse(template, text, expanded):
    assert expand(template, text) == expanded
    assert unexpand(template, expanded) == text


def test_unexpand_says_when_a_prompt_was_not_made_by_the_template():
    assert unexpand("photo of {prompt}, 35mm", "a cat, 35mm") is None
    assert unexpand("watercolor", "a cat, oil") is None
    assert unexpand("{prompt} and {prompt}", "a and a") is None


@pytest.mark.local_engine
def test_a_built_in_style_is_applied_recorded_and_remixed(owner_client, owner, tiny_settings):
    page = owner_client.get("/generate/")
    assert '<option value="Cinematic">Cinematic</option>' in page.text

    response = owner_client.post("/generate/", {**FORM, "style": "Cinematic"})
    assert response.status_code == 302
    job = GenerationJob.objects.get()
    assert job.request["prompt"] == CINEMATIC
    assert job.request["negative_prompt"] == (
        "fog, cartoon, illustration, drawing, painting, low quality"
    )
    assert job.request["style"] == "Cinematic"

    run_job(str(job.pk))
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    image = job.images.get()
    assert image.recipe["style"] == "Cinematic" and image.recipe["prompt"] == CINEMATIC
    with image.file.open("rb") as f:
        parameters = PILImage.open(io.BytesIO(f.read())).text["parameters"]
    assert parameters.startswith(CINEMATIC) and "Style: Cinematic" in parameters

    detail = owner_client.get(f"/images/{image.pk}/")
    assert '<dd class="recipe-style">Cinematic</dd>' in detail.text
    remix = detail.context["image"].recipe
    from gallery.templatetags.gallery_tags import remix_query

    form = owner_client.get(f"/generate/?{remix_query(remix)}").context["form"]
    assert form.initial["prompt"] == "a lighthouse"
    assert form.initial["negative_prompt"] == "fog"
    assert form.initial["style"] == "Cinematic"


@pytest.mark.local_engine
def test_remix_of_a_style_that_is_gone_keeps_the_whole_prompt(owner_client, tiny_settings):
    query = {"prompt": "x, my look", "style": "Gone style", "model": "tiny"}
    form = owner_client.get("/generate/", query).context["form"]
    assert form.initial["prompt"] == "x, my look"
    assert "style" not in form.initial


@pytest.mark.local_engine
def test_own_styles_are_only_their_owners(owner_client, other_client, owner, tiny_settings):
    Style.objects.create(owner=owner, name="My look", prompt="{prompt}, in teal")
    response = owner_client.post("/generate/", {**FORM, "style": "My look"})
    assert response.status_code == 302
    assert GenerationJob.objects.get().request["prompt"] == "a lighthouse, in teal"

    refused = other_client.post("/generate/", {**FORM, "style": "My look"})
    assert refused.status_code == 200
    assert "There is no style named My look" in refused.text
    assert GenerationJob.objects.count() == 1


@pytest.mark.local_engine
def test_a_style_that_makes_the_prompt_too_long_is_a_form_error(owner_client, owner, tiny_settings):
    Style.objects.create(owner=owner, name="Long", prompt="{prompt} " + "x" * 990)
    response = owner_client.post("/generate/", {**FORM, "style": "Long"})
    assert response.status_code == 200
    assert "With the style Long the prompt is over 1000 characters" in response.text
    assert not GenerationJob.objects.exists()


def test_the_styles_page_saves_edits_and_deletes_ones_own(owner_client, other_client, owner):
    page = owner_client.get("/styles/")
    assert "Cinematic" in page.text and "You have no styles of your own yet" in page.text

    saved = owner_client.post("/styles/", {"name": " Teal  dream ", "prompt": "{prompt}, teal"})
    assert saved.status_code == 302
    style = Style.objects.get()
    assert (style.owner, style.name) == (owner, "Teal dream")

    for name, message in (
        ("teal DREAM", "You already have a style named teal DREAM."),
        ("cinematic", "cinematic is a built-in style: choose another name."),
    ):
        refused = owner_client.post("/styles/", {"name": name, "prompt": "x"})
        assert refused.status_code == 400 and message in refused.text
    nameless = owner_client.post("/styles/", {"name": "   ", "prompt": "x"})
    assert nameless.status_code == 400 and "This field is required." in nameless.text
    assert Style.objects.count() == 1

    assert other_client.get(f"/styles/{style.pk}/").status_code == 404
    assert other_client.post(f"/styles/{style.pk}/delete/").status_code == 404
    edited = owner_client.post(f"/styles/{style.pk}/", {"name": "Teal", "prompt": "teal {prompt}"})
    assert edited.status_code == 302
    style.refresh_from_db()
    assert (style.name, style.prompt) == ("Teal", "teal {prompt}")
    assert owner_client.post(f"/styles/{style.pk}/delete/").status_code == 302
    assert not Style.objects.exists()


def test_save_as_style_starts_from_a_recipe_the_person_may_see(
    owner_client, other_client, owner, make_image
):
    public = make_image(owner, visibility="public", prompt="a zebra, ink")
    private = make_image(owner, visibility="private", prompt="a secret")
    assert "/styles/?from=" in owner_client.get(f"/images/{public.pk}/").text

    form = other_client.get(f"/styles/?from={public.pk}").context["form"]
    assert form.initial["prompt"] == "a zebra, ink"
    for value in (private.pk, "abc", "99999999999999999999999", "-1"):
        form = other_client.get(f"/styles/?from={value}").context["form"]
        assert "prompt" not in form.initial


def test_a_style_with_unstorable_text_is_refused(owner):
    body = '{"name": "Bad\\ud800", "prompt": "x\\u0000"}'
    response = api_for(owner).post("/api/v1/styles/", body, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"name", "prompt"}
    assert not Style.objects.exists()


def test_styles_through_the_api(owner, other):
    api = api_for(owner)
    listed = api.get("/api/v1/styles/").json()
    assert [s["name"] for s in listed[:2]] == ["Cinematic", "Photograph"]
    assert listed[0]["built_in"] and listed[0]["id"] is None

    created = api.post("/api/v1/styles/", {"name": "Mine", "prompt": "{prompt}!"}, format="json")
    assert created.status_code == 201, created.json()
    style_id = created.json()["id"]
    assert api.get("/api/v1/styles/").json()[-1]["name"] == "Mine"

    twice = api.post("/api/v1/styles/", {"name": "MINE", "prompt": "x"}, format="json")
    assert twice.status_code == 400 and "name" in twice.json()
    nested = api.post("/api/v1/styles/", ["not", "an", "object"], format="json")
    assert nested.status_code == 400

    changed = api.patch(f"/api/v1/styles/{style_id}/", {"prompt": "{prompt}?"}, format="json")
    assert changed.status_code == 200 and changed.json()["prompt"] == "{prompt}?"
    assert changed.json()["name"] == "Mine"

    stranger = api_for(other)
    assert stranger.patch(f"/api/v1/styles/{style_id}/", {"name": "x"}).status_code == 404
    assert stranger.delete(f"/api/v1/styles/{style_id}/").status_code == 404
    assert "Mine" not in [s["name"] for s in stranger.get("/api/v1/styles/").json()]
    assert api_for().get("/api/v1/styles/").status_code == 401

    assert api.delete(f"/api/v1/styles/{style_id}/").status_code == 204
    assert not Style.objects.exists()


@pytest.mark.local_engine
def test_a_generation_through_the_api_names_a_style(owner, tiny_settings):
    api = api_for(owner)
    body = {"prompt": "a lighthouse", "model": "tiny", "width": 64, "height": 64}
    accepted = api.post("/api/v1/generations/", {**body, "style": "Cinematic"}, format="json")
    assert accepted.status_code == 202, accepted.json()
    assert GenerationJob.objects.get().request["prompt"] == CINEMATIC
    unknown = api.post("/api/v1/generations/", {**body, "style": "Nope"}, format="json")
    assert unknown.status_code == 400 and "style" in unknown.json()


@pytest.mark.local_engine
def test_the_a1111_api_lists_and_applies_styles(owner, tiny_settings, settings):
    settings.ATELIER_FACADE_TIMEOUT = 0.2  # no worker here: the request stops waiting soon
    Style.objects.create(owner=owner, name="Mine", prompt="{prompt}, mine")
    sdapi = api_for(owner)
    listed = sdapi.get("/sdapi/v1/prompt-styles").json()
    assert {"name": "Mine", "prompt": "{prompt}, mine", "negative_prompt": ""} in listed
    assert sdapi.get("/sdapi/v1/styles").json() == listed

    body = {"prompt": "a lighthouse", "width": 64, "height": 64, "steps": 1}
    two = sdapi.post("/sdapi/v1/txt2img", {**body, "styles": ["Mine", "Anime"]}, format="json")
    assert two.status_code == 422
    assert two.json()["detail"][0]["msg"] == "Atelier applies one style per generation: name one"
    assert not GenerationJob.objects.exists()

    one = sdapi.post("/sdapi/v1/txt2img", {**body, "styles": ["mine", "unknown"]}, format="json")
    assert one.status_code in (200, 504)  # waited for a job no worker here runs
    job = GenerationJob.objects.get()
    assert (job.request["prompt"], job.request["style"]) == ("a lighthouse, mine", "Mine")
