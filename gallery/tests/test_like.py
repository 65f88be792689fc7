"""Liking and unliking on the pages: the heart toggles itself through htmx and
falls back to plain form posts; owner, another person, staff and a visitor
side by side; refused or repeated likes change nothing."""

import pytest
from django.template.loader import render_to_string
from django.test import Client

from gallery.likes import like
from gallery.models import Image, Like

HTMX = {"HTTP_HX_REQUEST": "true"}


def like_count(image) -> int:
    return Image.objects.get(pk=image.pk).like_count


@pytest.fixture
def public(owner, make_image):
    return make_image(owner, visibility="public")


def test_a_person_likes_a_public_image(other, other_client, public):
    response = other_client.post(f"/images/{public.pk}/like/")
    assert response.status_code == 302 and response.url == f"/images/{public.pk}/"
    assert Like.objects.filter(user=other, image=public).exists()
    assert like_count(public) == 1


def test_the_htmx_like_answers_the_pressed_button(other_client, public):
    response = other_client.post(f"/images/{public.pk}/like/", **HTMX)
    html = response.text
    assert response.status_code == 200
    assert "like-btn is-liked" in html and 'aria-pressed="true"' in html
    assert f'hx-delete="/images/{public.pk}/like/"' in html
    assert '<span class="like-count">1</span>' in html
    assert 'hx-swap="outerHTML"' in html


def test_the_htmx_delete_unlikes_and_answers_the_released_button(other, other_client, public):
    like(other, public)
    response = other_client.delete(f"/images/{public.pk}/like/", **HTMX)
    html = response.text
    assert response.status_code == 200
    assert "is-liked" not in html and 'aria-pressed="false"' in html
    assert f'hx-post="/images/{public.pk}/like/"' in html
    assert '<span class="like-count">0</span>' in html
    assert not Like.objects.exists() and like_count(public) == 0


def test_a_tiles_small_button_is_answered_with_a_small_button(other, other_client, public):
    html = other_client.get("/explore/").text
    assert f'hx-post="/images/{public.pk}/like/?compact=1"' in html
    pressed = other_client.post(f"/images/{public.pk}/like/?compact=1", **HTMX).text
    assert "btn btn-sm btn-outline-secondary like-btn is-liked" in pressed
    assert f'hx-delete="/images/{public.pk}/like/?compact=1"' in pressed
    released = other_client.delete(f"/images/{public.pk}/like/?compact=1", **HTMX).text
    assert "btn-sm" in released and like_count(public) == 0
    assert "btn-sm" not in other_client.post(f"/images/{public.pk}/like/", **HTMX).text


def test_the_plain_form_unlikes_with_a_post(other, other_client, public):
    like(other, public)
    response = other_client.post(f"/images/{public.pk}/unlike/")
    assert response.status_code == 302
    assert not Like.objects.exists() and like_count(public) == 0


def test_liking_twice_changes_nothing(other, other_client, public):
    other_client.post(f"/images/{public.pk}/like/")
    response = other_client.post(f"/images/{public.pk}/like/", **HTMX)
    assert "is-liked" in response.text and '<span class="like-count">1</span>' in response.text
    assert Like.objects.count() == 1 and like_count(public) == 1


def test_unliking_what_was_not_liked_changes_nothing(other, other_client, public, make_image):
    like(other, make_image(other, visibility="public"))  # a like elsewhere stays
    response = other_client.delete(f"/images/{public.pk}/like/", **HTMX)
    assert response.status_code == 200 and '<span class="like-count">0</span>' in response.text
    assert Like.objects.count() == 1 and like_count(public) == 0


def test_two_people_liking_add_up(owner_client, other_client, public):
    owner_client.post(f"/images/{public.pk}/like/")
    response = other_client.post(f"/images/{public.pk}/like/", **HTMX)
    assert '<span class="like-count">2</span>' in response.text
    assert like_count(public) == 2


@pytest.mark.parametrize("method", ["post", "delete"])
def test_another_persons_private_image_is_404_and_nothing_changes(
    owner, other, other_client, make_image, method
):
    private = make_image(owner, visibility="private")
    like(owner, private)
    response = getattr(other_client, method)(f"/images/{private.pk}/like/", **HTMX)
    assert response.status_code == 404
    assert other_client.post(f"/images/{private.pk}/unlike/").status_code == 404
    assert list(Like.objects.values_list("user__username", flat=True)) == ["owner"]
    assert like_count(private) == 1


def test_a_missing_image_is_404(other_client, db):
    assert other_client.post("/images/999999/like/").status_code == 404


@pytest.mark.parametrize("person", ["owner", "staff"])
def test_the_owner_and_staff_can_like_a_private_image(request, owner, make_image, person):
    private = make_image(owner, visibility="private")
    client = request.getfixturevalue(f"{person}_client")
    assert client.post(f"/images/{private.pk}/like/").status_code == 302
    assert like_count(private) == 1


def test_an_unlisted_image_can_be_liked_by_anyone_with_its_link(owner, other_client, make_image):
    unlisted = make_image(owner, visibility="unlisted")
    assert other_client.post(f"/images/{unlisted.pk}/like/").status_code == 302
    assert like_count(unlisted) == 1


def test_a_visitor_is_sent_to_log_in_and_back_to_the_image(public):
    response = Client().post(f"/images/{public.pk}/like/")
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next=/images/{public.pk}/"
    assert not Like.objects.exists() and like_count(public) == 0


def test_a_visitors_htmx_like_redirects_the_page_to_log_in(public):
    response = Client().post(f"/images/{public.pk}/like/", **HTMX)
    assert response.status_code == 401
    assert response["HX-Redirect"] == f"/accounts/login/?next=/images/{public.pk}/"
    assert not Like.objects.exists()


def test_liking_needs_the_csrf_token(other, public):
    client = Client(enforce_csrf_checks=True)
    client.force_login(other)
    assert client.post(f"/images/{public.pk}/like/").status_code == 403
    assert not Like.objects.exists()


def test_liking_is_never_a_get(other_client, public):
    assert other_client.get(f"/images/{public.pk}/like/").status_code == 405
    assert other_client.get(f"/images/{public.pk}/unlike/").status_code == 405
    assert not Like.objects.exists()


def test_a_plain_post_returns_to_a_page_of_this_site(other_client, public):
    response = other_client.post(f"/images/{public.pk}/like/", {"next": "/?feed=popular"})
    assert response.url == "/?feed=popular"
    response = other_client.post(f"/images/{public.pk}/unlike/", HTTP_REFERER="/topics/")
    assert response.url == "/topics/"


def test_a_plain_post_never_returns_to_another_site(other_client, public):
    response = other_client.post(
        f"/images/{public.pk}/like/",
        {"next": "https://evil.example/"},
        HTTP_REFERER="https://evil.example/x",
    )
    assert response.url == f"/images/{public.pk}/"


def test_the_button_for_a_visitor_links_to_log_in(rf, public):
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = AnonymousUser()
    html = render_to_string(
        "gallery/_like_button.html", {"image": public, "liked": False}, request=request
    )
    assert f'href="/accounts/login/?next=/images/{public.pk}/"' in html
    assert "hx-post" not in html and "like-btn" in html


def test_the_button_is_a_form_that_works_without_javascript(rf, other, public):
    request = rf.get("/")
    request.user = other
    html = render_to_string(
        "gallery/_like_button.html", {"image": public, "liked": True}, request=request
    )
    assert f'action="/images/{public.pk}/unlike/"' in html and "csrfmiddlewaretoken" in html
    assert 'type="submit"' in html and 'hx-params="none"' in html
