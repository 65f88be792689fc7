"""Shared fixtures: named people (an owner, another user, staff, a visitor),
an isolated storage folder per test, and images made through the real path."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from PIL import Image as PILImage

PASSWORD = "a-long-Passw0rd!"


@pytest.fixture(autouse=True, scope="session")
def in_memory_broker():
    """Jobs queued by in-process tests go to an in-memory broker, never to the
    machine's real queue (integration tests start their own stacks)."""
    from atelier.celery import app

    app.conf.broker_url = "memory://"
    yield
    app.conf.broker_url = None


@pytest.fixture(autouse=True)
def isolated_storage(settings, tmp_path):
    """Every test writes files into its own folder; static files are served
    from the source tree (no collectstatic manifest needed)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    # Tests make many users; the production hasher costs ~0.5 s per password here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def fresh_cache(settings, tmp_path_factory):
    """Every test counts rate limits (ours and allauth's) in a cache of its own,
    empty at the start: the real file-based backend, in a folder of its own
    (not the test's tmp_path, which some tests inspect)."""
    from django.core.cache import cache

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path_factory.mktemp("cache")),
        }
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tiny_settings(settings, tiny_model_path):
    settings.ATELIER_TINY_MODEL_PATH = tiny_model_path
    settings.ATELIER_DEFAULT_MODEL = "tiny"
    return settings


def make_user(username, **extra):
    return get_user_model().objects.create_user(
        username=username, email=f"{username}@example.com", password=PASSWORD, **extra
    )


@pytest.fixture
def owner(db):
    return make_user("owner")


@pytest.fixture
def other(db):
    return make_user("other")


@pytest.fixture
def staff(db):
    return make_user("staff", is_staff=True)


def api_for(user=None):
    """An API client that sends ``user``'s API token, as an outside program
    would (a visitor's client when ``user`` is None)."""
    from rest_framework.test import APIClient

    from accounts.tokens import create_token

    client = APIClient()
    if user is not None:
        _, key = create_token(user, "test")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner):
    return logged_in(owner)


@pytest.fixture
def other_client(other):
    return logged_in(other)


@pytest.fixture
def staff_client(staff):
    return logged_in(staff)


def picture(width=64, height=48, color=(200, 80, 40)):
    image = PILImage.new("RGB", (width, height), color)
    for x in range(width):
        image.putpixel((x, height // 2), (x * 4 % 256, 255 - x % 256, 90))
    return image


def png_bytes(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def make_image(db):
    """Store an image for a user through gallery.storing, as a job would."""
    from gallery.storing import store_image
    from imaging.png_metadata import encode_png

    def make(user, *, visibility="private", prompt="a red square", **extra):
        image = picture()
        recipe = {
            "prompt": prompt,
            "negative_prompt": "",
            "model": "tiny",
            "sampler": "Euler a",
            "steps": 4,
            "cfg_scale": 7.5,
            "seed": 42,
            "width": 64,
            "height": 48,
            "backend": "diffusers",
        }
        return store_image(
            owner=user,
            content=encode_png(image, recipe),
            picture=image,
            recipe=recipe,
            visibility=visibility,
            **extra,
        )

    return make
