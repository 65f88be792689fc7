"""The image page (the lightbox): the image, its recipe, download, like,
remix, the owner's links, the comments — for the owner, another person, staff
and a visitor — in a bounded number of queries however busy the image is."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from gallery.comments import add
from gallery.likes import like
from gallery.models import Comment
from gallery.topics import create_topic


@pytest.fixture
def public(owner, make_image):
    return make_image(owner, visibility="public", prompt="a fox in snow")


def page(client, image):
    response = client.get(f"/images/{image.pk}/")
    assert response.status_code == 200
    return response.text


def test_it_shows_the_image_full_size_with_its_whole_recipe(other_client, public):
    html = page(other_client, public)
    assert 'class="viewer"' in html and "viewer-main" in html
    assert f'src="/images/{public.pk}/file"' in html
    for text in ("a fox in snow", "Euler a", "42", "7.5", "64 × 48", "tiny", "diffusers"):
        assert text in html
    assert f'data-copy-target="recipe-prompt-{public.pk}"' in html
    assert f'href="/images/{public.pk}/download"' in html


def test_the_remix_link_opens_generate_with_the_recipe(other_client, public):
    html = page(other_client, public)
    href = re.search(r'href="(/generate/\?[^"]+)"[^>]*>.*Remix', html).group(1)
    query = parse_qs(urlsplit(href.replace("&amp;", "&")).query)
    assert query["prompt"] == ["a fox in snow"] and query["seed"] == ["42"]
    assert query["sampler"] == ["Euler a"] and query["steps"] == ["4"]


def test_it_shows_the_like_button_with_the_count_and_state(owner, other, other_client, public):
    like(owner, public)
    html = page(other_client, public)
    assert '<span class="like-count">1</span>' in html and 'aria-pressed="false"' in html
    like(other, public)
    html = page(other_client, public)
    assert '<span class="like-count">2</span>' in html and "like-btn is-liked" in html


def test_the_owner_avatar_and_name_link_to_their_profile(owner, other_client, public):
    owner.profile.display_name = "Ada L."
    owner.profile.save()
    html = page(other_client, public)
    assert re.search(r'<a href="/u/owner/"[^>]*>\s*<span class="avatar[^"]*"[^>]*>A</span>', html)
    assert "Ada L." in html


def test_it_links_the_topic(owner, other_client, make_image):
    topic = create_topic(owner, name="Lighthouses", description="")
    image = make_image(owner, visibility="public", topic=topic)
    html = page(other_client, image)
    assert f'href="/topics/{topic.slug}/"' in html and "Lighthouses" in html


@pytest.mark.parametrize("person, shown", [("owner", True), ("staff", True), ("other", False)])
def test_edit_and_delete_links_are_for_the_owner_and_staff(request, public, person, shown):
    html = page(request.getfixturevalue(f"{person}_client"), public)
    assert (f'href="/images/{public.pk}/edit/"' in html) is shown
    assert (f'href="/images/{public.pk}/delete/"' in html) is shown


def test_a_visitor_sees_the_image_and_is_asked_to_log_in_to_like_or_comment(public, other):
    add(other, public, "Lovely")
    html = page(Client(), public)
    assert "Lovely" in html
    assert f'href="/accounts/login/?next=/images/{public.pk}/"' in html  # the heart
    assert f"/accounts/login/?next=/images/{public.pk}/%23comments" in html
    assert "hx-post" not in html and 'name="text"' not in html


def test_comments_are_shown_oldest_first_with_the_count(owner, other, other_client, public):
    for text in ("Alpha!", "Bravo?", "Charlie."):
        add(other if text != "Bravo?" else owner, public, text)
    html = page(other_client, public)
    assert html.index("Alpha!") < html.index("Bravo?") < html.index("Charlie.")
    assert f'<span id="comment-count-{public.pk}">3</span>' in html


def test_user_text_is_escaped(owner, other, other_client, make_image):
    image = make_image(owner, visibility="public", title="<b>bold</b>", prompt="<i>p</i>")
    add(other, image, "<script>alert(1)</script>")
    html = page(other_client, image)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html and "<i>p</i>" not in html


def test_the_page_carries_no_inline_scripts_or_styles(owner, other, owner_client, public):
    add(other, public, "hello")
    like(other, public)
    html = page(owner_client, public)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert " style=" not in html, "inline style attribute"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


def test_only_the_latest_comments_are_shown_and_earlier_ones_load_on_demand(
    other, other_client, public
):
    Comment.objects.bulk_create(
        [Comment(user=other, image=public, text=f"comment {i:03}") for i in range(55)]
    )
    html = page(other_client, public)
    assert "comment 054" in html and "comment 005" in html and "comment 004" not in html
    more = re.search(r'hx-get="(/images/\d+/comments/\?before=\d+)"', html).group(1)
    earlier = other_client.get(more, HTTP_HX_REQUEST="true").text
    assert [f"comment {i:03}" for i in range(5)] == re.findall(r"comment \d{3}", earlier)
    assert "Show earlier" not in earlier


def test_earlier_comments_of_a_private_image_are_not_shown_to_others(
    owner, other_client, make_image
):
    private = make_image(owner, visibility="private")
    add(owner, private, "secret")
    response = other_client.get(
        f"/images/{private.pk}/comments/?before=999999", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 404


@pytest.mark.parametrize("person", ["owner", "other", "staff", "visitor"])
def test_the_page_makes_at_most_8_queries_however_many_comments_and_likes(
    request, owner, public, django_assert_max_num_queries, person
):
    for i in range(30):
        fan = get_user_model().objects.create(username=f"fan{i}")  # no password: fast
        like(fan, public)
        add(fan, public, f"comment {i}")
        if i % 3 == 0:
            add(owner, public, f"answer {i}")
    client = Client() if person == "visitor" else request.getfixturevalue(f"{person}_client")
    with django_assert_max_num_queries(8):
        html = page(client, public)
    assert html.count('class="comment"') == 40
    assert '<span class="like-count">30</span>' in html


# ---- The panel the lightbox fetches -------------------------------------------


def test_the_lightbox_panel_is_the_page_beside_the_image_alone(other_client, public):
    response = other_client.get(f"/images/{public.pk}/panel/")
    assert response.status_code == 200
    html = response.text
    assert "<html" not in html and 'class="viewer"' not in html  # no page around it
    assert "a fox in snow" in html and "Euler a" in html
    assert f'hx-post="/images/{public.pk}/like/"' in html
    assert f'href="/images/{public.pk}/download"' in html
    assert 'name="text"' in html  # the comment form


def test_the_lightbox_panel_has_the_owners_follow_button_for_others(
    owner, other, other_client, owner_client, public
):
    panel = other_client.get(f"/images/{public.pk}/panel/").text
    follow = f'hx-post="/u/{owner.username}/follow/"'
    assert follow in panel and "Follow</button>" in panel

    answer = other_client.post(f"/u/{owner.username}/follow/", headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "Following</button>" in answer.text
    panel = other_client.get(f"/images/{public.pk}/panel/").text
    assert f'hx-delete="/u/{owner.username}/follow/"' in panel and "Following</button>" in panel
    assert (
        f'hx-delete="/u/{owner.username}/follow/"' in other_client.get(f"/images/{public.pk}/").text
    )

    for viewer in (owner_client, Client()):  # the owner, and a visitor
        panel = viewer.get(f"/images/{public.pk}/panel/").text
        assert "follow-box" not in panel and "/follow/" not in panel


def test_a_private_images_panel_is_shown_to_its_owner_only(
    owner_client, other_client, owner, make_image
):
    private = make_image(owner, visibility="private", prompt="a secret")
    assert owner_client.get(f"/images/{private.pk}/panel/").status_code == 200
    answer = other_client.get(f"/images/{private.pk}/panel/")
    assert answer.status_code == 404 and "a secret" not in answer.text
    assert Client().get(f"/images/{private.pk}/panel/").status_code == 404
