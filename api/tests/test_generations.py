import base64
import json

import pytest
from PIL import Image as PILImage
from rest_framework.test import APIClient

from studio.models import GenerationJob
from tests.fixtures import PASSWORD, picture, png_bytes


@pytest.fixture
def api(owner):
    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/", {"username": "owner", "password": PASSWORD}, format="json"
    ).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_a_token_is_given_for_a_username_and_password(owner):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "owner", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200 and len(response.json()["token"]) >= 20


def test_a_wrong_password_gets_no_token(owner):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "owner", "password": "nope"}, format="json"
    )
    assert response.status_code == 400


def test_it_accepts_a_generation_at_once(api, tiny_settings):
    response = api.post("/api/v1/generations/", {"prompt": "a fox"}, format="json")
    assert response.status_code == 202
    body = response.json()
    job = GenerationJob.objects.get()
    assert body == {
        "id": str(job.pk),
        "status": "queued",
        "url": f"http://testserver/api/v1/generations/{job.pk}/",
    }
    assert job.model == "tiny" and job.request["width"] == 64


def test_it_reports_a_generation(api, tiny_settings):
    created = api.post("/api/v1/generations/", {"prompt": "a fox", "n": 2}, format="json").json()
    body = api.get(created["url"]).json()
    assert body["status"] == "queued" and body["progress"] == 0.0
    assert body["error"] == "" and body["images"] == []


