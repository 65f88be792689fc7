"""Notifications as a person sees them: batched lines in the list, the unread
count in the navbar, marking read, muting a kind, and a note (not an error)
for an image deleted since."""

import html
import re

from django.test import Client

from accounts.models import Profile
from gallery import comments, follows, likes, topics
from gallery.models import Image
from notifications.models import Notification
from studio.models import GenerationJob
from studio.runner import finish
from tests.fixtures import make_user


def badge(client) -> str:
    return client.get("/notifications/badge/").text


def test_likes_are_batched_into_one_line(owner, other, staff, owner_client, make_image):
    image = make_image(owner, visibility="public", prompt="a striped horse")
    Profile.objects.filter(user=other).update(display_name="Alice")
    likes.like(staff, image)
    likes.like(other, image)
    for n in range(3):
        likes.like(make_user(f"fan{n}"), image)
    assert Notification.objects.filter(recipient=owner).count() == 1
    html = owner_client.get("/notifications/").text
    assert "and 4 others" in html and "liked" in html and "a striped horse" in html
    assert 'data-count="1"' in badge(owner_client)


def test_one_is_not_told_of_ones_own_acts(owner, owner_client, make_image):
    image = make_image(owner, visibility="public")
    likes.like(owner, image)
    comments.add(owner, image, "Mine")
    assert not Notification.objects.exists()
    assert "notification-count" not in badge(owner_client)


def test_every_kind_reaches_its_person(owner, other, owner_client, make_image):
    image = make_image(owner, visibility="public", prompt="a zebra")
    topic = topics.create_topic(owner, name="Zebras")
    comments.add(other, image, "Nice")
    follows.follow(other, owner)
    topics.subscribe(other, topic)
    job = GenerationJob.objects.create(owner=owner, model="tiny", request={"prompt": "a lion"})
    finish(job, GenerationJob.Status.SUCCEEDED, compute_seconds=1.0)
    failed = GenerationJob.objects.create(owner=owner, model="tiny", request={"prompt": "x"})
    finish(failed, GenerationJob.Status.FAILED, error="The engine is away.")
    html = owner_client.get("/notifications/").text
    assert "commented on" in html and "followed you." in html
    assert "subscribed to your topic" in html and "/topics/zebras/" in html
    assert f"/jobs/{job.pk}/" in html and "finished" in html
    assert "The engine is away." in html
    assert 'data-count="5"' in badge(owner_client)


def test_a_deleted_image_leaves_a_note(owner, other, owner_client, make_image):
    image = make_image(owner, visibility="public", prompt="a vanished zebra")
    likes.like(other, image)
    Image.objects.filter(pk=image.pk).delete()
    response = owner_client.get("/notifications/")
    assert response.status_code == 200
    assert "a vanished zebra" in response.text
    assert "This image has been deleted since." in response.text


def test_marking_one_and_all_read(owner, other, staff, owner_client, make_image):
    first = make_image(owner, visibility="public")
    second = make_image(owner, visibility="public")
    likes.like(other, first)
    likes.like(other, second)
    one = Notification.objects.filter(image=first).get()
    response = owner_client.post(f"/notifications/{one.pk}/read/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Mark read" not in response.text
    assert response["HX-Trigger"] == "notifications-changed"
    assert 'data-count="1"' in badge(owner_client)
    # A new like after reading starts a new line.
    likes.like(staff, first)
    assert Notification.objects.filter(image=first).count() == 2
    owner_client.post("/notifications/read/")
    assert "notification-count" not in badge(owner_client)


def test_another_persons_notification_is_a_404(owner, other, other_client, make_image):
    likes.like(other, make_image(owner, visibility="public"))
    mine = Notification.objects.get(recipient=owner)
    assert other_client.post(f"/notifications/{mine.pk}/read/").status_code == 404
    assert Notification.objects.get(pk=mine.pk).read_at is None


def test_a_muted_kind_is_not_recorded(owner, other, owner_client, make_image):
    kinds = [k for k in Notification.Kind.values if k != "like"]
    response = owner_client.post("/notifications/settings/", {"kind": kinds}, follow=True)
    assert "saved" in response.text
    assert 'id="kind-like"' in response.text and 'value="like" id="kind-like" checked' not in (
        response.text
    )
    image = make_image(owner, visibility="public")
    likes.like(other, image)
    comments.add(other, image, "Still told")
    assert list(Notification.objects.values_list("kind", flat=True)) == ["comment"]


def test_the_navbar_shows_the_count_on_full_pages(owner, other, owner_client, make_image):
    likes.like(other, make_image(owner, visibility="public"))
    html = owner_client.get("/explore/").text
    assert 'id="notification-bell"' in html and 'data-count="1"' in html


def test_visitors_see_no_bell_and_cannot_list(db):
    assert 'id="notification-bell"' not in Client().get("/explore/").text
    response = Client().get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_a_remix_tells_the_remixed_images_owner(owner, other, owner_client, make_image):
    source = make_image(owner, visibility="public", prompt="a zebra to remix")
    hidden = make_image(owner, visibility="private", prompt="a hidden zebra")
    for remixed in (source, hidden):
        job = GenerationJob.objects.create(
            owner=other, model="tiny", request={"prompt": "x", "remix_of": remixed.pk}
        )
        finish(job, GenerationJob.Status.SUCCEEDED, compute_seconds=1.0)
    [told] = Notification.objects.filter(recipient=owner)
    assert (told.kind, told.image_id, told.actor_id) == ("remix", source.pk, other.pk)
    html = owner_client.get("/notifications/").text
    assert "remixed" in html and "a zebra to remix" in html


def test_the_remix_link_carries_the_image(owner, owner_client, make_image, tiny_settings):
    image = make_image(owner, visibility="public")
    html = owner_client.get(f"/images/{image.pk}/").text
    assert f"remix_of={image.pk}" in html
    generate = owner_client.get(f"/generate/?prompt=x&remix_of={image.pk}").text
    assert f'name="remix_of" value="{image.pk}"' in generate


def test_the_list_pages_through_older_notifications(owner, other, owner_client):
    Notification.objects.bulk_create(
        Notification(recipient=owner, kind="follow", actor=other) for _ in range(120)
    )
    Notification.objects.create(recipient=other, kind="follow", actor=owner)  # not theirs
    newest_first = list(
        Notification.objects.filter(recipient=owner)
        .order_by("-updated", "-id")
        .values_list("pk", flat=True)
    )
    shown, url, pages = [], "/notifications/", 0
    while url:
        page = owner_client.get(url)
        assert page.status_code == 200
        shown += [int(pk) for pk in re.findall(r'id="notification-(\d+)"', page.text)]
        older = re.search(r'href="(/notifications/\?after=[^"]+)"', page.text)
        url = html.unescape(older.group(1)) if older else None
        pages += 1
        assert ("Newest</a>" in page.text) == (pages > 1)
    assert pages == 3 and shown == newest_first  # 50 + 50 + 20, none twice or skipped


def test_a_bad_older_link_shows_the_newest_with_a_note(owner, other, owner_client):
    Notification.objects.create(recipient=owner, kind="follow", actor=other)
    page = owner_client.get("/notifications/?after=forged")
    assert page.status_code == 400
    assert "That link to older notifications is not valid" in page.text
    assert 'id="notification-' in page.text
