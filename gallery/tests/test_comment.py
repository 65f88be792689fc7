"""Adding, editing and deleting comments on the pages (htmx and plain forms):
the author, the image's owner, another person, staff and a visitor side by
side; bad text and refused changes leave everything as it was."""

import pytest
from django.test import Client

from gallery.comments import add
from gallery.models import Comment, Image

HTMX = {"HTTP_HX_REQUEST": "true"}


def comment_count(image) -> int:
    return Image.objects.get(pk=image.pk).comment_count


@pytest.fixture
def public(owner, make_image):
    return make_image(owner, visibility="public")


@pytest.fixture
def others_comment(other, public):
    return add(other, public, "Nice light")


# ---- Adding ---------------------------------------------------------------------


def test_a_person_comments_on_a_public_image(other, other_client, public):
    response = other_client.post(f"/images/{public.pk}/comments/", {"text": "  Lovely colours \n"})
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response.url == f"/images/{public.pk}/#comment-{comment.pk}"
    assert (comment.user, comment.image, comment.text) == (other, public, "Lovely colours")
    assert comment.edited is None and comment_count(public) == 1


def test_the_htmx_comment_is_appended_with_a_fresh_form_and_the_new_count(other_client, public):
    response = other_client.post(f"/images/{public.pk}/comments/", {"text": "Lovely"}, **HTMX)
    html = response.text
    comment = Comment.objects.get()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<form class="comment-form" id="comment-form-{public.pk}"')
    assert f'hx-swap-oob="beforeend:#comments-list-{public.pk}"' in html
    assert f'id="comment-{comment.pk}"' in html and "Lovely</p>" in html
    assert f'<span id="comment-count-{public.pk}" hx-swap-oob="true">1</span>' in html
    assert "<textarea" in html and "\nLovely</textarea>" not in html  # the new form is empty


def test_a_comment_of_5000_characters_is_accepted(other_client, public):
    text = "x" * 5000
    other_client.post(f"/images/{public.pk}/comments/", {"text": f"  {text}  "})
    assert Comment.objects.get().text == text and comment_count(public) == 1


@pytest.mark.parametrize(
    "text, error",
    [
        ("", "can&#x27;t be empty"),
        ("   \n\t ", "can&#x27;t be empty"),
        ("x" * 5001, "at most 5000 characters"),
    ],
    ids=["empty", "blank", "5001-characters"],
)
def test_it_rejects_bad_text_and_saves_nothing(other_client, public, text, error):
    response = other_client.post(f"/images/{public.pk}/comments/", {"text": text})
    assert response.status_code == 400 and error in response.text
    assert 'class="viewer"' in response.text  # the page again, with the error at the form
    response = other_client.post(f"/images/{public.pk}/comments/", {"text": text}, **HTMX)
    assert response.status_code == 200 and error in response.text and "is-invalid" in response.text
    assert "hx-swap-oob" not in response.text
    assert not Comment.objects.exists() and comment_count(public) == 0


def test_a_missing_text_field_is_rejected(other_client, public):
    response = other_client.post(f"/images/{public.pk}/comments/", {})
    assert response.status_code == 400 and not Comment.objects.exists()


def test_the_owner_and_staff_comment_on_a_private_image(
    owner, owner_client, staff_client, make_image
):
    private = make_image(owner, visibility="private")
    owner_client.post(f"/images/{private.pk}/comments/", {"text": "mine"})
    staff_client.post(f"/images/{private.pk}/comments/", {"text": "staff note"})
    assert comment_count(private) == 2


def test_another_person_cannot_comment_on_a_private_image(owner, other_client, make_image):
    private = make_image(owner, visibility="private")
    response = other_client.post(f"/images/{private.pk}/comments/", {"text": "hi"}, **HTMX)
    assert response.status_code == 404
    assert not Comment.objects.exists() and comment_count(private) == 0


def test_a_visitor_is_sent_to_log_in_and_nothing_is_saved(public):
    response = Client().post(f"/images/{public.pk}/comments/", {"text": "hi"})
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next=/images/{public.pk}/"
    assert not Comment.objects.exists()


def test_commenting_needs_the_csrf_token(other, public):
    client = Client(enforce_csrf_checks=True)
    client.force_login(other)
    response = client.post(f"/images/{public.pk}/comments/", {"text": "hi"})
    assert response.status_code == 403 and not Comment.objects.exists()


def test_the_comment_text_is_escaped(other_client, public):
    response = other_client.post(
        f"/images/{public.pk}/comments/", {"text": "<img src=x onerror=alert(1)>"}, **HTMX
    )
    assert "<img src=x" not in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in response.text


# ---- Editing ----------------------------------------------------------------------


def test_the_author_gets_the_inline_edit_form(other_client, others_comment):
    response = other_client.get(f"/comments/{others_comment.pk}/edit/", **HTMX)
    html = response.text
    assert response.status_code == 200
    assert html.lstrip().startswith(
        f'<form class="comment comment-editing" id="comment-{others_comment.pk}"'
    )
    assert "\nNice light</textarea>" in html
    assert f'hx-get="/comments/{others_comment.pk}/"' in html  # Cancel puts the comment back
    assert "<html" not in html


def test_without_htmx_the_edit_form_is_a_page(other_client, others_comment):
    response = other_client.get(f"/comments/{others_comment.pk}/edit/")
    assert response.status_code == 200 and "<html" in response.text
    assert "Edit your comment" in response.text


