"""A job run in this process with the tiny model, through the real runner."""

import io

import pytest
from PIL import Image as PILImage

from gallery.models import Image
from imaging.png_metadata import read_recipe
from studio.runner import run_job
from studio.tests.test_job_page import make_job


@pytest.fixture
def job(owner, tiny_settings):
    job = make_job(owner)
    job.request.update(width=64, height=32, steps=3, seed=99, n=2)
    job.save()
    return job


def pixels(image: Image) -> bytes:
    with image.file.open("rb") as f:
        return PILImage.open(io.BytesIO(f.read())).tobytes()


def test_it_stores_each_image_with_its_recipe(job, owner):
    run_job(str(job.pk))
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.progress == 1.0 and job.attempts == 1 and job.compute_seconds > 0
    first, second = job.images.order_by("source_key")
    assert first.owner == owner and (first.width, first.height) == (64, 32)
    assert first.recipe["seed"] == 99 and second.recipe["seed"] == 100
    with first.file.open("rb") as f:
        data = f.read()
    assert read_recipe(data)["prompt"] == "p"
    assert first.thumbnail.storage.exists(first.thumbnail.name)
    assert len(first.sha256) == 64 and first.thumbhash


def test_the_same_seed_gives_the_same_pixels(job, owner):
    run_job(str(job.pk))
    again = make_job(owner)
    again.request = job.request
    again.save()
    run_job(str(again.pk))
    first = job.images.order_by("source_key").first()
    repeat = again.images.order_by("source_key").first()
    assert pixels(first) == pixels(repeat)


def test_running_a_job_twice_never_duplicates_its_images(job):
    run_job(str(job.pk))
    type(job).objects.filter(pk=job.pk).update(status="queued")
    run_job(str(job.pk))
    assert Image.objects.count() == 2


def test_a_missing_model_fails_the_job_with_advice(job, settings, tmp_path):
    settings.ATELIER_TINY_MODEL_PATH = tmp_path / "nothing-here"
    run_job(str(job.pk))
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error.startswith("Tiny test model (random weights, offline) cannot be used")
    assert "build_tiny_model" not in job.error  # the admin's words are in the details
    assert "`python manage.py build_tiny_model`" in job.error_details
    assert Image.objects.count() == 0


def test_a_job_whose_cancel_was_asked_before_it_ran_never_runs(job):
    type(job).objects.filter(pk=job.pk).update(cancel_requested=True)
    run_job(str(job.pk))
    job.refresh_from_db()
    assert job.status == "cancelled" and job.attempts == 0
    assert Image.objects.count() == 0