def test_a_poll_says_when_to_ask_again_from_the_work_ahead(api, owner, tiny_settings, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from studio import wait_hint

    monkeypatch.setattr(wait_hint, "_mean_cache", None)
    GenerationJob.objects.create(
        owner=owner, model="tiny", request={}, status="succeeded", compute_seconds=1.5
    )
    first = api.post("/api/v1/generations/", {"prompt": "a"}, format="json").json()
    second = api.post("/api/v1/generations/", {"prompt": "b"}, format="json").json()
    assert api.get(first["url"])["Retry-After"] == "2"  # itself: 1.5 s
    assert api.get(second["url"])["Retry-After"] == "3"  # one ahead: 3 s
    # Running, 1 of 4 steps done in 2 s: 6 s to go.
    GenerationJob.objects.filter(pk=first["id"]).update(
        status="running", step=1, total_steps=4, started=timezone.now() - timedelta(seconds=2)
    )
    assert api.get(first["url"])["Retry-After"] in ("6", "7")
    GenerationJob.objects.filter(pk=first["id"]).update(status="succeeded")
    assert "Retry-After" not in api.get(first["url"])
    # Far down a long queue, the hint stays short enough not to miss much.
    earlier = timezone.now() - timedelta(minutes=1)
    GenerationJob.objects.bulk_create(
        GenerationJob(owner=owner, model="tiny", request={}) for _ in range(50)
    )
    GenerationJob.objects.filter(status="queued").exclude(pk=second["id"]).update(created=earlier)
    assert api.get(second["url"])["Retry-After"] == "10"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "prompt"),
        ({"prompt": ""}, "prompt"),
        ({"prompt": "x" * 1001}, "prompt"),
        ({"prompt": "a", "width": 7}, "width"),
        ({"prompt": "a", "width": 5000}, "width"),
        ({"prompt": "a", "steps": 0}, "steps"),
        ({"prompt": "a", "steps": 1000}, "steps"),
        ({"prompt": "a", "n": 9}, "n"),
        ({"prompt": "a", "model": "nope"}, "model"),
        ({"prompt": "a", "sampler": "nope"}, "sampler"),
        ({"prompt": "a", "seed": "abc"}, "seed"),
        ({"prompt": "a", "cfg_scale": "high"}, "cfg_scale"),
        ({"prompt": "a", "cfg_scale": 10**400}, "cfg_scale"),  # too large for a float
        ({"prompt": "a", "cfg_scale": -(10**400)}, "cfg_scale"),
        ({"prompt": "a", "steps": 10**400}, "steps"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, tiny_settings, payload, field):
    response = api.post("/api/v1/generations/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert GenerationJob.objects.count() == 0


def test_a_body_that_is_not_an_object_is_a_400(api, tiny_settings):
    response = api.post("/api/v1/generations/", [1, 2], format="json")
    assert response.status_code == 400
    response = api.post("/api/v1/generations/", "{not json", content_type="application/json")
    assert response.status_code == 400


def test_anonymous_requests_are_refused(db):
    assert APIClient().post("/api/v1/generations/", {"prompt": "a"}).status_code == 401


def test_another_persons_generation_is_404(api, other, tiny_settings):
    created = api.post("/api/v1/generations/", {"prompt": "mine"}, format="json").json()
    stranger = APIClient()
    stranger.force_authenticate(other)
    assert stranger.get(created["url"]).status_code == 404
    assert stranger.post(created["url"] + "cancel/").status_code == 404


def test_cancelling_a_queued_generation(api, tiny_settings):
    created = api.post("/api/v1/generations/", {"prompt": "a"}, format="json").json()
    response = api.post(created["url"] + "cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


def test_the_waiting_job_limit_is_a_429(api, tiny_settings, settings):
    settings.ATELIER_MAX_QUEUED_JOBS = 1
    assert api.post("/api/v1/generations/", {"prompt": "a"}, format="json").status_code == 202
    response = api.post("/api/v1/generations/", {"prompt": "b"}, format="json")
    assert response.status_code == 429 and "already have 1" in response.json()["detail"]


def test_the_openapi_schema_describes_the_generation_endpoints(db):
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/v1/generations/" in schema["paths"]
    assert "/api/v1/auth/token/" in schema["paths"]


def test_a_prompt_with_a_lone_surrogate_is_refused_and_nothing_is_saved(api, tiny_settings):
    # JSON may spell a lone surrogate; no database or page can hold one.
    body = '{"prompt": "\\ud800 lone", "model": "tiny"}'
    response = api.generic("POST", "/api/v1/generations/", body, content_type="application/json")
    assert response.status_code == 400
    assert "cannot be stored" in response.json()["prompt"][0]
    assert not GenerationJob.objects.exists()


@pytest.mark.parametrize("prompt", [["x"], 5, {"text": "x"}, True])
def test_a_prompt_that_is_not_text_is_refused_not_stored_as_its_spelling(
    api, tiny_settings, prompt
):
    response = api.post("/api/v1/generations/", {"prompt": prompt}, format="json")
    assert response.status_code == 400
    assert response.json() == {"prompt": ["Give text here."]}
    assert not GenerationJob.objects.exists()


def test_a_deeply_nested_body_is_a_400_without_a_traceback(db, caplog):
    deep = "[" * 3000 + "]" * 3000
    response = APIClient().generic(
        "POST", "/api/v1/auth/token/", deep, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested deeper than 64" in response.json()["detail"]
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


def test_a_body_nested_just_past_the_limit_is_refused_and_one_within_it_read(api, tiny_settings):
    def nested(depth):
        return '{"prompt": "a fox", "extra": ' + "[" * depth + "]" * depth + "}"

    too_deep = api.generic(
        "POST", "/api/v1/generations/", nested(64), content_type="application/json"
    )
    assert too_deep.status_code == 400
    within = api.generic(
        "POST", "/api/v1/generations/", nested(63), content_type="application/json"
    )
    assert within.status_code == 202


# A starting image sent with the job (init_upload) -----------------------------


def test_a_starting_image_sent_as_base64_is_kept_and_starts_the_job(api, owner, tiny_settings):
    from gallery.models import Image

    sent = png_bytes(picture())
    body = {
        "prompt": "a fox",
        "init_upload": "data:image/png;base64," + base64.b64encode(sent).decode(),
        "denoising_strength": 0.4,
    }
    response = api.post("/api/v1/generations/", body, format="json")
    assert response.status_code == 202, response.json()
    job = GenerationJob.objects.get()
    kept = Image.objects.get()
    assert kept.owner == owner and kept.visibility == "private"
    assert job.request["init_image"] == kept.pk
    assert job.request["init_image_sha256"] == kept.sha256
    assert job.request["denoising_strength"] == 0.4


def test_a_starting_image_and_mask_sent_as_files_make_an_inpainting(api, tiny_settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    mask = PILImage.new("L", (64, 48), 0)
    mask.paste(255, (20, 14, 44, 34))
    body = {
        "prompt": "a fox",
        "init_upload": SimpleUploadedFile("start.png", png_bytes(picture()), "image/png"),
        "mask": SimpleUploadedFile("mask.png", png_bytes(mask), "image/png"),
    }
    response = api.post("/api/v1/generations/", body, format="multipart")
    assert response.status_code == 202, response.json()
    assert GenerationJob.objects.get().request["mask_sha256"]


@pytest.mark.parametrize(
    "sent",
    ["not base64 at all!", base64.b64encode(b"%PDF-1.7 not a picture").decode(), 12, ["x"]],
)
def test_a_starting_image_that_is_not_one_is_a_400_and_nothing_is_kept(api, tiny_settings, sent):
    from gallery.models import Image

    body = {"prompt": "a fox", "init_upload": sent}
    response = api.post("/api/v1/generations/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["init_upload"]
    assert not GenerationJob.objects.exists() and not Image.objects.exists()


def test_a_50_mb_base64_body_is_a_json_413_and_nothing_is_kept(api, tiny_settings):
    from gallery.models import Image

    body = json.dumps({"prompt": "a fox", "init_upload": "A" * (50 * 1024 * 1024)})
    response = api.post("/api/v1/generations/", body, content_type="application/json")
    assert response.status_code == 413
    # The limit named is the largest upload's in base64, and 1 MB (20 MB: 27.7 MB).
    assert "larger than 27.7\xa0MB" in response.json()["detail"]
    assert "multipart" in response.json()["detail"]
    assert not GenerationJob.objects.exists() and not Image.objects.exists()


def test_a_starting_image_over_5_mb_of_base64_is_taken(api, tiny_settings, settings):
    """As large as the upload form takes: DATA_UPLOAD_MAX_MEMORY_SIZE (every
    other JSON body's limit, 5 MB; here less than this body) does not apply."""
    from gallery.models import Image

    body = {
        "prompt": "a fox",
        "init_upload": base64.b64encode(png_bytes(picture())).decode(),
    }
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(json.dumps(body)) // 2
    response = api.post("/api/v1/generations/", body, format="json")
    assert response.status_code == 202, response.json()
    assert GenerationJob.objects.get().request["init_image"] == Image.objects.get().pk
