"""Shared fixtures: named people (an owner, another user, staff, a visitor),
isolated storage per test (a folder, or a prefix on S3 in the services pass:
tests/pass_services.py), and images made through the real path."""

import io
import itertools
import os
from collections.abc import Mapping
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from PIL import Image as PILImage

PASSWORD = "a-long-Passw0rd!"


@pytest.fixture(scope="session")
def redis_for_pass():
    """The pass's Redis database (ATELIER_TEST_REDIS_URL), or None: files
    and memory then."""
    from tests import pass_services

    url = pass_services.redis_url()
    if url is None:
        yield None
        return
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    yield client
    client.close()


def _forget_keys(client, pattern: str) -> None:
    keys = list(client.scan_iter(match=pattern, count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True, scope="session")
def in_memory_broker(redis_for_pass):
    """Jobs queued by in-process tests go to a queue of this run: in memory,
    or in the services pass on Redis under a key prefix of this run, forgotten
    at the end. Never to the machine's real queue (integration tests start
    their own stacks)."""
    from atelier.celery import app
    from tests import pass_services

    prefix = f"atelier-test-{os.getpid()}:"
    if redis_for_pass is None:
        app.conf.broker_url = "memory://"
    else:
        app.conf.broker_url = pass_services.redis_url()
        app.conf.broker_transport_options = {
            **app.conf.broker_transport_options,
            "global_keyprefix": prefix,
        }
    yield
    app.conf.broker_url = None
    if redis_for_pass is not None:
        _forget_keys(redis_for_pass, f"{prefix}*")


@pytest.fixture(scope="session")
def s3_for_pass():
    """The pass's S3 endpoint, its bucket made (ATELIER_TEST_S3=1), or None.
    The server is the one run_all started (ATELIER_TEST_S3_ENDPOINT), else one
    started here."""
    from tests import pass_services

    if not pass_services.s3_wanted():
        yield None
        return
    server = None
    endpoint = os.environ.get("ATELIER_TEST_S3_ENDPOINT")
    if not endpoint:
        server = pass_services.start_moto()
        if server is None:
            pytest.fail("ATELIER_TEST_S3=1 needs moto[server]: pip install -e '.[dev]'")
        endpoint = pass_services.endpoint_of(server)
    client = pass_services.s3_client(endpoint)
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if pass_services.S3_BUCKET not in existing:
        client.create_bucket(Bucket=pass_services.S3_BUCKET)
    yield endpoint
    if server is not None:
        server.stop()


_test_numbers = itertools.count()


@pytest.fixture(autouse=True)
def isolated_storage(settings, tmp_path, s3_for_pass):
    """Every test writes files where no other test does: a folder of its own,
    or in the services pass a prefix of its own in the pass's S3 bucket (read
    them with ``stored_files()``). Static files are served from the source
    tree (no collectstatic manifest needed)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    # Tests make many users; the production hasher costs ~0.5 s per password here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    if s3_for_pass is not None:
        from tests import pass_services

        location = f"t{os.getpid()}-{next(_test_numbers)}"
        settings.STORAGES = {
            **settings.STORAGES,
            "default": pass_services.s3_storage(
                s3_for_pass, location, settings.ATELIER_S3_URL_SECONDS
            ),
        }
    return settings.MEDIA_ROOT


@pytest.fixture
def local_storage(isolated_storage, settings):
    """Files in the test's folder even in the S3 pass, for the tests of what
    only a local folder has (each says why it asks for this)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return isolated_storage


def stored_files(top: str = "") -> list[str]:
    """The names of every file in the default storage (under ``top``), sorted:
    what the test stored, wherever the pass keeps files."""
    from django.core.files.storage import default_storage

    try:
        folders, files = default_storage.listdir(top)
    except FileNotFoundError:  # a local folder not made yet: nothing stored
        return []
    names = [f"{top}{name}" for name in files]
    for folder in folders:
        names += stored_files(f"{top}{folder}/")
    return sorted(names)


@dataclass
class Served:
    """What a browser ends up with for a file's address."""

    status_code: int
    content: bytes
    headers: Mapping[str, str]


def served(response) -> Served:
    """A file view's answer as a browser sees it in the end: the answer itself
    (the file sent from the folder), or on S3 the object at the presigned URL
    it redirects to, fetched over HTTP."""
    if response.status_code == 302 and response.url.startswith(("http://", "https://")):
        import httpx2

        fetched = httpx2.get(response.url)
        return Served(fetched.status_code, fetched.content, fetched.headers)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return Served(response.status_code, content, response.headers)


@pytest.fixture(autouse=True)
def fresh_cache(settings, tmp_path_factory, redis_for_pass):
    """Every test counts rate limits (ours and allauth's) in a cache of its own,
    empty at the start: the real file-based backend, in a folder of its own
    (not the test's tmp_path, which some tests inspect), or in the services
    pass Redis under a key prefix of the test's own."""
    from django.core.cache import cache

    if redis_for_pass is None:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(tmp_path_factory.mktemp("cache")),
            }
        }
        cache.clear()
        yield
        cache.clear()
        return
    from tests import pass_services

    # Not cache.clear(): on Redis that empties the database for every run.
    prefix = f"atelier-test-{os.getpid()}-{next(_test_numbers)}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": pass_services.redis_url(),
            "KEY_PREFIX": prefix,
        }
    }
    yield
    _forget_keys(redis_for_pass, f"{prefix}:*")


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
