"""Rate limits on the pages: the generate form and comments answer 429 with
Retry-After and the form again (the text kept); htmx gets the partial; signup
and login are django-allauth's limits (ACCOUNT_RATE_LIMITS), answered by our
429 page; failed logins lock an account out for a while."""

import pytest
from django.test import Client

from atelier import rate_limits
from gallery.models import Comment
from tests.fixtures import PASSWORD, logged_in

NOW = 1_699_999_990.0  # 50 s before a minute's window ends
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(rate_limits, "clock", lambda: NOW)


@pytest.fixture
def limits(settings):
    settings.ATELIER_RATE_GENERATIONS = "2/m"
    settings.ATELIER_RATE_GENERATIONS_IP = ""
    settings.ATELIER_RATE_COMMENTS = "2/m"
    return settings


def test_the_generate_form_is_limited_and_shown_again(limits, owner_client, other_client):
    for _ in range(2):
        assert owner_client.post("/generate/", {"prompt": ""}).status_code == 200
    response = owner_client.post("/generate/", {"prompt": "a quiet fox"})
    assert response.status_code == 429 and response["Retry-After"] == "50"
    assert "Too many requests: please wait 50 seconds" in response.text
    assert "a quiet fox" in response.text  # what they typed is still there
    assert owner_client.get("/generate/").status_code == 200  # the page itself still opens
    assert other_client.post("/generate/", {"prompt": ""}).status_code == 200


def test_the_generate_form_is_limited_per_address(limits, owner, other):
    limits.ATELIER_RATE_GENERATIONS = ""
    limits.ATELIER_RATE_GENERATIONS_IP = "1/m"
    first, second = logged_in(owner), logged_in(other)
    assert first.post("/generate/", {}, REMOTE_ADDR="10.0.0.1").status_code == 200
    assert second.post("/generate/", {}, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert second.post("/generate/", {}, REMOTE_ADDR="10.0.0.2").status_code == 200


@pytest.fixture
def public(owner, make_image):
    return make_image(owner, visibility="public")


def test_comments_on_the_page_are_limited(limits, public, other_client, owner_client):
    url = f"/images/{public.pk}/comments/"
    for n in range(2):
        assert other_client.post(url, {"text": f"nice {n}"}).status_code == 302
    response = other_client.post(url, {"text": "a third thought"})
    assert response.status_code == 429 and response["Retry-After"] == "50"
    assert "Too many requests" in response.text and "a third thought" in response.text
    assert Comment.objects.count() == 2
    assert owner_client.post(url, {"text": "thanks"}).status_code == 302


def test_htmx_comments_get_the_form_back_with_a_message(limits, public, other_client):
    url = f"/images/{public.pk}/comments/"
    for n in range(2):
        assert other_client.post(url, {"text": f"nice {n}"}, **HTMX).status_code == 200
    response = other_client.post(url, {"text": "again"}, **HTMX)
    assert response.status_code == 429 and response["Retry-After"] == "50"
    assert response.text.lstrip().startswith('<form class="comment-form"')
    assert "Too many requests" in response.text and "again</textarea>" in response.text


def test_a_decorated_page_answers_the_429_page_or_an_htmx_message(limits, rf, owner):
    from django.http import HttpResponse
    from django_htmx.middleware import HtmxMiddleware

    limits.ATELIER_RATE_COMMENTS = "1/m"
    limited = rate_limits.rate_limit_page(rate_limits.COMMENTS)(lambda request: HttpResponse("ok"))
    view = HtmxMiddleware(limited)  # the one middleware the decorator relies on

    def post(**extra):
        request = rf.post("/somewhere/", **extra)
        request.user = owner
        return view(request)

    assert post().status_code == 200
    page = post()
    assert page.status_code == 429 and page["Retry-After"] == "50"
    assert "Slow down" in page.content.decode()
    htmx = post(**HTMX)
    assert htmx.status_code == 429 and htmx["Retry-After"] == "50"
    assert htmx.content.decode().startswith('<div class="alert alert-warning" role="alert">')


# ---- django-allauth: signup, login, failed logins -------------------------------------


def signup(client, n):
    return client.post(
        "/accounts/signup/",
        {
            "username": f"new{n}",
            "email": f"new{n}@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )


def test_signups_are_limited_per_address(settings, db):
    settings.ACCOUNT_RATE_LIMITS = {"signup": "2/m/ip"}
    for n in range(2):
        assert signup(Client(REMOTE_ADDR="10.0.0.1"), n).status_code == 302
    response = signup(Client(REMOTE_ADDR="10.0.0.1"), 3)
    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert "Slow down" in response.text
    assert signup(Client(REMOTE_ADDR="10.0.0.2"), 4).status_code == 302


def login(password, ip="10.0.0.1"):
    client = Client(REMOTE_ADDR=ip)
    client.post("/accounts/login/", {"login": "owner", "password": password})
    return client


def test_failed_logins_lock_the_account_for_a_while_from_that_address(settings, owner):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,2/5m/key"}
    for _ in range(2):
        assert "_auth_user_id" not in login("wrong").session
    # Even the right password is refused now, from that address.
    assert "_auth_user_id" not in login(PASSWORD).session


def test_a_stranger_guessing_cannot_lock_the_owner_out(settings, owner):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,2/5m/key"}
    for _ in range(5):
        assert "_auth_user_id" not in login("wrong", ip="10.6.6.6").session
    assert "_auth_user_id" in login(PASSWORD, ip="10.0.0.2").session


def test_failed_logins_are_limited_per_address_across_accounts(settings, owner):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip,2/5m/key"}
    for name in ("a", "b", "c"):
        Client(REMOTE_ADDR="10.6.6.6").post("/accounts/login/", {"login": name, "password": "x"})
    assert "_auth_user_id" not in login(PASSWORD, ip="10.6.6.6").session
    assert "_auth_user_id" in login(PASSWORD, ip="10.0.0.2").session


def test_a_right_password_logs_in_under_the_limit(settings, owner):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,2/5m/key"}
    assert "_auth_user_id" not in login("wrong").session
    assert "_auth_user_id" in login(PASSWORD).session
