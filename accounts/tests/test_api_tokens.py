"""API tokens: stored hashed, listed by prefix, named, revoked at once — in the
REST API and in the A1111 and OpenAI facades."""

import base64
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import tokens
from accounts.models import ApiToken
from tests.fixtures import PASSWORD

ME = "/api/v1/profiles/me/"


def api(header: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    return client


def basic(username: str, token: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{token}".encode()).decode()


def all_stored_text() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, prefix, key_hash FROM accounts_apitoken")
        return " ".join(" ".join(map(str, row)) for row in cursor.fetchall())


# ---- Storage ----------------------------------------------------------------------


def test_only_a_hash_of_the_secret_is_stored(owner):
    token, plaintext = tokens.create_token(owner, "laptop")
    assert len(plaintext) >= 40
    assert plaintext not in all_stored_text()
    assert token.key_hash == tokens.hash_token(plaintext) != plaintext
    assert token.prefix == plaintext[:8]
    assert tokens.authenticate(plaintext) == owner


def test_every_token_is_different(owner):
    secrets = {tokens.create_token(owner, "t")[1] for _ in range(20)}
    assert len(secrets) == 20


def test_unknown_overlong_and_empty_secrets_are_nobody(owner):
    _, plaintext = tokens.create_token(owner, "t")
    assert tokens.authenticate(plaintext + "x") is None
    assert tokens.authenticate("") is None
    assert tokens.authenticate("a" * 10_000) is None


def test_an_inactive_persons_token_is_refused(owner):
    _, plaintext = tokens.create_token(owner, "t")
    owner.is_active = False
    owner.save()
    assert tokens.authenticate(plaintext) is None


def test_last_used_is_written_at_most_once_a_minute(owner):
    token, plaintext = tokens.create_token(owner, "t")
    assert token.last_used is None
    tokens.authenticate(plaintext)
    first = ApiToken.objects.get(pk=token.pk).last_used
    assert first is not None
    tokens.authenticate(plaintext)
    assert ApiToken.objects.get(pk=token.pk).last_used == first
    ApiToken.objects.filter(pk=token.pk).update(last_used=first - timedelta(minutes=2))
    tokens.authenticate(plaintext)
    assert ApiToken.objects.get(pk=token.pk).last_used > first - timedelta(minutes=1)


# ---- Headers: Token, Bearer, Basic ------------------------------------------------


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "bearer"])
def test_token_and_bearer_both_authenticate_the_rest_api(owner, scheme):
    _, plaintext = tokens.create_token(owner, "t")
    response = api(f"{scheme} {plaintext}").get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == "owner"


@pytest.mark.parametrize("header", ["Token nope", "Bearer nope", "Token", "Token a b"])
def test_a_bad_token_is_a_401(db, header):
    assert api(header).get(ME).status_code == 401


def test_the_facades_take_the_token(owner):
    _, plaintext = tokens.create_token(owner, "t")
    assert api(basic("owner", plaintext)).get("/sdapi/v1/samplers").status_code == 200
    assert api(f"Bearer {plaintext}").get("/sdapi/v1/samplers").status_code == 200
    assert api(f"Bearer {plaintext}").get("/v1/models").status_code == 200
    assert api(f"Token {plaintext}").get("/v1/models").status_code == 200


def test_basic_auth_needs_the_tokens_own_username(owner, other):
    _, plaintext = tokens.create_token(owner, "t")
    assert api(basic("other", plaintext)).get("/sdapi/v1/samplers").status_code == 401
    assert api(basic("owner", PASSWORD)).get("/sdapi/v1/samplers").status_code == 401


# ---- Revocation -------------------------------------------------------------------


def test_revocation_takes_effect_at_once_everywhere(owner):
    token, plaintext = tokens.create_token(owner, "t")
    rest, bearer = api(f"Token {plaintext}"), api(f"Bearer {plaintext}")
    sdapi, openai = api(basic("owner", plaintext)), api(f"Bearer {plaintext}")
    assert rest.get(ME).status_code == 200
    assert bearer.get(ME).status_code == 200
    assert sdapi.get("/sdapi/v1/samplers").status_code == 200
    assert openai.get("/v1/models").status_code == 200

    tokens.revoke(token)

    assert rest.get(ME).status_code == 401
    assert bearer.get(ME).status_code == 401
    assert sdapi.get("/sdapi/v1/samplers").status_code == 401
    refused = openai.get("/v1/models")
    assert refused.status_code == 401 and "error" in refused.json()
    assert tokens.authenticate(plaintext) is None


def test_revoking_one_token_leaves_the_others(owner):
    first, first_secret = tokens.create_token(owner, "one")
    _, second_secret = tokens.create_token(owner, "two")
    tokens.revoke(first)
    assert tokens.authenticate(first_secret) is None
    assert tokens.authenticate(second_secret) == owner


