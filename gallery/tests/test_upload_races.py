"""Two uploads of the same file by one person at the same instant: both
look for a copy before either is stored, yet only one is stored (the
database keeps one upload of a file per owner) and the other is answered
"already in your gallery" with it, leaving no file behind. Old galleries
that hold such copies already migrate without failing."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, connections

from gallery import uploads
from gallery.models import Image
from gallery.tests.test_upload_duplicates import png, upload
from tests.fixtures import stored_files


def test_a_copy_stored_between_the_lookup_and_the_insert_is_answered_as_a_duplicate(
    owner, owner_client, isolated_storage, monkeypatch
):
    owner_client.post("/upload/", {"file": upload(png(), "one.png")})
    first = Image.objects.get()
    files_before = stored_files()
    real = uploads.find_duplicate
    calls = []

    def looked_too_early(person, sha256):
        """The first lookup misses, as if the other upload had not committed yet."""
        calls.append(sha256)
        return None if len(calls) == 1 else real(person, sha256)

    monkeypatch.setattr(uploads, "find_duplicate", looked_too_early)
    response = owner_client.post("/upload/", {"file": upload(png(), "again.png")})
    assert len(calls) == 2  # missed, then asked again after the database said no
    assert response.status_code == 200 and "already in your gallery" in response.text
    assert f'href="/images/{first.pk}/"' in response.text
    assert Image.objects.count() == 1
    assert stored_files() == files_before  # no orphan file


def test_generated_images_may_share_their_bytes(owner, make_image):
    # The same recipe and seed twice make the same bytes: both are kept.
    a, b = make_image(owner), make_image(owner)
    assert a.sha256 == b.sha256 and a.pk != b.pk
    assert a.upload_sha256 is None and b.upload_sha256 is None


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_uploads_store_one_copy(owner, isolated_storage, monkeypatch):
    real = uploads.find_duplicate
    both_looked = threading.Barrier(2, timeout=30)
    local = threading.local()

    def find_then_wait(person, sha256):
        found = real(person, sha256)
        if not getattr(local, "waited", False):  # the first lookup: wait for the other's
            local.waited = True
            both_looked.wait()
        return found

    monkeypatch.setattr(uploads, "find_duplicate", find_then_wait)
    content = png()
    results = [None, None]

    def send(index):
        try:
            file = SimpleUploadedFile(f"{index}.png", content, content_type="image/png")
            results[index] = uploads.upload_file(owner, file)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(r is not None for r in results), "an upload failed"
    [image] = Image.objects.all()
    assert sorted(r.duplicate for r in results) == [False, True]
    assert {r.image.pk for r in results} == {image.pk}
    # The original and its thumbnail, nothing else.
    assert [name.rsplit("/", 1)[1] for name in stored_files()] == sorted(
        [image.file.name.rsplit("/", 1)[1], image.thumbnail.name.rsplit("/", 1)[1]]
    )


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_old_copies_and_makes_the_first_unique(owner, other, make_image):
    # As an older gallery holds them: the same file uploaded twice by owner,
    # once by other, and a generated image with the same bytes. They are made
    # with today's model, then the table is taken back to 0010 (later
    # migrations add columns today's model writes) and set as it was then.
    kept = [make_image(owner) for _ in range(3)] + [make_image(other)]
    call_command("migrate", "gallery", "0010_image_upload_sha256", verbosity=0)
    try:
        with connection.cursor() as cursor:
            ids = ", ".join(str(i.pk) for i in kept)
            uploaded = ", ".join(str(i.pk) for i in kept[1:])
            cursor.execute(f"UPDATE gallery_image SET upload_sha256 = NULL WHERE id IN ({ids})")
            cursor.execute(f"UPDATE gallery_image SET source = 'uploaded' WHERE id IN ({uploaded})")
    finally:
        call_command("migrate", verbosity=0)
    rows = dict(Image.objects.order_by("pk").values_list("pk", "upload_sha256"))
    sha = kept[0].sha256
    assert rows == {kept[0].pk: None, kept[1].pk: sha, kept[2].pk: None, kept[3].pk: sha}
