from django.contrib.auth import get_user_model
from django.test import Client

from tests.fixtures import PASSWORD


def test_signup_logs_the_person_in(db):
    client = Client()
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert get_user_model().objects.filter(username="newbie").exists()
    assert client.get("/me/images/").status_code == 200


def test_login_with_username_honours_next(owner):
    response = Client().post(
        "/accounts/login/?next=/generate/", {"login": "owner", "password": PASSWORD}
    )
    assert response.status_code == 302 and response.url == "/generate/"


def test_login_with_email_works_too(owner):
    response = Client().post(
        "/accounts/login/", {"login": "owner@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302


def test_logout_is_a_post(owner_client):
    assert owner_client.post("/accounts/logout/").status_code == 302
    assert owner_client.get("/me/images/").status_code == 302