def test_revoking_from_the_page_stops_the_token_at_once(owner, owner_client):
    token, plaintext = tokens.create_token(owner, "laptop")
    client = api(f"Bearer {plaintext}")
    assert client.get(ME).status_code == 200
    response = owner_client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:tokens")
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_at <= timezone.now()
    assert client.get(ME).status_code == 401
    page = owner_client.get(reverse("accounts:tokens")).text
    assert "was revoked" in page and token.prefix not in page


def test_another_persons_token_cannot_be_revoked(owner, other_client):
    token, plaintext = tokens.create_token(owner, "mine")
    response = other_client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None and tokens.authenticate(plaintext) == owner


def test_revoking_needs_a_post_and_a_login(owner, owner_client, client):
    token, _ = tokens.create_token(owner, "mine")
    url = reverse("accounts:token_revoke", args=[token.pk])
    assert owner_client.get(url).status_code == 405
    assert client.post(url).status_code == 302  # to the login page
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_revoked_token_cannot_be_revoked_again(owner, owner_client):
    token, _ = tokens.create_token(owner, "mine")
    tokens.revoke(token)
    response = owner_client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404


# ---- The settings page ------------------------------------------------------------


def test_the_page_lists_tokens_by_name_and_prefix_only(owner, other, owner_client):
    _, plaintext = tokens.create_token(owner, "laptop script")
    _, others = tokens.create_token(other, "someone else's")
    response = owner_client.get(reverse("accounts:tokens"))
    assert response.status_code == 200
    html = response.text
    assert "laptop script" in html and plaintext[:8] in html
    assert plaintext not in html and plaintext[:12] not in html
    assert "someone else" not in html and others[:8] not in html
    assert "no-store" in response["Cache-Control"]


def test_creating_a_token_shows_its_secret_once(owner, owner_client):
    response = owner_client.post(reverse("accounts:tokens"), {"name": "  Open WebUI  "})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=owner)
    assert token.name == "Open WebUI"
    plaintext = response.context["plaintext"]
    assert plaintext in response.text and 'data-copy-target="new-api-token"' in response.text
    assert tokens.authenticate(plaintext) == owner
    assert plaintext not in all_stored_text()
    assert plaintext not in owner_client.get(reverse("accounts:tokens")).text


@pytest.mark.parametrize("name", ["", "   ", "x" * 61])
def test_a_name_is_required_and_limited(owner, owner_client, name):
    response = owner_client.post(reverse("accounts:tokens"), {"name": name})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.exists()


def test_a_name_of_sixty_characters_is_fine(owner, owner_client):
    owner_client.post(reverse("accounts:tokens"), {"name": "x" * 60})
    assert ApiToken.objects.get(user=owner).name == "x" * 60


def test_the_number_of_live_tokens_is_limited(owner, owner_client, settings):
    from accounts.forms import ApiTokenForm

    for i in range(ApiTokenForm.MAX_LIVE):
        tokens.create_token(owner, f"t{i}")
    response = owner_client.post(reverse("accounts:tokens"), {"name": "one more"})
    assert response.context["form"].non_field_errors()
    assert ApiToken.objects.filter(user=owner).count() == ApiTokenForm.MAX_LIVE


def test_the_page_needs_a_login(client, db):
    response = client.get(reverse("accounts:tokens"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_page_is_linked_from_the_navbar_and_the_profile_page(owner_client):
    url = reverse("accounts:tokens")
    assert f'href="{url}"' in owner_client.get("/").text
    assert f'href="{url}"' in owner_client.get(reverse("accounts:profile_edit")).text


def test_the_page_has_no_inline_script_or_style(owner, owner_client):
    tokens.create_token(owner, "t")
    html = owner_client.post(reverse("accounts:tokens"), {"name": "new"}).text
    assert "<script>" not in html and " style=" not in html and " onclick=" not in html


# ---- The login endpoint -----------------------------------------------------------


def test_the_login_endpoint_makes_a_new_named_token_each_time(owner):
    client = APIClient()
    first = client.post(
        "/api/v1/auth/token/", {"username": "owner", "password": PASSWORD}, format="json"
    )
    second = client.post(
        "/api/v1/auth/token/", {"username": "owner", "password": PASSWORD}, format="json"
    )
    assert first.status_code == second.status_code == 200
    assert set(first.json()) == {"token"}
    assert first.json()["token"] != second.json()["token"]
    rows = ApiToken.objects.filter(user=owner)
    assert rows.count() == 2 and all(row.name.startswith("API login ") for row in rows)
    assert first.json()["token"] not in all_stored_text()
    assert api(f"Bearer {first.json()['token']}").get(ME).status_code == 200


def test_the_login_endpoint_refuses_a_wrong_password(owner):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "owner", "password": "nope"}, format="json"
    )
    assert response.status_code == 400 and "token" not in response.json()
    assert not ApiToken.objects.exists()
