"""Rate limits on the API and the compatible facades: past the limit a 429
with Retry-After, in each API's own error shape; other people and other
addresses keep their own counts. Tiny limits come from settings, and the
clock stands still inside one window so the tests never straddle two."""

import pytest
from rest_framework.test import APIClient

from accounts.tokens import create_token
from atelier import rate_limits
from tests.fixtures import PASSWORD

NOW = 1_699_999_990.0  # 50 s before a minute's window ends
RETRY_AFTER = "50"


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(rate_limits, "clock", lambda: NOW)


def token_client(user, ip="10.0.0.1", scheme="Token"):
    client = APIClient(REMOTE_ADDR=ip)
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {create_token(user, 'test')[1]}")
    return client


@pytest.fixture
def limits(settings):
    settings.ATELIER_RATE_GENERATIONS = "2/m"
    settings.ATELIER_RATE_GENERATIONS_IP = ""
    settings.ATELIER_RATE_TOKEN_AUTH = "2/m"
    settings.ATELIER_RATE_TOKEN_AUTH_IP = "3/m"
    settings.ATELIER_RATE_COMMENTS = "2/m"
    settings.ATELIER_RATE_UPLOADS = "2/m"
    return settings


def assert_limited(response):
    assert response.status_code == 429, response.content
    assert response["Retry-After"] == RETRY_AFTER


# ---- Rates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, rate",
    [("30/m", (30, 60)), ("100/10m", (100, 600)), (" 5 / h ", (5, 3600)), ("1/2d", (1, 172800))],
)
def test_rates_are_read_from_their_short_form(text, rate):
    parsed = rate_limits.parse_rate(text)
    assert (parsed.count, parsed.seconds) == rate


@pytest.mark.parametrize("text", ["", "0", None, "0/m"])
def test_an_empty_rate_is_no_limit(text):
    assert rate_limits.parse_rate(text) is None


def test_a_bad_rate_is_a_configuration_error():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        rate_limits.parse_rate("thirty a minute")


def test_a_new_window_starts_a_new_count(limits, monkeypatch):
    for _ in range(2):
        assert rate_limits.hit(rate_limits.GENERATIONS, "user:1") is None
    assert rate_limits.hit(rate_limits.GENERATIONS, "user:1") == 50
    monkeypatch.setattr(rate_limits, "clock", lambda: NOW + 50)
    assert rate_limits.hit(rate_limits.GENERATIONS, "user:1") is None


# ---- Generations -------------------------------------------------------------------


def test_generation_submissions_are_limited_per_person(limits, owner, other):
    client = token_client(owner)
    for _ in range(2):  # counted whether or not the body is valid
        assert client.post("/api/v1/generations/", {}, format="json").status_code == 400
    response = client.post("/api/v1/generations/", {"prompt": "a fox"}, format="json")
    assert_limited(response)
    assert "throttled" in response.json()["detail"]
    # Someone else, from the same address, is not held back.
    other_response = token_client(other).post("/api/v1/generations/", {}, format="json")
    assert other_response.status_code == 400


def test_reading_generations_is_not_counted(limits, owner):
    client = token_client(owner)
    for _ in range(4):
        assert client.get("/api/v1/models/").status_code == 200
    assert client.post("/api/v1/generations/", {}, format="json").status_code == 400


def test_generation_submissions_are_limited_per_address(limits, owner, other):
    limits.ATELIER_RATE_GENERATIONS = ""
    limits.ATELIER_RATE_GENERATIONS_IP = "2/m"
    token_client(owner, ip="10.0.0.1").post("/api/v1/generations/", {}, format="json")
    token_client(other, ip="10.0.0.1").post("/api/v1/generations/", {}, format="json")
    assert_limited(token_client(other, ip="10.0.0.1").post("/api/v1/generations/", {}))
    other_address = token_client(other, ip="10.0.0.2").post("/api/v1/generations/", {})
    assert other_address.status_code == 400


