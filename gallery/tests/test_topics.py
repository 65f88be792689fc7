"""Creating, showing, editing and deleting topics through the pages: the owner,
another person, staff and a visitor side by side; bad input changes nothing."""

import io
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image as PILImage

from gallery.models import Image, Subscription, Topic
from gallery.topics import create_topic
from imaging.tests.sample_images import TROUBLESOME_FILES
from tests.fixtures import make_user, picture, png_bytes, served, stored_files


def cover_upload(width=800, height=450, name="cover.png"):
    return SimpleUploadedFile(name, png_bytes(picture(width, height)), content_type="image/png")


@pytest.fixture
def topic(owner):
    return create_topic(owner, name="Lighthouses", description="Towers of light.")


# ---- Creating ---------------------------------------------------------------


def test_it_creates_a_topic_with_a_slug_made_from_the_name(owner, owner_client):
    response = owner_client.post(
        "/topics/new/", {"name": "Misty Lighthouses", "description": "Fog & light"}
    )
    topic = Topic.objects.get()
    assert response.status_code == 302 and response.url == "/topics/misty-lighthouses/"
    assert (topic.slug, topic.name, topic.description, topic.owner) == (
        "misty-lighthouses",
        "Misty Lighthouses",
        "Fog & light",
        owner,
    )


def test_a_name_whose_slug_is_taken_gets_the_next_free_suffix(owner, owner_client, other_client):
    owner_client.post("/topics/new/", {"name": "Cats"})
    other_client.post("/topics/new/", {"name": "cats!"})
    owner_client.post("/topics/new/", {"name": "CATS"})
    assert sorted(Topic.objects.values_list("slug", flat=True)) == ["cats", "cats-2", "cats-3"]


def test_a_name_in_another_script_keeps_its_letters_in_the_slug(owner, owner_client):
    owner_client.post("/topics/new/", {"name": "바다 풍경"})
    topic = Topic.objects.get()
    assert topic.slug == "바다-풍경"
    assert owner_client.get(f"/topics/{topic.slug}/").status_code == 200


def test_a_name_without_letters_still_gets_a_slug(owner, owner_client):
    owner_client.post("/topics/new/", {"name": "!!!"})
    assert Topic.objects.get().slug == "topic"


def test_a_chosen_slug_is_used(owner, owner_client):
    owner_client.post("/topics/new/", {"name": "Cats", "slug": "my-cats"})
    assert Topic.objects.get().slug == "my-cats"


def test_a_chosen_slug_that_is_taken_is_a_form_error(owner, owner_client, topic):
    response = owner_client.post("/topics/new/", {"name": "More lights", "slug": "lighthouses"})
    assert response.status_code == 200
    assert "already has this address" in response.context["form"].errors["slug"][0]
    assert Topic.objects.count() == 1


@pytest.mark.parametrize("slug", ["new", "has space", "a/b", "x" * 81])
def test_a_reserved_or_malformed_slug_is_a_form_error(owner, owner_client, slug):
    response = owner_client.post("/topics/new/", {"name": "Cats", "slug": slug})
    assert response.status_code == 200 and response.context["form"].errors["slug"]
    assert not Topic.objects.exists()


def test_a_name_called_new_does_not_take_the_create_page_address(owner, owner_client):
    owner_client.post("/topics/new/", {"name": "New"})
    assert Topic.objects.get().slug == "new-2"


@pytest.mark.parametrize(
    "data, field",
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 10_000}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"name": "ok", "description": "d" * 5001}, "description"),
    ],
)
def test_bad_input_is_a_form_error_and_creates_nothing(owner, owner_client, data, field):
    response = owner_client.post("/topics/new/", data)
    assert response.status_code == 200 and response.context["form"].errors[field]
    assert not Topic.objects.exists()


def test_it_accepts_80_characters_of_name_and_5000_of_description(owner, owner_client):
    owner_client.post("/topics/new/", {"name": "n" * 80, "description": "d" * 5000})
    topic = Topic.objects.get()
    assert len(topic.name) == 80 and len(topic.description) == 5000 and len(topic.slug) <= 80


def test_the_cover_is_stored_as_webp_and_served(owner, owner_client):
    owner_client.post("/topics/new/", {"name": "Covers", "cover": cover_upload()})
    topic = Topic.objects.get()
    assert topic.cover.name.startswith("covers/") and topic.cover.name.endswith(".webp")
    response = served(Client().get(f"/topics/{topic.slug}/cover.webp"))
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/webp"
    cover = PILImage.open(io.BytesIO(response.content))
    assert cover.format == "WEBP" and cover.size == (800, 450)