def test_the_author_edits_their_comment_and_it_is_marked_edited(other_client, others_comment):
    response = other_client.post(
        f"/comments/{others_comment.pk}/edit/", {"text": " Nicer light "}, **HTMX
    )
    others_comment.refresh_from_db()
    assert response.status_code == 200
    assert response.text.lstrip().startswith(
        f'<article class="comment" id="comment-{others_comment.pk}"'
    )
    assert "Nicer light</p>" in response.text and "edited" in response.text
    assert others_comment.text == "Nicer light" and others_comment.edited is not None


def test_a_plain_edit_redirects_to_the_comment(other_client, public, others_comment):
    response = other_client.post(f"/comments/{others_comment.pk}/edit/", {"text": "Changed"})
    assert response.status_code == 302
    assert response.url == f"/images/{public.pk}/#comment-{others_comment.pk}"


def test_saving_the_same_text_does_not_mark_it_edited(other_client, others_comment):
    other_client.post(f"/comments/{others_comment.pk}/edit/", {"text": "Nice light"}, **HTMX)
    others_comment.refresh_from_db()
    assert others_comment.edited is None


@pytest.mark.parametrize("text", ["", "  ", "y" * 5001])
def test_an_edit_with_bad_text_changes_nothing(other_client, others_comment, text):
    response = other_client.post(f"/comments/{others_comment.pk}/edit/", {"text": text}, **HTMX)
    assert response.status_code == 200 and "is-invalid" in response.text
    response = other_client.post(f"/comments/{others_comment.pk}/edit/", {"text": text})
    assert response.status_code == 400
    others_comment.refresh_from_db()
    assert others_comment.text == "Nice light" and others_comment.edited is None


@pytest.mark.parametrize("person", ["owner", "staff"])
def test_nobody_but_the_author_edits_a_comment(request, others_comment, person):
    client = request.getfixturevalue(f"{person}_client")
    assert client.get(f"/comments/{others_comment.pk}/edit/").status_code == 403
    response = client.post(f"/comments/{others_comment.pk}/edit/", {"text": "mine now"})
    assert response.status_code == 403
    others_comment.refresh_from_db()
    assert others_comment.text == "Nice light" and others_comment.edited is None


def test_a_comment_on_an_image_made_private_is_404_to_its_author(
    other_client, public, others_comment
):
    Image.objects.filter(pk=public.pk).update(visibility="private")
    assert (
        other_client.post(f"/comments/{others_comment.pk}/edit/", {"text": "x"}).status_code == 404
    )
    assert other_client.post(f"/comments/{others_comment.pk}/delete/").status_code == 404
    assert other_client.get(f"/comments/{others_comment.pk}/", **HTMX).status_code == 404
    assert Comment.objects.get().text == "Nice light"


def test_a_visitor_is_sent_to_log_in_to_edit(others_comment):
    response = Client().post(f"/comments/{others_comment.pk}/edit/", {"text": "x"})
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert Comment.objects.get().text == "Nice light"


def test_cancel_puts_the_comment_back(other_client, others_comment):
    response = other_client.get(f"/comments/{others_comment.pk}/", **HTMX)
    assert response.text.lstrip().startswith(
        f'<article class="comment" id="comment-{others_comment.pk}"'
    )


# ---- Deleting ---------------------------------------------------------------------


def test_the_author_deletes_their_comment(other_client, public, others_comment):
    response = other_client.post(f"/comments/{others_comment.pk}/delete/")
    assert response.status_code == 302 and response.url == f"/images/{public.pk}/#comments"
    assert not Comment.objects.exists() and comment_count(public) == 0


def test_the_htmx_delete_removes_the_comment_and_updates_the_count(
    other, other_client, public, others_comment
):
    add(other, public, "another")
    response = other_client.post(f"/comments/{others_comment.pk}/delete/", **HTMX)
    assert response.status_code == 200
    assert response.text.strip() == (
        f'<span id="comment-count-{public.pk}" hx-swap-oob="true">1</span>'
    )
    assert comment_count(public) == 1


@pytest.mark.parametrize("person", ["owner", "staff"])
def test_the_images_owner_and_staff_delete_anyones_comment(request, public, others_comment, person):
    client = request.getfixturevalue(f"{person}_client")
    assert client.post(f"/comments/{others_comment.pk}/delete/").status_code == 302
    assert not Comment.objects.exists() and comment_count(public) == 0


def test_another_person_cannot_delete_a_comment(owner, public, staff_client):
    comment = add(owner, public, "owner's words")
    stranger = Client()
    stranger.force_login(type(owner).objects.create(username="stranger"))
    assert stranger.post(f"/comments/{comment.pk}/delete/").status_code == 403
    assert Comment.objects.count() == 1 and comment_count(public) == 1


def test_a_visitor_cannot_delete_a_comment(public, others_comment):
    response = Client().post(f"/comments/{others_comment.pk}/delete/")
    assert response.status_code == 302 and Comment.objects.count() == 1


def test_deleting_is_never_a_get(other_client, others_comment):
    assert other_client.get(f"/comments/{others_comment.pk}/delete/").status_code == 405
    assert Comment.objects.count() == 1


def test_deleting_a_missing_comment_is_404(other_client, db):
    assert other_client.post("/comments/999999/delete/").status_code == 404