def test_the_openai_facade_answers_its_own_429(limits, owner, other):
    client = token_client(owner, scheme="Bearer")
    for _ in range(2):
        assert client.post("/v1/images/generations", {}, format="json").status_code == 400
    response = client.post("/v1/images/generations", {"prompt": "a fox"}, format="json")
    assert_limited(response)
    error = response.json()["error"]
    assert error["type"] == "requests" and error["code"] == "rate_limit_exceeded"
    assert set(error) == {"message", "type", "param", "code"}
    assert client.get("/v1/models").status_code == 200  # listing models is not counted
    other_client = token_client(other, scheme="Bearer")
    assert other_client.post("/v1/images/generations", {}, format="json").status_code == 400


def test_the_a1111_facade_answers_its_own_429(limits, owner):
    client = token_client(owner)
    for _ in range(2):
        assert client.post("/sdapi/v1/txt2img", [], format="json").status_code == 422
    response = client.post("/sdapi/v1/txt2img", {"prompt": "a fox"}, format="json")
    assert_limited(response)
    assert isinstance(response.json()["detail"], str)
    assert client.get("/sdapi/v1/samplers").status_code == 200


def test_the_page_form_and_the_api_share_one_count(limits, owner, owner_client):
    owner_client.post("/generate/", {})
    token_client(owner).post("/api/v1/generations/", {}, format="json")
    assert_limited(token_client(owner).post("/api/v1/generations/", {}, format="json"))


# ---- Token authentication ------------------------------------------------------------


def ask_token(username, password="nope", ip="10.0.0.1"):
    return APIClient(REMOTE_ADDR=ip).post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


def test_token_attempts_are_limited_per_username_and_address(limits, owner, other):
    for _ in range(2):
        assert ask_token("owner").status_code == 400
    # Even the right password waits now, from that address.
    assert_limited(ask_token("owner", PASSWORD))
    assert_limited(ask_token("OWNER"))


def test_a_stranger_asking_for_tokens_cannot_lock_the_owner_out(limits, owner):
    for _ in range(3):
        ask_token("owner", ip="10.6.6.6")
    assert_limited(ask_token("owner", ip="10.6.6.6"))
    assert ask_token("owner", PASSWORD, ip="10.0.0.2").status_code == 200


def test_token_attempts_are_limited_per_address(limits, owner):
    for name in ("a", "b", "c"):
        assert ask_token(name).status_code == 400
    assert_limited(ask_token("owner", PASSWORD))
    assert ask_token("owner", PASSWORD, ip="10.0.0.9").status_code == 200


# ---- Comments ------------------------------------------------------------------------


def test_comments_are_limited_per_person(limits, owner, other, make_image):
    image = make_image(owner, visibility="public")
    url = f"/api/v1/images/{image.pk}/comments/"
    client = token_client(other)
    for n in range(2):
        assert client.post(url, {"text": f"nice {n}"}, format="json").status_code == 201
    assert_limited(client.post(url, {"text": "one more"}, format="json"))
    assert client.get(url).status_code == 200  # reading is not counted
    assert token_client(owner).post(url, {"text": "thanks"}, format="json").status_code == 201


def test_uploads_are_limited_per_person(limits, owner, other, isolated_storage):
    from gallery.models import Image
    from gallery.tests.test_upload import image_bytes, noise_png, upload

    client = token_client(other)
    for n in range(2):  # different files: the same one again would be a duplicate (200)
        response = client.post("/api/v1/images/", {"file": upload(noise_png(), f"{n}.png")})
        assert response.status_code == 201
    assert_limited(client.post("/api/v1/images/", {"file": upload(image_bytes())}))
    assert Image.objects.count() == 2
    assert client.get("/api/v1/images/").status_code == 200  # reading is not counted
    assert (
        token_client(owner).post("/api/v1/images/", {"file": upload(image_bytes())}).status_code
        == 201
    )