def test_a_cover_that_is_not_an_image_is_a_form_error_and_leaves_no_file(
    owner, owner_client, isolated_storage
):
    fake = SimpleUploadedFile("cover.png", b"#!/bin/sh\necho hi\n", content_type="image/png")
    response = owner_client.post("/topics/new/", {"name": "Covers", "cover": fake})
    assert response.status_code == 200 and response.context["form"].errors["cover"]
    assert not Topic.objects.exists() and stored_files() == []


def test_a_slug_clash_after_a_cover_was_written_leaves_no_file(
    owner, owner_client, topic, isolated_storage
):
    response = owner_client.post(
        "/topics/new/", {"name": "x", "slug": "lighthouses", "cover": cover_upload()}
    )
    assert response.status_code == 200 and response.context["form"].errors["slug"]
    assert Topic.objects.count() == 1 and stored_files() == []


@pytest.mark.parametrize("name", sorted(TROUBLESOME_FILES))
def test_files_that_once_broke_the_cover_become_covers(owner_client, name):
    cover = SimpleUploadedFile(name, TROUBLESOME_FILES[name](), content_type="image/png")
    response = owner_client.post("/topics/new/", {"name": "Covers", "cover": cover})
    assert response.status_code == 302
    assert default_storage.exists(Topic.objects.get(slug="covers").cover.name)


def test_a_topic_without_a_cover_has_no_cover_file(topic):
    assert Client().get(f"/topics/{topic.slug}/cover.webp").status_code == 404


