"""Uploading PNG, JPEG and WebP files on the upload page: the owner, a visitor,
good files, refused files, batches, and requests over the size limits."""

import io
import json
import os
import re
import resource
import struct
import zlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image as PILImage
from PIL import PngImagePlugin

from atelier import image_uploads, rate_limits
from gallery import storing
from gallery.models import Image, Topic
from imaging.png_metadata import (
    encode_png,
    encode_user_comment,
    format_parameters,
    read_png_text,
    read_recipe,
    recipe_to_json,
)
from imaging.tests.sample_images import TROUBLESOME_FILES, png_header_claiming
from tests.fixtures import picture, stored_files

RECIPE = {
    "prompt": "a fox in snow",
    "negative_prompt": "blurry",
    "model": "sd15",
    "sampler": "Euler a",
    "steps": 20,
    "cfg_scale": 7.5,
    "seed": 1234,
    "width": 64,
    "height": 48,
    "backend": "a1111",
}

# --- Files to upload (also used by api/tests/test_upload.py) ----------------------------


def image_bytes(fmt="PNG", size=(64, 48), **options) -> bytes:
    buffer = io.BytesIO()
    picture(*size).save(buffer, fmt, **options)
    return buffer.getvalue()


def noise_png(size=(64, 64)) -> bytes:
    """A PNG that does not compress: its size in bytes is about 3 × its pixels."""
    buffer = io.BytesIO()
    PILImage.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def upload(content: bytes, name="picture.png", content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def png_with_json_recipe(recipe) -> bytes:
    """A PNG whose ``atelier`` chunk holds ``recipe`` as written by anyone."""
    info = PngImagePlugin.PngInfo()
    info.add_itxt("atelier", json.dumps(recipe))
    return image_bytes("PNG", pnginfo=info)


def jpeg_with_gps_and_recipe(recipe=None) -> bytes:
    """A camera-like JPEG: maker, GPS position, and an A1111 recipe if given."""
    exif = PILImage.Exif()
    exif[0x010F] = "SecretCameraMaker"
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    if recipe:
        exif[0x8769] = {0x9286: encode_user_comment(format_parameters(recipe))}
    return image_bytes("JPEG", exif=exif.tobytes())


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` pixels (a decompression bomb)."""
    content = image_bytes("PNG", size=(1, 1))
    header = struct.pack(">II", width, height) + content[24:29]
    chunk = b"IHDR" + header
    return content[:16] + header + struct.pack(">I", zlib.crc32(chunk)) + content[33:]


REFUSED = {
    "text": (b"just some text, not an image", "This file is not an image we can read"),
    "gif": (image_bytes("GIF"), "This file is not an image we can read"),
    "empty": (b"", "The file is empty."),
    "damaged": (image_bytes("PNG", size=(256, 256))[:300], "damaged or incomplete"),
    "bomb": (png_claiming_size(50_000, 50_000), "too many pixels"),
}


@pytest.fixture
def topic(owner):
    return Topic.objects.create(slug="foxes", name="Foxes", owner=owner)


# --- The page ---------------------------------------------------------------------------


def test_the_upload_page_has_a_drop_area_for_several_files(owner_client):
    page = owner_client.get("/upload/")
    assert page.status_code == 200
    html = page.text
    assert 'class="upload-drop' in html and 'enctype="multipart/form-data"' in html
    assert 'type="file" name="file"' in html and " multiple" in html
    assert 'accept="image/png,image/jpeg,image/webp"' in html


def test_a_topic_in_the_address_is_preselected(owner_client, topic):
    form = owner_client.get("/upload/?topic=foxes").context["form"]
    assert form["topic"].value() == "foxes"


def test_the_upload_page_has_no_inline_scripts_or_styles(owner_client):
    html = owner_client.get("/upload/").text
    assert "<script>" not in html and " style=" not in html


def test_a_visitor_is_sent_to_log_in(db, isolated_storage):
    for response in (
        Client().get("/upload/"),
        Client().post("/upload/", {"file": upload(image_bytes())}),
    ):
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert not Image.objects.exists() and stored_files() == []


# --- Accepted files ---------------------------------------------------------------------


def test_it_uploads_a_png_into_the_owners_gallery(owner, owner_client):
    response = owner_client.post("/upload/", {"file": upload(image_bytes(), "lighthouse.png")})
    image = Image.objects.get()
    assert response.status_code == 302 and response.url == f"/images/{image.pk}/"
    assert image.owner == owner and image.source == "uploaded"
    assert (image.width, image.height) == (64, 48) and image.content_type == "image/png"
    assert image.visibility == "private" and image.topic is None
    assert image.title == "lighthouse" and image.recipe == {}
    assert default_storage.exists(image.file.name) and default_storage.exists(image.thumbnail.name)
    assert owner_client.get(response.url).status_code == 200


@pytest.mark.parametrize(
    "fmt, name, content_type",
    [("JPEG", "photo.jpg", "image/jpeg"), ("WEBP", "art.webp", "image/webp")],
)
def test_it_uploads_jpeg_and_webp(owner_client, fmt, name, content_type):
    response = owner_client.post("/upload/", {"file": upload(image_bytes(fmt), name)})
    assert response.status_code == 302
    image = Image.objects.get()
    assert image.content_type == content_type and image.file.name.endswith(name[-4:])


def test_the_batchs_fields_apply_to_every_image(owner, owner_client, topic):
    # Two different pictures: the same one twice would be flagged as a look-alike.
    files = [upload(image_bytes(), "one.png"), upload(noise_png(), "two.png")]
    response = owner_client.post(
        "/upload/",
        {
            "file": files,
            "title": "Winter walk",
            "description": "Two <b>snowy</b> mornings",
            "topic": "foxes",
            "visibility": "public",
        },
    )
    assert response.status_code == 302 and response.url == "/me/images/"
    images = Image.objects.all()
    assert len(images) == 2
    for image in images:
        assert image.title == "Winter walk" and image.description == "Two <b>snowy</b> mornings"
        assert image.topic == topic and image.visibility == "public"


def test_any_topic_may_be_chosen_not_only_ones_own(other_client, topic):
    response = other_client.post("/upload/", {"file": upload(image_bytes()), "topic": "foxes"})
    assert response.status_code == 302
    assert Image.objects.get().topic == topic


def test_a_recipe_in_the_file_is_kept_and_the_title_stays_empty(owner_client):
    owner_client.post("/upload/", {"file": upload(encode_png(picture(), RECIPE), "00012.png")})
    image = Image.objects.get()
    assert image.recipe == {**RECIPE, "source": "Atelier"} and image.title == ""
    assert image.display_title == "a fox in snow"
    with image.file.open("rb") as stored:
        assert read_recipe(stored.read())["prompt"] == "a fox in snow"


def test_a_recipe_is_cut_down_to_known_keys_with_the_right_types(owner_client):
    junk = {
        "prompt": "a fox\u0000 in snow",
        "negative_prompt": "x" * 6000,
        "model": {"nested": "object"},
        "sampler": ["a", "list"],
        "steps": "20",
        "seed": True,
        "cfg_scale": "nan",
        "width": 64.0,
        "height": -5,
        "backend": "<script>alert(1)</script>",
        "extra": "dropped",
    }
    owner_client.post("/upload/", {"file": upload(png_with_json_recipe(junk))})
    assert Image.objects.get().recipe == {
        "prompt": "a fox in snow",
        "negative_prompt": "x" * 5000,
        "steps": 20,
        "width": 64,
        "backend": "<script>alert(1)</script>",
        "source": "Atelier",
    }


def test_a_recipe_that_is_not_an_object_is_dropped(owner_client):
    owner_client.post("/upload/", {"file": upload(png_with_json_recipe(["a", "list"]))})
    assert Image.objects.get().recipe == {}


def test_exif_is_stripped_except_the_recipe(owner_client):
    content = jpeg_with_gps_and_recipe(RECIPE)
    assert b"SecretCameraMaker" in content
    owner_client.post("/upload/", {"file": upload(content, "photo.jpg")})
    image = Image.objects.get()
    with image.file.open("rb") as stored:
        data = stored.read()
    assert b"SecretCameraMaker" not in data
    exif = PILImage.open(io.BytesIO(data)).getexif()
    assert 0x8825 not in exif and 0x010F not in exif
    assert read_recipe(data)["prompt"] == "a fox in snow"
    assert image.recipe["prompt"] == "a fox in snow" and image.recipe["seed"] == 1234


def test_user_text_is_escaped_on_the_page_after_a_partial_upload(owner_client):
    files = [upload(image_bytes(), "good.png"), upload(b"nope", "<img src=x>.png")]
    html = owner_client.post("/upload/", {"file": files}).text
    assert "<img src=x>" not in html and "&lt;img src=x&gt;.png" in html


def test_the_stored_file_carries_exactly_the_cleaned_recipe(owner_client):
    uploaded = {
        **RECIPE,
        "gps": "52.5200 N, 13.4050 E",
        "email": "ada@example.com",
        "note": "<script>alert(1)</script>",
    }
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "x" * 1_000_000)
    info.add_itxt("atelier", json.dumps(uploaded))
    content = image_bytes("PNG", pnginfo=info)
    owner_client.post("/upload/", {"file": upload(content)})
    image = Image.objects.get()
    with image.file.open("rb") as stored:
        data = stored.read()
    kept = {**RECIPE, "source": "Atelier"}
    assert image.recipe == kept
    texts = read_png_text(data)
    assert texts == {"parameters": format_parameters(kept), "atelier": recipe_to_json(kept)}
    assert b"ada@example.com" not in data and len(data) < 10_000


@pytest.mark.parametrize("name", sorted(TROUBLESOME_FILES))
def test_files_that_once_broke_the_upload_are_stored(owner_client, name):
    response = owner_client.post("/upload/", {"file": upload(TROUBLESOME_FILES[name](), name)})
    # 200: stored, with a note on metadata that could not be read.
    assert response.status_code in (200, 302)
    image = Image.objects.get()
    assert default_storage.exists(image.file.name) and image.thumb_height <= 16383
    json.dumps(image.recipe, ensure_ascii=False).encode("utf-8")  # storable text only


def test_a_recipe_too_long_for_the_file_is_trimmed_to_the_kept_length(owner_client):
    owner_client.post("/upload/", {"file": upload(TROUBLESOME_FILES["long-recipe.jpg"](), "a.jpg")})
    image = Image.objects.get()
    with image.file.open("rb") as stored:
        assert read_recipe(stored.read())["prompt"] == "x" * 5000
    assert image.recipe == {"prompt": "x" * 5000, "steps": 20, "seed": 1, "source": "A1111"}


def test_a_lone_surrogate_in_a_files_recipe_is_replaced(owner_client):
    content = TROUBLESOME_FILES["surrogate-recipe.png"]()
    owner_client.post("/upload/", {"file": upload(content)})
    assert Image.objects.get().recipe["sampler"] == "Euler \ufffd"


def test_a_batch_reports_every_file_even_one_that_fails_unexpectedly(
    owner_client, monkeypatch, isolated_storage
):
    real_thumbnail = storing.make_thumbnail

    def thumbnail(picture, *args, **kwargs):
        if picture.size == (13, 13):
            raise RuntimeError("an encoder bug")
        return real_thumbnail(picture, *args, **kwargs)

    monkeypatch.setattr(storing, "make_thumbnail", thumbnail)
    files = [upload(image_bytes(), "good.png"), upload(image_bytes(size=(13, 13)), "bad.png")]
    response = owner_client.post("/upload/", {"file": files})
    assert response.status_code == 200
    assert "1 of 2 uploaded" in response.text and "bad.png" in response.text
    assert "This image could not be stored" in response.text
    [image] = Image.objects.all()
    assert len(stored_files()) == 2  # good.png and its thumbnail


# --- Refused files ----------------------------------------------------------------------


def test_an_image_too_long_on_one_side_is_refused_before_decoding(owner_client, isolated_storage):
    memory_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    content = png_header_claiming(1, 40_000_000)
    response = owner_client.post("/upload/", {"file": upload(content, "line.png")})
    assert response.status_code == 400
    assert "The image is too long on one side (max 16384 pixels a side)." in response.text
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - memory_before < 20 * 1024
    assert not Image.objects.exists() and stored_files() == []


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_file_leaves_no_row_and_no_file(owner_client, isolated_storage, case):
    content, message = REFUSED[case]
    response = owner_client.post("/upload/", {"file": upload(content, f"{case}.png")})
    assert response.status_code == 400
    assert message in response.text and f"{case}.png" in response.text
    assert not Image.objects.exists()
    assert stored_files() == []


def test_a_file_over_the_size_limit_is_refused(owner_client, settings, isolated_storage):
    settings.ATELIER_MAX_UPLOAD_BYTES = 1000
    response = owner_client.post("/upload/", {"file": upload(noise_png())})
    assert response.status_code == 400
    assert "The image is larger than 1000 bytes." in response.text
    assert not Image.objects.exists() and stored_files() == []


def test_an_image_over_the_pixel_limit_is_refused(owner_client, settings, isolated_storage):
    settings.ATELIER_MAX_UPLOAD_PIXELS = 1000
    response = owner_client.post("/upload/", {"file": upload(image_bytes(size=(64, 48)))})
    assert response.status_code == 400 and "too many pixels" in response.text
    assert not Image.objects.exists() and stored_files() == []


def test_a_batch_keeps_the_good_files_and_says_which_were_refused(owner_client):
    files = [
        upload(image_bytes(), "good.png"),
        upload(b"not an image", "notes.txt"),
        upload(image_bytes("WEBP"), "also-good.webp"),
    ]
    response = owner_client.post("/upload/", {"file": files, "title": "Batch"})
    assert response.status_code == 200
    html = response.text
    assert "2 of 3 uploaded" in html and "Not uploaded" in html
    assert "notes.txt" in html and "This file is not an image we can read" in html
    assert sorted(Image.objects.values_list("title", flat=True)) == ["Batch", "Batch"]
    for image in Image.objects.all():
        assert f'href="/images/{image.pk}/"' in html
    assert response.context["form"]["title"].value() == "Batch"


def test_no_file_is_a_form_error(owner_client):
    response = owner_client.post("/upload/", {"title": "nothing"})
    assert response.status_code == 400
    assert "Choose at least one image to upload." in response.text
    assert not Image.objects.exists()


def test_more_than_20_files_at_once_are_refused(owner_client, isolated_storage):
    files = [upload(image_bytes(size=(8, 8)), f"{n}.png") for n in range(21)]
    response = owner_client.post("/upload/", {"file": files})
    assert response.status_code == 400
    assert "Upload at most 20 images at once (you chose 21)." in response.text
    assert not Image.objects.exists() and stored_files() == []


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("title", "x" * 10_000, "at most 200 characters"),
        ("description", "x" * 5001, "at most 5000 characters"),
        ("topic", "no-such-topic", "There is no topic “no-such-topic”."),
        ("visibility", "everyone", "Select a valid choice"),
    ],
)
def test_bad_batch_fields_store_nothing(owner_client, isolated_storage, field, value, message):
    response = owner_client.post("/upload/", {"file": upload(image_bytes()), field: value})
    assert response.status_code == 400 and message in response.text
    assert not Image.objects.exists() and stored_files() == []


# --- How many, how often -----------------------------------------------------------------


def test_uploads_past_the_persons_rate_are_refused(
    owner_client, other_client, settings, monkeypatch, isolated_storage
):
    monkeypatch.setattr(rate_limits, "clock", lambda: 1_699_999_990.0)  # one window
    settings.ATELIER_RATE_UPLOADS = "2/m"
    for _ in range(2):  # different pictures, or the second is a duplicate
        assert owner_client.post("/upload/", {"file": upload(noise_png())}).status_code == 302
    response = owner_client.post("/upload/", {"file": upload(noise_png())})
    assert response.status_code == 429 and response["Retry-After"] == "50"
    assert "Too many requests: please wait 50 seconds" in response.text
    assert Image.objects.count() == 2
    assert other_client.post("/upload/", {"file": upload(image_bytes())}).status_code == 302


def test_an_upload_waits_for_a_decode_slot_and_is_told_when_none_frees(
    owner_client, settings, monkeypatch, isolated_storage
):
    settings.ATELIER_UPLOAD_DECODES = 1
    monkeypatch.setattr(image_uploads, "SLOT_WAIT_SECONDS", 0)
    with image_uploads.upload_slot():  # another request is decoding
        page = owner_client.post("/upload/", {"file": upload(image_bytes())})
        api = owner_client.post("/api/v1/images/", {"file": upload(image_bytes())})
    assert page.status_code == 503 and "busy with other uploads" in page.text
    assert api.status_code == 503 and "busy with other uploads" in api.json()["detail"]
    assert page["Retry-After"] == api["Retry-After"] == "30"
    assert not Image.objects.exists() and stored_files() == []
    assert owner_client.post("/upload/", {"file": upload(image_bytes())}).status_code == 302


# --- Requests over Django's and Atelier's size limits: a clear 4xx, never a 500 -----------


def test_a_request_larger_than_any_upload_is_413(owner_client, settings, isolated_storage):
    settings.ATELIER_MAX_UPLOAD_BYTES = 1000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    files = [upload(noise_png(), f"{n}.png") for n in range(3)]
    response = owner_client.post("/upload/", {"file": files})
    assert response.status_code == 413
    assert "The upload is too large" in response.text
    assert not Image.objects.exists() and stored_files() == []


def test_text_fields_over_djangos_limit_are_413(owner_client, settings, isolated_storage):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = owner_client.post(
        "/upload/", {"file": upload(image_bytes()), "description": "x" * 2000}
    )
    assert response.status_code == 413
    assert "The form&#x27;s text fields are too large." in response.text
    assert not Image.objects.exists() and stored_files() == []


def test_more_files_than_django_accepts_is_a_400(owner_client, settings, isolated_storage):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    files = [upload(image_bytes(size=(8, 8)), f"{n}.png") for n in range(3)]
    response = owner_client.post("/upload/", {"file": files})
    assert response.status_code == 400
    assert not Image.objects.exists() and stored_files() == []


# --- Where the images went --------------------------------------------------------------


def test_the_upload_says_where_the_images_went_and_who_sees_them(owner_client, topic):
    files = [upload(image_bytes(), "one.png"), upload(noise_png(), "two.png")]
    page = owner_client.post(
        "/upload/", {"file": files, "topic": "foxes", "visibility": "public"}, follow=True
    )
    where = "In topic Foxes · Public: anyone can see them in Recent and the topic."
    assert f"2 images were uploaded. {where}" in page.text


def test_a_single_upload_says_where_it_went_in_its_message(owner_client):
    page = owner_client.post("/upload/", {"file": upload(image_bytes(), "p.png")}, follow=True)
    assert page.redirect_chain[-1][0].startswith("/images/")
    assert "Your image was uploaded. In My images · Private: only you can see it." in page.text


def test_a_batch_with_refused_files_says_where_the_others_went(owner_client, topic):
    files = [upload(image_bytes(), "good.png"), upload(b"not an image", "notes.txt")]
    page = owner_client.post("/upload/", {"file": files, "topic": "foxes", "visibility": "private"})
    where = re.search(r'<p class="where-images-went.*?</p>', page.text, re.S).group(0)
    assert 'In topic <a href="/topics/foxes/">Foxes</a>' in where
    assert "Private: only you can see it; the topic does not show it." in where
