"""Images flagged NSFW (gallery.nsfw): the owner and staff set the flag (edit,
upload, Generate); each person's preference shows, blurs or hides them in
every feed, the image page and the topic cards; visitors get them blurred."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Profile
from gallery.models import Image, Topic
from gallery.pagination import PAGE_SIZE
from tests.fixtures import logged_in, picture, png_bytes

EDIT = {"title": "", "description": "", "topic": "", "visibility": "public"}


def prefer(user, choice: str) -> None:
    Profile.objects.update_or_create(user=user, defaults={"nsfw_preference": choice})


def tiles(html: str) -> dict[int, str]:
    """Each tile's image id → its figure's classes."""
    return {
        int(image_id): classes
        for classes, image_id in re.findall(
            r'<figure class="([^"]*)"><a href="/images/(\d+)/"', html
        )
    }


@pytest.fixture
def flagged(owner, make_image):
    return make_image(owner, visibility="public", prompt="a flagged lighthouse", nsfw=True)


@pytest.fixture
def plain(owner, make_image):
    return make_image(owner, visibility="public", prompt="a plain lighthouse")


# ---- Setting the flag ---------------------------------------------------------------


def test_the_owner_flags_an_image_on_the_edit_page_and_takes_it_back(owner_client, plain):
    page = owner_client.get(f"/images/{plain.pk}/edit/").text
    assert 'name="nsfw"' in page
    assert owner_client.post(f"/images/{plain.pk}/edit/", {**EDIT, "nsfw": "on"}).status_code == 302
    plain.refresh_from_db()
    assert plain.nsfw
    assert "checked" in owner_client.get(f"/images/{plain.pk}/edit/").text
    owner_client.post(f"/images/{plain.pk}/edit/", EDIT)
    plain.refresh_from_db()
    assert not plain.nsfw


def test_staff_flag_anyones_image_and_others_cannot(staff_client, other_client, plain):
    assert other_client.post(f"/images/{plain.pk}/edit/", {**EDIT, "nsfw": "on"}).status_code == 404
    plain.refresh_from_db()
    assert not plain.nsfw
    assert staff_client.post(f"/images/{plain.pk}/edit/", {**EDIT, "nsfw": "on"}).status_code == 302
    plain.refresh_from_db()
    assert plain.nsfw


def test_an_upload_can_be_flagged(owner_client):
    upload = SimpleUploadedFile("red.png", png_bytes(picture()), content_type="image/png")
    response = owner_client.post("/upload/", {"file": upload, "visibility": "public", "nsfw": "on"})
    assert response.status_code == 302
    assert Image.objects.get().nsfw


def test_the_upload_and_generate_pages_offer_the_checkbox(owner_client, tiny_settings):
    assert 'name="nsfw"' in owner_client.get("/upload/").text
    assert 'name="nsfw"' in owner_client.get("/generate/").text


def test_a_generated_image_keeps_the_generate_forms_flag(owner, tiny_settings):
    from studio.forms import GenerationForm
    from studio.models import GenerationJob
    from studio.runner import save_result

    form = GenerationForm({"prompt": "a fox", "nsfw": "on"}, user=owner)
    assert form.is_valid(), form.errors
    job = GenerationJob.objects.create(owner=owner, request=form.generation_request())
    image = save_result(job, 0, picture(), {"prompt": "a fox"})
    assert image.nsfw


# ---- The preference, in the feeds ----------------------------------------------------


@pytest.mark.parametrize(
    "who, choice, shown, blurred",
    [
        ("visitor", None, True, True),
        ("other", None, True, True),  # the default: blur
        ("other", "blur", True, True),
        ("other", "show", True, False),
        ("other", "hide", False, None),
        ("staff", None, True, True),
        ("owner", "blur", True, False),  # one's own: never blurred
        ("owner", "show", True, False),
    ],
)
def test_each_preference_in_the_recent_feed(
    who, choice, shown, blurred, client, owner, other, staff, flagged, plain
):
    person = {"visitor": None, "owner": owner, "other": other, "staff": staff}[who]
    if choice:
        prefer(person, choice)
    browser = logged_in(person) if person else client
    found = tiles(browser.get("/feed/?feed=recent").text)
    assert plain.pk in found and "is-blurred" not in found[plain.pk]
    assert (flagged.pk in found) is shown
    if shown:
        assert ("is-blurred" in found[flagged.pk]) is blurred
        assert "is-nsfw" in found[flagged.pk]


@pytest.mark.parametrize("params", ["feed=recent", "feed=popular", "feed=popular&window=week"])
def test_hiding_keeps_every_page_full_and_exact(params, owner, other, make_image):
    """Hidden in the query: full pages of 24, no repeat, no gap, nothing flagged."""
    safe = {make_image(owner, visibility="public").pk for _ in range(PAGE_SIZE + 2)}
    for _ in range(5):
        make_image(owner, visibility="public", nsfw=True)
    prefer(other, "hide")
    browser = logged_in(other)
    first = browser.get(f"/feed/?{params}").text
    assert len(tiles(first)) == PAGE_SIZE
    more = re.search(r'hx-get="(/feed/\?[^"]+)"', first).group(1).replace("&amp;", "&")
    second = tiles(browser.get(more).text)
    seen = list(tiles(first)) + list(second)
    assert sorted(seen) == sorted(safe)


def test_hiding_applies_to_topics_profiles_search_subscribed_and_following(
    owner, other, make_image
):
    topic = Topic.objects.create(slug="coast", name="Coast", owner=owner)
    flagged = make_image(owner, visibility="public", prompt="a lighthouse", topic=topic, nsfw=True)
    plain = make_image(owner, visibility="public", prompt="a lighthouse", topic=topic)
    browser = logged_in(other)
    browser.post(f"/topics/{topic.slug}/subscribe/")
    browser.post("/u/owner/follow/")
    queries = [
        "feed=recent&topic=coast",
        "feed=recent&user=owner",
        "feed=recent&q=lighthouse",
        "feed=subscribed",
        "feed=following",
    ]
    for query in queries:  # blurred by default
        found = tiles(browser.get(f"/feed/?{query}").text)
        assert set(found) == {flagged.pk, plain.pk}, query
    prefer(other, "hide")
    browser = logged_in(other)
    for query in queries:
        assert set(tiles(browser.get(f"/feed/?{query}").text)) == {plain.pk}, query


def test_my_images_shows_mine_whatever_the_preference(owner, owner_client, flagged, plain):
    prefer(owner, "hide")
    found = tiles(owner_client.get("/me/images/").text)
    assert set(found) == {flagged.pk, plain.pk}
    assert "is-blurred" not in found[flagged.pk]


def test_liked_images_follow_the_preference(other, other_client, flagged):
    other_client.post(f"/images/{flagged.pk}/like/")
    assert "is-blurred" in tiles(other_client.get("/feed/?feed=liked").text)[flagged.pk]
    prefer(other, "hide")
    assert flagged.pk not in tiles(logged_in(other).get("/feed/?feed=liked").text)


def test_a_visitors_cached_popular_page_blurs_an_image_flagged_since(
    client, owner_client, plain, settings, django_capture_on_commit_callbacks
):
    settings.ATELIER_HOT_PAGE_SECONDS = 300
    assert "is-blurred" not in tiles(client.get("/").text)[plain.pk]
    Image.objects.filter(pk=plain.pk).update(nsfw=True)  # behind the cache's back
    assert "is-blurred" not in tiles(client.get("/").text)[plain.pk]  # the kept page
    Image.objects.filter(pk=plain.pk).update(nsfw=False)
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(f"/images/{plain.pk}/edit/", {**EDIT, "nsfw": "on"})
    assert "is-blurred" in tiles(client.get("/").text)[plain.pk]


# ---- The image page, the lightbox's panel, topic cards --------------------------------


@pytest.mark.parametrize(
    "who, choice, blurred",
    [
        ("visitor", None, True),
        ("other", None, True),
        ("other", "hide", True),  # opened by its link: blurred, not refused
        ("other", "show", False),
        ("owner", None, False),
        ("staff", None, True),
    ],
)
def test_the_image_page(who, choice, blurred, client, owner, other, staff, flagged):
    person = {"visitor": None, "owner": owner, "other": other, "staff": staff}[who]
    if choice:
        prefer(person, choice)
    browser = logged_in(person) if person else client
    page = browser.get(f"/images/{flagged.pk}/")
    assert page.status_code == 200
    assert ('class="nsfw-frame is-blurred"' in page.text) is blurred
    assert "NSFW" in browser.get(f"/images/{flagged.pk}/panel/").text
    # A link card never shows an NSFW picture.
    assert 'property="og:image"' not in page.text


def test_a_plain_image_page_is_not_blurred(client, plain):
    page = client.get(f"/images/{plain.pk}/").text
    assert "nsfw-frame" not in page and 'property="og:image"' in page


def test_topic_cards_never_show_an_nsfw_thumbnail(client, owner, make_image):
    topic = Topic.objects.create(slug="coast", name="Coast", owner=owner)
    flagged = make_image(owner, visibility="public", topic=topic, nsfw=True)
    plain = make_image(owner, visibility="public", topic=topic)
    page = client.get("/topics/").text
    assert f"/images/{plain.pk}/thumb.webp" in page
    assert f"/images/{flagged.pk}/thumb.webp" not in page
    assert "2 images" in page  # still counted


# ---- Settings -------------------------------------------------------------------------


def test_settings_keep_the_preference(owner, owner_client):
    page = owner_client.get("/me/profile/").text
    assert 'name="nsfw_preference"' in page
    answer = owner_client.post("/me/profile/", {"display_name": "", "nsfw_preference": "hide"})
    assert answer.status_code == 302
    assert Profile.objects.get(user=owner).nsfw_preference == "hide"


def test_settings_refuse_an_unknown_preference(owner, owner_client):
    answer = owner_client.post("/me/profile/", {"nsfw_preference": "peek"})
    assert answer.status_code == 200
    assert "Select a valid choice" in answer.text
    assert Profile.objects.get(user=owner).nsfw_preference == "blur"


def test_a_new_person_blurs_by_default(owner):
    assert Profile.objects.get_or_create(user=owner)[0].nsfw_preference == "blur"


# ---- Bulk actions ---------------------------------------------------------------------


def test_my_images_marks_and_unmarks_many_at_once(owner, owner_client, make_image):
    images = [make_image(owner, visibility="public") for _ in range(3)]
    ids = [str(i.pk) for i in images]
    assert 'value="mark_nsfw"' in owner_client.get("/me/images/").text
    asked = owner_client.post("/me/images/bulk/", {"action": "mark_nsfw", "ids": ids})
    assert "Mark NSFW 3 images?" in asked.text
    done = owner_client.post(
        "/me/images/bulk/", {"action": "mark_nsfw", "ids": ids, "confirmed": "1"}, follow=True
    )
    assert "Marked NSFW 3 images." in done.text
    assert Image.objects.filter(nsfw=True).count() == 3
    owner_client.post(
        "/me/images/bulk/", {"action": "unmark_nsfw", "ids": ids[:2], "confirmed": "1"}
    )
    assert list(Image.objects.filter(nsfw=True).values_list("pk", flat=True)) == [images[2].pk]


def test_bulk_marking_with_anothers_image_among_them_changes_nothing(
    owner, other, other_client, staff_client, make_image
):
    mine = make_image(other, visibility="public")
    theirs = make_image(owner, visibility="public")
    ids = [mine.pk, theirs.pk]
    refused = other_client.post(
        "/me/images/bulk/", {"action": "mark_nsfw", "ids": ids, "confirmed": "1"}
    )
    assert refused.status_code == 403
    assert not Image.objects.filter(nsfw=True).exists()
    staff_client.post("/me/images/bulk/", {"action": "mark_nsfw", "ids": ids, "confirmed": "1"})
    assert Image.objects.filter(nsfw=True).count() == 2
