"""Bulk actions from My images: one confirmation naming how many, then all of
the selection changes, or (with another person's image among them) none, each
refused image named. The selection is bounded."""

import re

from django.core.files.storage import default_storage
from django.test import Client

from gallery.models import Image, Topic
from gallery.topics import create_topic


def visibilities(images) -> list[str]:
    return [Image.objects.get(pk=i.pk).visibility for i in images]


def test_publishing_asks_once_naming_how_many(owner, owner_client, make_image):
    images = [make_image(owner) for _ in range(3)]
    ids = [str(i.pk) for i in images]
    response = owner_client.post("/me/images/bulk/", {"action": "publish", "ids": ids})
    assert response.status_code == 200 and "Publish 3 images?" in response.text
    assert visibilities(images) == ["private"] * 3
    response = owner_client.post(
        "/me/images/bulk/", {"action": "publish", "ids": ids, "confirmed": "1"}, follow=True
    )
    assert "Published 3 images." in response.text
    assert visibilities(images) == ["public"] * 3


def test_published_images_show_in_the_topic_for_another_person(
    owner, owner_client, make_image, other_client
):
    topic = create_topic(owner, name="Zebras")
    images = [make_image(owner, topic=topic, prompt=f"zebra {n}") for n in range(3)]
    ids = [i.pk for i in images]
    owner_client.post("/me/images/bulk/", {"action": "publish", "ids": ids, "confirmed": "1"})
    html = other_client.get("/feed/?topic=zebras").text
    assert all(f"/images/{pk}/" in html for pk in ids)


def test_moving_and_unlisting_and_making_private(owner, owner_client, make_image):
    create_topic(owner, name="Moons")
    images = [make_image(owner, visibility="public") for _ in range(2)]
    ids = [i.pk for i in images]
    owner_client.post(
        "/me/images/bulk/", {"action": "move", "topic": "moons", "ids": ids, "confirmed": "1"}
    )
    assert set(Image.objects.filter(pk__in=ids).values_list("topic__slug", flat=True)) == {"moons"}
    owner_client.post("/me/images/bulk/", {"action": "unlist", "ids": ids, "confirmed": "1"})
    assert visibilities(images) == ["unlisted"] * 2
    owner_client.post("/me/images/bulk/", {"action": "make_private", "ids": ids, "confirmed": "1"})
    assert visibilities(images) == ["private"] * 2


def test_deleting_removes_rows_and_files(
    owner, owner_client, make_image, isolated_storage, django_capture_on_commit_callbacks
):
    images = [make_image(owner) for _ in range(2)]
    files = [name for i in images for name in (i.file.name, i.thumbnail.name)]
    assert all(default_storage.exists(name) for name in files)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            "/me/images/bulk/",
            {"action": "delete", "ids": [i.pk for i in images], "confirmed": "1"},
            follow=True,
        )
    assert "Deleted 2 images." in response.text
    assert not Image.objects.filter(pk__in=[i.pk for i in images]).exists()
    assert not any(default_storage.exists(name) for name in files)


def test_others_images_mixed_in_are_named_and_nothing_changes(
    owner, other, owner_client, make_image
):
    mine = make_image(owner)
    theirs = make_image(other, visibility="public")
    hidden = make_image(other, visibility="private")
    response = owner_client.post(
        "/me/images/bulk/",
        {"action": "make_private", "ids": [mine.pk, theirs.pk, hidden.pk], "confirmed": "1"},
    )
    assert response.status_code == 403
    assert f"Image #{theirs.pk}: Not yours to change." in response.text
    assert f"Image #{hidden.pk}: No such image." in response.text
    assert "nothing was changed" in response.text
    assert visibilities([mine, theirs, hidden]) == ["private", "public", "private"]


def test_staff_may_change_anyones(owner, staff_client, make_image):
    image = make_image(owner)
    staff_client.post(
        "/me/images/bulk/", {"action": "publish", "ids": [image.pk], "confirmed": "1"}
    )
    assert visibilities([image]) == ["public"]


def test_bad_requests_are_400s(owner, owner_client, make_image):
    image = make_image(owner)
    # 100 000 ids: Django's own bound on a form's fields answers a 400.
    huge = {"action": "publish", "ids": [str(n) for n in range(1, 100_001)]}
    assert owner_client.post("/me/images/bulk/", huge).status_code == 400
    for body, message in [
        ({"action": "publish", "ids": [str(n) for n in range(1, 202)]}, "at most 200"),
        ({"action": "publish"}, "Select at least one image."),
        ({"action": "publish", "ids": ["x"]}, "is not an image id."),
        ({"action": "explode", "ids": [image.pk], "confirmed": "1"}, "Unknown action"),
        ({"action": "move", "topic": "nope", "ids": [image.pk], "confirmed": "1"}, "No topic"),
    ]:
        response = owner_client.post("/me/images/bulk/", body)
        assert response.status_code == 400 and message in response.text, body
    assert visibilities([image]) == ["private"]
    assert not Topic.objects.exists()


