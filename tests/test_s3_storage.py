"""Files on S3-compatible storage (AWS_STORAGE_BUCKET_NAME), against a local
S3 server the test starts itself (moto's server mode): objects are private,
opened only through a short-lived presigned URL handed out after the
permission check, and deleting an image removes its objects."""

from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from django.test import Client

from gallery.storing import delete_image

boto3 = pytest.importorskip("boto3", reason="the s3 extra (django-storages[s3]) is not installed")
moto_server = pytest.importorskip("moto.server", reason="moto[server] is not installed")

BUCKET = "atelier-test"
KEYS = {"access_key": "testing-key", "secret_key": "testing-secret"}


@pytest.fixture(scope="module")
def s3_endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings):
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": settings.ATELIER_S3_URL_SECONDS,
                "signature_version": "s3v4",
                **KEYS,
            },
        },
    }
    yield client
    objects = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    for item in objects:
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def keys(client) -> set[str]:
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_an_image_and_its_thumbnail_are_stored_as_private_objects(owner, make_image, bucket):
    image = make_image(owner)
    assert keys(bucket) == {image.file.name, image.thumbnail.name}
    unsigned = f"{bucket.meta.endpoint_url}/{BUCKET}/{image.file.name}"
    assert httpx2.get(unsigned).status_code == 403


def test_the_owner_is_sent_to_a_short_lived_url_that_opens_the_file(
    owner, owner_client, make_image, bucket, settings
):
    image = make_image(owner)
    response = owner_client.get(f"/images/{image.pk}/file")
    assert response.status_code == 302
    assert response["Cache-Control"] == f"private, max-age={settings.ATELIER_S3_URL_SECONDS // 2}"
    query = parse_qs(urlsplit(response.url).query)
    assert query["X-Amz-Expires"] == [str(settings.ATELIER_S3_URL_SECONDS)]
    opened = httpx2.get(response.url)
    assert opened.status_code == 200
    assert opened.content == bucket.get_object(Bucket=BUCKET, Key=image.file.name)["Body"].read()
    assert opened.headers["content-type"] == "image/png"


def test_a_download_url_names_the_file(owner, owner_client, make_image, bucket):
    image = make_image(owner)
    response = owner_client.get(f"/images/{image.pk}/download")
    assert response.status_code == 302
    opened = httpx2.get(response.url)
    assert opened.status_code == 200
    assert opened.headers["content-disposition"].startswith("attachment;")


def test_nobody_else_is_handed_a_url_for_a_private_image(owner, other_client, make_image, bucket):
    image = make_image(owner)
    for path in ("file", "download", "thumb.webp"):
        response = other_client.get(f"/images/{image.pk}/{path}")
        assert response.status_code == 404
    assert Client().get(f"/images/{image.pk}/file").status_code == 302  # to log in
    assert Client().get(f"/images/{image.pk}/file").url.startswith("/accounts/login/")


def test_deleting_an_image_removes_its_objects(
    owner, make_image, bucket, django_capture_on_commit_callbacks
):
    kept, deleted = make_image(owner), make_image(owner)
    with django_capture_on_commit_callbacks(execute=True):
        delete_image(deleted)
    assert keys(bucket) == {kept.file.name, kept.thumbnail.name}


def test_an_image_shared_without_its_recipe_is_never_a_presigned_url_for_others(
    owner, owner_client, other_client, make_image, bucket
):
    """A presigned URL opens the stored object, recipe and all: others get
    the stripped bytes read from the bucket; the owner is still redirected."""
    image = make_image(owner, visibility="public", prompt="a secret lighthouse")
    image.share_without_recipe = True
    image.save(update_fields=["share_without_recipe"])
    theirs = other_client.get(f"/images/{image.pk}/download")
    assert theirs.status_code == 200 and "Location" not in theirs
    assert theirs.content.startswith(b"\x89PNG") and b"lighthouse" not in theirs.content
    assert theirs["Content-Disposition"].startswith("attachment;")
    assert owner_client.get(f"/images/{image.pk}/file").status_code == 302


def test_leaving_removes_the_persons_objects_only(
    owner, other, make_image, bucket, django_capture_on_commit_callbacks
):
    from gallery.your_data import delete_account

    mine, theirs = make_image(owner), make_image(other)
    with django_capture_on_commit_callbacks(execute=True):
        delete_account(owner)
    assert keys(bucket) == {theirs.file.name, theirs.thumbnail.name}
    assert mine.file.name not in keys(bucket)


