"""Following a person from their page: in place with htmx, with a plain form
as fallback; twice is once; oneself is refused. Their public images then fill
the Following feed, whose empty state suggests people to follow."""

import pytest
from django.test import Client

from gallery.models import Follow

HTMX = {"HX-Request": "true"}


def follows(a, b) -> bool:
    return Follow.objects.filter(follower=a, followed=b).exists()


def test_following_in_place_with_htmx(owner, other, other_client):
    response = other_client.post(f"/u/{owner.username}/follow/", headers=HTMX)
    assert response.status_code == 200 and follows(other, owner)
    assert response.text.lstrip().startswith('<div class="follow-box"')
    assert (
        "Following" in response.text and f'hx-delete="/u/{owner.username}/follow/"' in response.text
    )


def test_unfollowing_with_htmx_and_without(owner, other, other_client):
    Follow.objects.create(follower=other, followed=owner)
    response = other_client.delete(f"/u/{owner.username}/follow/", headers=HTMX)
    assert response.status_code == 200 and not follows(other, owner)
    assert f'hx-post="/u/{owner.username}/follow/"' in response.text
    Follow.objects.create(follower=other, followed=owner)
    response = other_client.post(f"/u/{owner.username}/unfollow/")
    assert response.status_code == 302 and not follows(other, owner)


def test_following_twice_is_once(owner, other, other_client):
    for _ in range(2):
        assert other_client.post(f"/u/{owner.username}/follow/").status_code == 302
    assert Follow.objects.filter(follower=other, followed=owner).count() == 1


def test_following_oneself_is_refused(owner, owner_client):
    response = owner_client.post(f"/u/{owner.username}/follow/", headers=HTMX)
    assert response.status_code == 400 and "can't follow yourself" in response.text
    response = owner_client.post(f"/u/{owner.username}/follow/", follow=True)
    assert "You can&#x27;t follow yourself." in response.text
    assert not Follow.objects.exists()


def test_a_visitor_is_sent_to_log_in(owner):
    response = Client().post(f"/u/{owner.username}/follow/")
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert not Follow.objects.exists()


def test_following_nobody_is_a_404(other_client):
    assert other_client.post("/u/nobody/follow/").status_code == 404


def test_the_profile_shows_counts_and_the_button(owner, other, other_client, staff):
    Follow.objects.create(follower=other, followed=owner)
    Follow.objects.create(follower=staff, followed=owner)
    Follow.objects.create(follower=owner, followed=staff)
    html = other_client.get(f"/u/{owner.username}/").text
    assert '<strong class="follower-count">2</strong> followers' in html
    assert "<strong>1</strong> following" in html
    assert "is-following" in html
    own = Client()
    own.force_login(owner)
    assert "follow-btn" not in own.get(f"/u/{owner.username}/").text


def test_the_following_feed_shows_public_images_of_people_followed(
    owner, other, staff, other_client, make_image
):
    shared = make_image(owner, visibility="public", prompt="a followed zebra")
    make_image(owner, visibility="private", prompt="a hidden zebra")
    make_image(staff, visibility="public", prompt="an unfollowed zebra")
    Follow.objects.create(follower=other, followed=owner)
    html = other_client.get("/explore/?feed=following").text
    assert f"/images/{shared.pk}/" in html
    assert "hidden zebra" not in html and "unfollowed zebra" not in html


def test_the_empty_following_feed_suggests_people(owner, other, other_client, make_image):
    make_image(owner, visibility="public")
    html = other_client.get("/explore/?feed=following").text
    assert "Follow people and their new images show up here." in html
    assert "People you might follow" in html and f"/u/{owner.username}/follow/" in html


def test_the_following_feed_needs_a_login():
    response = Client().get("/explore/?feed=following")
    assert response.status_code == 302 and "/accounts/login/" in response.url


@pytest.mark.parametrize("feed", ["following"])
def test_the_feed_partial_pages_the_following_feed(feed, owner, other, other_client, make_image):
    for n in range(30):
        make_image(owner, visibility="public", prompt=f"zebra {n}")
    Follow.objects.create(follower=other, followed=owner)
    first = other_client.get(f"/feed/?feed={feed}")
    assert first.status_code == 200 and first.text.count('class="tile') >= 24
    assert "cursor=" in first.text


def test_a_following_page_of_24_takes_at_most_8_queries_and_the_count_one(
    owner, other, staff, django_assert_max_num_queries
):
    """The Following feed keeps the feeds' bound; the navbar's unread count is
    one query on a full page and none on the /feed/ partial."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .bulk import add_images

    add_images(owner, 40)
    add_images(staff, 40)
    Follow.objects.create(follower=other, followed=owner)
    client = Client()
    client.force_login(other)
    for path in ("/explore/", "/feed/", "/"):
        with django_assert_max_num_queries(8):
            response = client.get(path, {"feed": "following"})
        assert response.text.count('class="tile') >= 24
    for path, counted in (("/explore/", 1), ("/feed/", 0)):
        with CaptureQueriesContext(connection) as queries:
            client.get(path, {"feed": "following"})
        unread = [q for q in queries.captured_queries if "notifications_notification" in q["sql"]]
        assert len(unread) == counted, path
