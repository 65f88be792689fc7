import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image as PILImage

from accounts.models import Profile
from imaging.tests.sample_images import TROUBLESOME_FILES, png_header_claiming
from tests.fixtures import picture, png_bytes, served, stored_files


def upload(name, content, content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_profile_exists_for_every_new_user(owner):
    assert Profile.objects.filter(user=owner).exists()


def test_it_saves_name_bio_and_a_square_avatar(owner, owner_client):
    response = owner_client.post(
        "/me/profile/",
        {
            "display_name": "Ada L.",
            "bio": "I paint lighthouses.",
            "avatar_upload": upload("me.png", png_bytes(picture(600, 400))),
        },
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user=owner)
    assert profile.display_name == "Ada L." and profile.bio == "I paint lighthouses."
    avatar = served(owner_client.get("/u/owner/avatar.webp"))
    assert avatar.status_code == 200
    shown = PILImage.open(io.BytesIO(avatar.content))
    assert shown.format == "WEBP" and shown.size == (256, 256)


def test_replacing_the_avatar_removes_the_old_file(
    owner, owner_client, django_capture_on_commit_callbacks
):
    owner_client.post("/me/profile/", {"avatar_upload": upload("a.png", png_bytes(picture()))})
    old = Profile.objects.get(user=owner).avatar.name
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post("/me/profile/", {"avatar_upload": upload("b.png", png_bytes(picture()))})
    new = Profile.objects.get(user=owner).avatar.name
    assert new != old and default_storage.exists(new) and not default_storage.exists(old)


def test_a_file_that_is_not_an_image_is_a_form_error(owner, owner_client, isolated_storage):
    response = owner_client.post(
        "/me/profile/", {"display_name": "x", "avatar_upload": upload("evil.png", b"#!/bin/sh\n")}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["avatar_upload"]
    profile = Profile.objects.get(user=owner)
    assert profile.display_name == "" and not profile.avatar
    assert stored_files() == []


def test_visitors_are_sent_to_log_in(db):
    response = Client().get("/me/profile/")
    assert response.status_code == 302 and "/accounts/login/" in response.url


@pytest.mark.parametrize("name", sorted(TROUBLESOME_FILES))
def test_files_that_once_broke_the_avatar_become_avatars(owner, owner_client, name):
    response = owner_client.post(
        "/me/profile/", {"avatar_upload": upload(name, TROUBLESOME_FILES[name]())}
    )
    assert response.status_code == 302
    assert default_storage.exists(Profile.objects.get(user=owner).avatar.name)


def test_an_avatar_too_long_on_one_side_is_a_form_error(owner, owner_client):
    content = png_header_claiming(1, 40_000_000)
    response = owner_client.post("/me/profile/", {"avatar_upload": upload("line.png", content)})
    assert response.status_code == 200
    assert response.context["form"].errors["avatar_upload"] == [
        "The image is too long on one side (max 16384 pixels a side)."
    ]
    assert not Profile.objects.get(user=owner).avatar
