"""Images stored before uploads compared perceptual hashes get one from
``manage.py backfill_perceptual_hashes``, so a later look-alike upload is
flagged against them. Batched, idempotent, and an unreadable file is named,
not fatal."""

import io

from django.core.files.storage import default_storage
from django.core.management import call_command

from gallery.models import Image
from gallery.storing import delete_image
from gallery.tests.test_upload_duplicates import png, upload
from imaging.perceptual_hash import dhash


def run(*args) -> str:
    out = io.StringIO()
    call_command("backfill_perceptual_hashes", *args, stdout=out)
    return out.getvalue().strip()


def test_old_images_get_the_hash_an_upload_would_give_them(owner, other, make_image):
    images = [make_image(owner), make_image(owner), make_image(other)]
    expected = {i.pk: i.perceptual_hash for i in images}
    assert all(expected.values())
    Image.objects.update(perceptual_hash=None)  # as before migration 0007 filled nothing
    assert run("--batch-size", "2") == "Hashed 3 images."
    assert dict(Image.objects.values_list("pk", "perceptual_hash")) == expected
    # Again: nothing left to do, nothing changed.
    assert run() == "Hashed 0 images."
    assert dict(Image.objects.values_list("pk", "perceptual_hash")) == expected


def test_a_hash_already_there_is_kept(owner, make_image):
    [kept, old] = [make_image(owner), make_image(owner)]
    Image.objects.filter(pk=kept.pk).update(perceptual_hash="0123456789abcdef")
    Image.objects.filter(pk=old.pk).update(perceptual_hash=None)
    assert run() == "Hashed 1 image."
    assert Image.objects.get(pk=kept.pk).perceptual_hash == "0123456789abcdef"


def test_an_unreadable_file_is_named_and_the_rest_still_hashed(owner, make_image):
    [missing, broken, fine] = [make_image(owner) for _ in range(3)]
    default_storage.delete(missing.file.name)
    with default_storage.open(broken.file.name, "wb") as damaged:
        damaged.write(b"\x89PNG\r\n\x1a\nnot really")
    Image.objects.update(perceptual_hash=None)
    report = run("--batch-size", "1")
    assert report == (
        f"Hashed 1 image; 2 could not be read (#{missing.pk}, #{broken.pk}) and keep no hash."
    )
    assert Image.objects.get(pk=fine.pk).perceptual_hash == fine.perceptual_hash
    assert Image.objects.filter(perceptual_hash=None).count() == 2


def test_a_bad_batch_size_is_refused(db):
    from django.core.management.base import CommandError

    for size in ("0", "100000"):
        try:
            run("--batch-size", size)
        except CommandError as error:
            assert "--batch-size" in str(error)
        else:
            raise AssertionError(f"--batch-size {size} was taken")


def test_after_the_backfill_an_old_images_look_alike_is_flagged(owner, owner_client):
    owner_client.post("/upload/", {"file": upload(png(size=(64, 48)))})
    original = Image.objects.get()
    Image.objects.update(perceptual_hash=None)  # stored before look-alikes were checked
    # Not flagged: the old image has no hash yet (and is not a byte-for-byte copy).
    unseen = owner_client.post("/upload/", {"file": upload(png(size=(96, 72)), "b.png")})
    assert unseen.status_code == 302
    delete_image(Image.objects.exclude(pk=original.pk).get())
    run()
    assert Image.objects.get(pk=original.pk).perceptual_hash == dhash_of(original)
    flagged = owner_client.post("/upload/", {"file": upload(png(size=(128, 96)), "c.png")})
    assert flagged.status_code == 200 and "looks like" in flagged.text
    assert f'href="/images/{original.pk}/"' in flagged.text


def dhash_of(image) -> str:
    from PIL import Image as PILImage

    with default_storage.open(image.file.name, "rb") as stored, PILImage.open(stored) as picture:
        return dhash(picture)
