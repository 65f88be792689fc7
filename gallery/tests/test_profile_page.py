"""A person's public page: who they are, what they share, and counts that
follow the visibility rule (private images count for nobody)."""

import re

import pytest
from django.test import Client

from accounts.models import Profile
from gallery.likes import like
from gallery.models import Subscription
from gallery.profiles import public_person
from gallery.topics import create_topic
from tests.fixtures import make_user


@pytest.fixture
def described(owner):
    Profile.objects.filter(user=owner).update(
        display_name="Ada L.", bio="I paint lighthouses.\nMostly at dawn."
    )
    return owner


def test_it_shows_name_username_and_bio_with_line_breaks(described, client):
    page = client.get("/u/owner/").text
    assert "Ada L." in page and "@owner" in page
    assert "I paint lighthouses.<br>Mostly at dawn." in page


def test_the_bio_is_escaped(owner, client):
    Profile.objects.filter(user=owner).update(bio="<script>alert(1)</script><b>hi</b>")
    page = client.get("/u/owner/").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>hi</b>" not in page


def test_the_counts_include_public_images_only(owner, other, staff, make_image):
    topic = create_topic(owner, name="Lights")
    public = make_image(owner, visibility="public")
    private = make_image(owner, visibility="private")
    make_image(owner, visibility="unlisted")
    make_image(other, visibility="public")
    like(other, public)
    like(staff, public)
    like(owner, private)
    Subscription.objects.create(user=other, topic=topic)
    Subscription.objects.create(user=staff, topic=topic)
    Subscription.objects.create(user=other, topic=create_topic(owner, name="More"))
    counts = public_person(owner.username, with_counts=True).counts
    assert (counts.images, counts.topics, counts.likes_received, counts.subscribers) == (1, 2, 2, 2)


def test_the_page_shows_the_counts(owner, other, make_image, client):
    like(other, make_image(owner, visibility="public"))
    make_image(owner, visibility="private")
    page = client.get("/u/owner/").text
    assert re.search(r"<strong>1</strong> image\b", page)
    assert re.search(r"<strong>1</strong> like received", page)
    assert re.search(r"<strong>0</strong> topics", page)


def test_it_lists_their_public_images_only(owner, other_client, make_image):
    shown = make_image(owner, visibility="public")
    hidden = make_image(owner, visibility="private")
    unlisted = make_image(owner, visibility="unlisted")
    someone_elses = make_image(make_user("third"), visibility="public")
    page = other_client.get("/u/owner/").text
    feed = re.search(r'hx-get="([^"]+\?user=owner)"', page)
    if feed:  # the feeds' partial renders the images
        page = other_client.get(feed.group(1).replace("&amp;", "&")).text
    assert f"/images/{shown.pk}/" in page
    for image in (hidden, unlisted, someone_elses):
        assert f"/images/{image.pk}/" not in page


def test_it_lists_the_topics_they_own(owner, other, client):
    create_topic(owner, name="Lighthouses")
    create_topic(other, name="Harbours")
    page = client.get("/u/owner/").text
    assert "/topics/lighthouses/" in page and "/topics/harbours/" not in page


def test_a_topic_card_without_a_cover_shows_the_topics_newest_public_image(
    owner, client, make_image
):
    topic = create_topic(owner, name="Lighthouses")
    shown = make_image(owner, visibility="public", topic=topic)
    make_image(owner, visibility="private", topic=topic)
    page = client.get("/u/owner/").text
    assert "topic-mosaic topic-mosaic-1" in page
    assert f'<img src="/images/{shown.pk}/thumb.webp"' in page


def test_one_sees_a_my_page_link_on_ones_own_page_only(owner_client, other_client, owner):
    def main(client):
        return client.get("/u/owner/").text.split("<main", 1)[1]

    assert "/me/profile/" in main(owner_client) and "Edit my page" in main(owner_client)
    assert "/me/profile/" not in main(other_client)


def test_the_avatar_is_shown_when_there_is_one(owner, client):
    assert "/u/owner/avatar.webp" not in client.get("/u/owner/").text
    Profile.objects.filter(user=owner).update(avatar="avatars/1/x.webp")
    assert "/u/owner/avatar.webp" in client.get("/u/owner/").text


def test_an_unknown_or_deactivated_person_is_a_404(owner, client):
    assert client.get("/u/nobody/").status_code == 404
    owner.is_active = False
    owner.save()
    assert client.get("/u/owner/").status_code == 404


def test_the_page_carries_no_inline_scripts_or_styles(described, owner_client):
    create_topic(described, name="Lights")
    html = Client().get("/u/owner/").text + owner_client.get("/u/owner/").text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " style=" not in html and not re.search(r"\son[a-z]+=", html)


def test_the_topic_owner_on_a_topic_page_links_to_their_page(described, client):
    create_topic(described, name="Lights")
    page = client.get("/topics/lights/").text
    assert 'href="/u/owner/"' in page and "Ada L." in page


def test_my_page_editor_links_to_the_public_page(owner_client):
    assert 'href="/u/owner/"' in owner_client.get("/me/profile/").text