def test_the_export_reads_the_originals_from_the_bucket(owner, make_image, bucket):
    import io
    import zipfile

    from gallery.your_data import write_export

    image = make_image(owner)
    target = io.BytesIO()
    write_export(owner, target)
    archive = zipfile.ZipFile(target)
    original = next(name for name in archive.namelist() if name.endswith(".png"))
    stored = bucket.get_object(Bucket=BUCKET, Key=image.file.name)["Body"].read()
    assert archive.read(original) == stored


# ---- public thumbnails at a stable public URL, for a CDN (gallery/public_thumbnails.py) ----


@pytest.fixture
def public_bucket(bucket, s3_endpoint, settings):
    """The bucket's root served at ATELIER_S3_PUBLIC_URL (here, the bucket's own URL)."""
    settings.ATELIER_S3_PUBLIC_URL = f"{s3_endpoint}/{BUCKET}/"
    return bucket


def at_public_url(settings, image) -> httpx2.Response:
    """The thumbnail's place under the public URL, asked without any signature."""
    return httpx2.get(f"{settings.ATELIER_S3_PUBLIC_URL}public/{image.thumbnail.name}")


def test_a_public_images_thumbnail_is_served_from_the_public_url_for_a_cdn(
    owner, make_image, public_bucket, settings, django_capture_on_commit_callbacks
):
    from atelier.stored_files import PUBLIC_CACHE

    with django_capture_on_commit_callbacks(execute=True):
        image = make_image(owner, visibility="public")
    response = Client().get(f"/images/{image.pk}/thumb.webp")
    assert response.status_code == 302
    assert response.url == f"{settings.ATELIER_S3_PUBLIC_URL}public/{image.thumbnail.name}"
    assert "X-Amz" not in response.url and response["Cache-Control"] == PUBLIC_CACHE
    opened = httpx2.get(response.url)
    assert opened.status_code == 200
    assert opened.headers["cache-control"] == PUBLIC_CACHE
    assert opened.headers["content-type"] == "image/webp"
    stored = public_bucket.get_object(Bucket=BUCKET, Key=image.thumbnail.name)["Body"].read()
    assert opened.content == stored
    # The original stays private: presigned only.
    assert httpx2.get(f"{settings.ATELIER_S3_PUBLIC_URL}{image.file.name}").status_code == 403


def test_a_private_images_thumbnail_is_not_at_the_public_url(
    owner, owner_client, make_image, public_bucket, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        image = make_image(owner, visibility="private")
        unlisted = make_image(owner, visibility="unlisted")
    for kept in (image, unlisted):
        assert at_public_url(settings, kept).status_code in (403, 404)
    assert keys(public_bucket) == {
        image.file.name,
        image.thumbnail.name,
        unlisted.file.name,
        unlisted.thumbnail.name,
    }
    response = owner_client.get(f"/images/{image.pk}/thumb.webp")
    assert parse_qs(urlsplit(response.url).query)["X-Amz-Expires"]  # presigned, as before


def test_making_an_image_private_withdraws_its_public_thumbnail(
    owner, make_image, public_bucket, settings, django_capture_on_commit_callbacks
):
    from gallery.bulk_actions import apply
    from gallery.editing import edit_image

    with django_capture_on_commit_callbacks(execute=True):
        image = make_image(owner, visibility="public")
    assert at_public_url(settings, image).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        edit_image(image, visibility="private")
    assert at_public_url(settings, image).status_code in (403, 404)
    assert f"public/{image.thumbnail.name}" not in keys(public_bucket)
    with django_capture_on_commit_callbacks(execute=True):
        edit_image(image, visibility="public")
    assert at_public_url(settings, image).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        apply(owner, "make_private", [image.pk])
    assert at_public_url(settings, image).status_code in (403, 404)
    with django_capture_on_commit_callbacks(execute=True):
        apply(owner, "publish", [image.pk])
    assert at_public_url(settings, image).status_code == 200


def test_deleting_a_public_image_removes_its_public_thumbnail(
    owner, make_image, public_bucket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        image = make_image(owner, visibility="public")
    assert f"public/{image.thumbnail.name}" in keys(public_bucket)
    with django_capture_on_commit_callbacks(execute=True):
        delete_image(image)
    assert keys(public_bucket) == set()


def test_deleting_an_account_removes_its_public_thumbnails(
    owner, make_image, public_bucket, django_capture_on_commit_callbacks
):
    from gallery.your_data import delete_account

    with django_capture_on_commit_callbacks(execute=True):
        make_image(owner, visibility="public")
    with django_capture_on_commit_callbacks(execute=True):
        delete_account(owner)
    assert keys(public_bucket) == set()
