"""Pages every visitor can reach render, with a strict CSP and no inline code."""

import re

import pytest


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/signup/", "/api/docs/"])
def test_public_pages_render_with_a_strict_content_security_policy(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


@pytest.mark.parametrize(
    "path", ["/", "/healthz", "/api/v1/models/", "/admin/login/", "/no-such-page/", "/favicon.ico"]
)
def test_every_response_turns_off_the_browser_features_atelier_never_uses(client, db, path):
    policy = client.get(path)["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy


def test_a_file_response_carries_the_permissions_policy_too(owner_client, owner, make_image):
    image = make_image(owner)
    assert "camera=()" in owner_client.get(f"/images/{image.pk}/file")["Permissions-Policy"]


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/generate/", "/me/images/"])
def test_pages_carry_no_inline_scripts_or_styles(owner_client, path):
    html = owner_client.get(path).text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert " style=" not in html, "inline style attribute"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


def test_the_api_schema_is_served(client, db):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"openapi" in response.content


def test_the_api_reference_is_a_page_of_the_site(client, db):
    html = client.get("/api/docs/").text
    assert 'aria-label="Main"' in html  # the site's navbar
    assert 'id="swagger-ui"' in html and "swagger-ui-bundle.js" in html
    assert re.search(r'<script src="/api/docs/\?[^"]*script', html)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) and "<style" not in html
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200 and "SwaggerUIBundle" in script.text