def test_a_visitor_is_sent_to_log_in(owner, make_image):
    image = make_image(owner)
    response = Client().post("/me/images/bulk/", {"action": "publish", "ids": [image.pk]})
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_my_images_has_the_selection_bar(owner_client):
    html = owner_client.get("/me/images/").text
    assert "data-bulk-form" in html and "Select all on page" in html


def test_the_bar_offers_every_topic_to_move_into_by_name(owner, other, owner_client):
    create_topic(owner, name="Kites")
    anchors = create_topic(other, name="<b>Anchors</b>")
    html = owner_client.get("/me/images/").text
    select = html[html.index('id="bulk-topic"') : html.index("</select>")]
    assert re.findall(r'<option value="([^"]*)">([^<]*)</option>', select) == [
        ("", "No topic"),
        (anchors.slug, "&lt;b&gt;Anchors&lt;/b&gt;"),
        ("kites", "Kites"),
    ]


def tile_of(html: str, pk: int) -> str:
    """The opening tag of the tile that links to image ``pk``."""
    link = html.index(f'href="/images/{pk}/"')
    return html[html.rindex("<figure", 0, link) : link]


def test_a_topic_page_offers_the_selection_to_those_with_images_in_it(
    owner, other, owner_client, other_client, make_image
):
    topic = create_topic(other, name="Kites")
    mine = make_image(owner, topic=topic, visibility="public")
    theirs = make_image(other, topic=topic, visibility="public")
    page = owner_client.get("/topics/kites/").text
    assert "data-bulk-form" in page and 'name="next" value="/topics/kites/"' in page
    tiles = owner_client.get("/feed/?topic=kites").text
    assert "data-mine" in tile_of(tiles, mine.pk)
    assert "data-mine" not in tile_of(tiles, theirs.pk)
    # The topic's owner has no image of their own among those shown here
    # (their private ones are not shown): no bar; a visitor none either.
    make_image(other, topic=topic, visibility="private")
    theirs.delete()
    assert "data-bulk-form" not in other_client.get("/topics/kites/").text
    assert "data-bulk-form" not in Client().get("/topics/kites/").text
    assert "data-mine" not in Client().get("/feed/?topic=kites").text


def test_changing_from_a_topic_page_comes_back_to_it(owner, owner_client, make_image):
    topic = create_topic(owner, name="Kites")
    images = [make_image(owner, topic=topic, visibility="public") for _ in range(2)]
    ids = [i.pk for i in images]
    body = {"action": "make_private", "ids": ids, "next": "/topics/kites/"}
    asked = owner_client.post("/me/images/bulk/", body)
    assert "Make private 2 images?" in asked.text
    assert 'name="next" value="/topics/kites/"' in asked.text
    done = owner_client.post("/me/images/bulk/", {**body, "confirmed": "1"}, follow=True)
    assert done.redirect_chain[-1][0] == "/topics/kites/"
    assert "Made private 2 images." in done.text
    assert visibilities(images) == ["private"] * 2
    # The topic no longer shows them.
    assert not any(f"/images/{pk}/" in Client().get("/feed/?topic=kites").text for pk in ids)


def test_only_a_path_on_this_site_is_gone_back_to(owner, owner_client, make_image):
    image = make_image(owner)
    for back in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)", "%ED%A0%80"):
        response = owner_client.post(
            "/me/images/bulk/",
            f"action=unlist&ids={image.pk}&confirmed=1&next={back}",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 302 and response.url == "/me/images/", back


def test_others_images_sent_from_a_topic_page_change_nothing(
    owner, other, owner_client, make_image
):
    topic = create_topic(other, name="Kites")
    mine = make_image(owner, topic=topic, visibility="public")
    theirs = make_image(other, topic=topic, visibility="public")
    response = owner_client.post(
        "/me/images/bulk/",
        {
            "action": "delete",
            "ids": [mine.pk, theirs.pk],
            "confirmed": "1",
            "next": "/topics/kites/",
        },
    )
    assert response.status_code == 403
    assert f"Image #{theirs.pk}: Not yours to change." in response.text
    assert 'href="/topics/kites/"' in response.text
    assert Image.objects.filter(pk__in=[mine.pk, theirs.pk]).count() == 2
