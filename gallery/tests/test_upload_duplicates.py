"""The same file uploaded twice is stored once; a look-alike is stored and
flagged — on the upload page and in the API."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.models import Image
from imaging.tests import tool_files as files
from tests.fixtures import api_for, isolated_storage, stored_files  # noqa: F401


def upload(content: bytes, name="a.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


def png(seed=0, size=(64, 48), texts=None) -> bytes:
    import io

    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    for key, value in (texts or {}).items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    # The same picture at any size: resized from one drawing.
    files.picture(seed).resize(size).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def test_the_same_file_twice_on_the_page_is_stored_once(owner_client, isolated_storage):  # noqa: F811
    first = owner_client.post("/upload/", {"file": upload(png(), "one.png")})
    image = Image.objects.get()
    files_before = stored_files()
    response = owner_client.post("/upload/", {"file": upload(png(), "again.png")})
    assert response.status_code == 200 and first.status_code == 302
    assert Image.objects.count() == 1 and stored_files() == files_before
    assert "already in your gallery" in response.text
    assert f'href="/images/{image.pk}/"' in response.text


def test_a_duplicate_in_a_batch_is_reported_beside_the_new_files(owner_client):
    owner_client.post("/upload/", {"file": upload(png())})
    response = owner_client.post(
        "/upload/", {"file": [upload(png(), "dup.png"), upload(png(seed=5), "new.png")]}
    )
    assert Image.objects.count() == 2
    assert "1 of 2 uploaded" in response.text  # the duplicate is not counted as new
    assert "dup.png" in response.text and "already in your gallery" in response.text


def test_someone_elses_copy_is_not_a_duplicate(owner_client, other_client):
    owner_client.post("/upload/", {"file": upload(png())})
    response = other_client.post("/upload/", {"file": upload(png())})
    assert response.status_code == 302 and Image.objects.count() == 2


def test_a_look_alike_is_stored_and_flagged_with_a_link(owner_client):
    owner_client.post("/upload/", {"file": upload(png(size=(64, 48)))})
    original = Image.objects.get()
    # The same picture at another size, with a recipe: other bytes, same look.
    content = png(size=(128, 96), texts={"parameters": "a fox\nSteps: 20, Seed: 1, CFG scale: 7"})
    response = owner_client.post("/upload/", {"file": upload(content)})
    assert response.status_code == 200 and Image.objects.count() == 2
    assert "looks like" in response.text
    assert f'href="/images/{original.pk}/"' in response.text


def test_a_different_picture_is_not_flagged(owner_client):
    owner_client.post("/upload/", {"file": upload(png(seed=1))})
    response = owner_client.post("/upload/", {"file": upload(png(seed=2))})
    assert response.status_code == 302 and Image.objects.count() == 2


def test_the_api_answers_a_duplicate_with_the_existing_image(owner, isolated_storage):  # noqa: F811
    api = api_for(owner)
    first = api.post("/api/v1/images/", {"file": upload(png())}, format="multipart")
    assert first.status_code == 201 and first.json()["upload"]["duplicate"] is False
    files_before = stored_files()
    again = api.post("/api/v1/images/", {"file": upload(png())}, format="multipart")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["upload"]["duplicate"]
    assert Image.objects.count() == 1 and stored_files() == files_before


def test_the_api_flags_a_look_alike(owner):
    api = api_for(owner)
    first = api.post("/api/v1/images/", {"file": upload(png())}, format="multipart").json()
    response = api.post("/api/v1/images/", {"file": upload(png(size=(96, 72)))}, format="multipart")
    assert response.status_code == 201
    assert response.json()["upload"] == {"duplicate": False, "looks_like": first["id"], "notes": []}


@pytest.mark.parametrize("size", [(64, 48), (3, 2)])
def test_every_stored_image_gets_a_perceptual_hash(owner_client, size):
    owner_client.post("/upload/", {"file": upload(png(size=size))})
    assert len(Image.objects.get().perceptual_hash) == 16