def test_visitors_are_sent_to_log_in_to_create_a_topic(db):
    response = Client().get("/topics/new/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    response = Client().post("/topics/new/", {"name": "Cats"})
    assert response.status_code == 302 and not Topic.objects.exists()


# ---- Listing and showing ----------------------------------------------------


def test_the_list_shows_cards_with_public_image_and_subscriber_counts(
    owner, other, make_image, topic, client
):
    make_image(owner, visibility="public", topic=topic)
    make_image(owner, visibility="public", topic=topic)
    make_image(owner, visibility="private", topic=topic)
    make_image(owner, visibility="unlisted", topic=topic)
    Subscription.objects.create(user=other, topic=topic)
    page = client.get("/topics/").text
    assert "Lighthouses" in page and "Towers of light." in page
    assert "2 images" in page
    assert re.search(r'class="subscribe-count"[^>]*>1<', page)


def test_the_list_offers_create_topic_to_people_who_are_logged_in(owner_client, client, db):
    assert "/topics/new/" in owner_client.get("/topics/").text
    assert "Create topic" not in client.get("/topics/").text


def test_the_list_pages_on_by_keyset(owner, client):
    for number in range(30):
        Topic.objects.create(owner=owner, name=f"T{number}", slug=f"t{number}")
    first = client.get("/topics/")
    assert first.text.count('class="topic-card"') == 24
    before = re.search(r"\?before=(\d+)", first.text).group(1)
    more = client.get(f"/topics/?before={before}", headers={"HX-Request": "true"})
    assert more.text.count('class="topic-card"') == 6 and "?before=" not in more.text
    assert "<html" not in more.text


def test_the_topic_pages_take_a_few_queries_however_many_topics_and_owners(
    other, other_client, django_assert_max_num_queries
):
    """Session, user, the topics with their counts (and for a topic page its
    owner and profile in the same query), and the navbar's unread-notification
    count: never a query per card or owner."""
    for number in range(30):
        person = make_user(f"maker{number}")
        create_topic(person, name=f"Topic {number}", description="Cards.")
    Subscription.objects.create(user=other, topic=Topic.objects.first())
    # Session, user, the unread count, the topics (and the person); one look each
    # at whether anyone is suspended (gallery.counts) for the counts shown.
    pages = {"/topics/": 5, "/topics/topic-7/": 6, "/u/maker3/": 7}
    for url, most in pages.items():
        with django_assert_max_num_queries(most):
            response = other_client.get(url)
        assert response.status_code == 200, url
    assert "maker7" in other_client.get("/topics/topic-7/").text


def test_the_topic_page_shows_banner_and_only_public_images(owner, other_client, make_image, topic):
    shown = make_image(owner, visibility="public", topic=topic, prompt="a public lamp")
    hidden = make_image(owner, visibility="private", topic=topic, prompt="a secret lamp")
    elsewhere = make_image(owner, visibility="public", prompt="a lamp elsewhere")
    page = other_client.get("/topics/lighthouses/").text
    assert "Lighthouses" in page and "Towers of light." in page and "/u/owner/" in page
    feed = re.search(r'hx-get="([^"]+\?topic=lighthouses)"', page)
    if feed:  # the feeds' partial renders the images
        page = other_client.get(feed.group(1).replace("&amp;", "&")).text
    assert f"/images/{shown.pk}/" in page
    assert f"/images/{hidden.pk}/" not in page and f"/images/{elsewhere.pk}/" not in page


def test_an_unknown_topic_is_a_404(client, db):
    assert client.get("/topics/nope/").status_code == 404


@pytest.mark.parametrize("where", ["topic", "/topics/", "/u/owner/"])
def test_topic_text_is_escaped(owner, client, where):
    topic = create_topic(owner, name="<script>alert(1)</script>", description="<b>bold</b>")
    page = client.get(f"/topics/{topic.slug}/" if where == "topic" else where).text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page


def test_the_topic_list_shows_each_cards_subscription_state(other, other_client, owner):
    mine, theirs = create_topic(owner, name="Mine"), create_topic(owner, name="Theirs")
    Subscription.objects.create(user=other, topic=mine)
    html = other_client.get("/topics/").text
    assert html.count('class="topic-card"') == 2
    assert f'action="/topics/{mine.slug}/unsubscribe/"' in html
    assert f'action="/topics/{theirs.slug}/subscribe/"' in html
    assert html.count("is-subscribed") == 1 and "csrfmiddlewaretoken" in html
    assert 'name="next" value="/topics/"' in html


@pytest.mark.parametrize("path", ["/topics/", "/topics/new/", "/topics/lighthouses/"])
def test_topic_pages_carry_no_inline_scripts_or_styles(owner_client, topic, path):
    html = owner_client.get(path).text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " style=" not in html and not re.search(r"\son[a-z]+=", html)


def test_only_people_who_may_change_it_see_edit_and_delete(owner_client, other_client, topic):
    assert "/topics/lighthouses/edit/" in owner_client.get("/topics/lighthouses/").text
    assert "/topics/lighthouses/edit/" not in other_client.get("/topics/lighthouses/").text


# ---- Editing ----------------------------------------------------------------


def test_the_owner_edits_name_and_description_and_the_slug_stays(owner_client, topic):
    response = owner_client.post(
        "/topics/lighthouses/edit/", {"name": "Beacons", "description": "New words"}
    )
    assert response.status_code == 302 and response.url == "/topics/lighthouses/"
    topic.refresh_from_db()
    assert (topic.name, topic.description, topic.slug) == ("Beacons", "New words", "lighthouses")


def test_staff_edit_anyones_topic(staff_client, topic):
    staff_client.post("/topics/lighthouses/edit/", {"name": "Checked"})
    topic.refresh_from_db()
    assert topic.name == "Checked"


def test_another_person_gets_404_for_edit_and_changes_nothing(other_client, topic):
    assert other_client.get("/topics/lighthouses/edit/").status_code == 404
    assert other_client.post("/topics/lighthouses/edit/", {"name": "Mine"}).status_code == 404
    topic.refresh_from_db()
    assert topic.name == "Lighthouses"


def test_a_visitor_is_sent_to_log_in_to_edit(topic):
    response = Client().post("/topics/lighthouses/edit/", {"name": "Mine"})
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    topic.refresh_from_db()
    assert topic.name == "Lighthouses"


def test_a_bad_edit_changes_nothing(owner_client, topic):
    response = owner_client.post("/topics/lighthouses/edit/", {"name": "x" * 10_000})
    assert response.status_code == 200 and response.context["form"].errors["name"]
    topic.refresh_from_db()
    assert topic.name == "Lighthouses"


def test_replacing_the_cover_removes_the_old_file(
    owner_client, topic, django_capture_on_commit_callbacks
):
    owner_client.post("/topics/lighthouses/edit/", {"name": "L", "cover": cover_upload()})
    topic.refresh_from_db()
    old = topic.cover.name
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post("/topics/lighthouses/edit/", {"name": "L", "cover": cover_upload()})
    topic.refresh_from_db()
    assert topic.cover.name != old
    assert default_storage.exists(topic.cover.name) and not default_storage.exists(old)


def test_removing_the_cover_removes_its_file(
    owner_client, topic, django_capture_on_commit_callbacks, isolated_storage
):
    owner_client.post("/topics/lighthouses/edit/", {"name": "L", "cover": cover_upload()})
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post("/topics/lighthouses/edit/", {"name": "L", "remove_cover": "on"})
    topic.refresh_from_db()
    assert not topic.cover and stored_files() == []


def test_a_non_image_cover_on_edit_keeps_the_old_cover(owner_client, topic):
    owner_client.post("/topics/lighthouses/edit/", {"name": "L", "cover": cover_upload()})
    topic.refresh_from_db()
    old = topic.cover.name
    fake = SimpleUploadedFile("c.webp", b"RIFF....WEBPnope", content_type="image/webp")
    response = owner_client.post("/topics/lighthouses/edit/", {"name": "L2", "cover": fake})
    assert response.status_code == 200 and response.context["form"].errors["cover"]
    topic.refresh_from_db()
    assert topic.cover.name == old and topic.name == "L" and default_storage.exists(old)


# ---- Deleting ---------------------------------------------------------------


def test_deleting_asks_first_then_keeps_the_images(
    owner, owner_client, make_image, topic, django_capture_on_commit_callbacks
):
    owner_client.post("/topics/lighthouses/edit/", {"name": "L", "cover": cover_upload()})
    topic.refresh_from_db()
    cover = topic.cover.name
    image = make_image(owner, visibility="public", topic=topic)
    assert "Delete the topic" in owner_client.get("/topics/lighthouses/delete/").text
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post("/topics/lighthouses/delete/")
    assert response.status_code == 302 and response.url == "/topics/"
    assert not Topic.objects.exists() and not default_storage.exists(cover)
    image.refresh_from_db()
    assert image.topic is None and default_storage.exists(image.file.name)


def test_staff_delete_anyones_topic(staff_client, topic):
    assert staff_client.post("/topics/lighthouses/delete/").status_code == 302
    assert not Topic.objects.exists()


def test_another_person_gets_404_for_delete_and_nothing_goes(other_client, topic):
    assert other_client.get("/topics/lighthouses/delete/").status_code == 404
    assert other_client.post("/topics/lighthouses/delete/").status_code == 404
    assert Topic.objects.filter(pk=topic.pk).exists()


def test_a_visitor_cannot_delete(topic):
    response = Client().post("/topics/lighthouses/delete/")
    assert response.status_code == 302 and Topic.objects.filter(pk=topic.pk).exists()


def test_deleting_its_owner_removes_the_topic_and_its_cover_file(
    owner, owner_client, topic, django_capture_on_commit_callbacks, isolated_storage
):
    owner_client.post("/topics/lighthouses/edit/", {"name": "L", "cover": cover_upload()})
    with django_capture_on_commit_callbacks(execute=True):
        owner.delete()
    assert not Topic.objects.exists() and stored_files("covers/") == []


def test_images_of_a_deleted_topic_stay_with_their_owner(owner, other, make_image, topic):
    image = make_image(other, visibility="public", topic=topic)
    topic.delete()
    assert Image.objects.get(pk=image.pk).topic_id is None


# ---- Topics that look alive ---------------------------------------------------------


def test_a_card_without_a_cover_shows_the_topics_newest_public_images(owner, client, make_image):
    topic = create_topic(owner, name="Foxes")
    old, new, newest = (
        make_image(owner, visibility="public", topic=topic, prompt=f"fox {n}") for n in range(3)
    )
    oldest = make_image(owner, visibility="public", topic=topic, prompt="first fox")
    Image.objects.filter(pk=oldest.pk).update(created=old.created.replace(year=2000))
    secret = make_image(owner, visibility="private", topic=topic)
    html = client.get("/topics/").text
    shown = [int(i) for i in re.findall(r'<img src="/images/(\d+)/thumb.webp"', html)]
    assert shown == [newest.pk, new.pk, old.pk]
    assert secret.pk not in shown and oldest.pk not in shown


def test_an_empty_topic_offers_to_generate_into_it_or_add_images(owner, other_client):
    create_topic(owner, name="Empty")
    html = other_client.get("/feed/", {"topic": "empty"}).text
    assert 'href="/generate/?topic=empty"' in html and "Generate into this topic" in html
    assert 'href="/upload/?topic=empty"' in html and "Add images" in html
    page = other_client.get("/topics/empty/").text
    assert "Generate into this topic" in page and "Add images" in page


def test_the_link_name_field_is_in_plain_words(owner_client):
    html = owner_client.get("/topics/new/").text
    assert "Link name" in html and "Address" not in html
