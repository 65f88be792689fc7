"""``manage.py seed_demo``: a believable gallery in bulk, with counts that
equal their rows, a search index that follows, and feeds that page through it."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count
from django.test import Client
from PIL import Image as PILImage

from accounts.models import Profile
from gallery.feeds import FeedRequest, load_page
from gallery.management.commands.seed_demo import EMAIL_DOMAIN, PASSWORD
from gallery.models import Comment, Image, Like, Subscription, Topic
from gallery.permissions import listed_images
from gallery.search import search
from imaging.png_metadata import read_recipe
from tests.fixtures import served

from .bulk import ids

SMALL = {"images": 300, "users": 20, "topics": 5}
ANONYMOUS = AnonymousUser()


def seed(**options):
    out = io.StringIO()
    call_command("seed_demo", **{**SMALL, "files": 2, **options}, stdout=out)
    return out.getvalue()


def every_page(viewer, **params):
    request, seen = FeedRequest(**params), []
    while request:
        page = load_page(viewer, request)
        seen += ids(page.items)
        request = page.next_request
    return seen


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def seeded(db):
    return seed()


def test_it_makes_the_people_topics_and_images_asked_for(seeded):
    people = get_user_model().objects.filter(email__endswith=f"@{EMAIL_DOMAIN}")
    assert people.count() == 20
    assert Profile.objects.filter(user__in=people).count() == 20
    assert Topic.objects.count() == 5
    assert Image.objects.count() == 300
    assert Subscription.objects.exists()
    assert "300 images" in seeded and PASSWORD in seeded


def test_every_demo_person_logs_in_with_the_printed_password(seeded):
    person = get_user_model().objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").first()
    assert Client().login(username=person.username, password=PASSWORD)


def test_like_and_comment_counts_equal_their_rows(seeded):
    likes = dict(Like.objects.values("image").annotate(n=Count("pk")).values_list("image", "n"))
    comments = dict(
        Comment.objects.values("image").annotate(n=Count("pk")).values_list("image", "n")
    )
    assert likes and comments
    for pk, like_count, comment_count in Image.objects.values_list(
        "pk", "like_count", "comment_count"
    ):
        assert (like_count, comment_count) == (likes.get(pk, 0), comments.get(pk, 0)), pk


def test_nobody_likes_or_comments_on_a_private_image(seeded):
    private = Image.objects.filter(visibility="private")
    assert private.exists()
    assert not Like.objects.filter(image__in=private).exists()
    assert not Comment.objects.filter(image__in=private).exists()


def test_images_are_mostly_public_and_spread_over_the_last_year(seeded):
    visibility = dict(
        Image.objects.values("visibility").annotate(n=Count("pk")).values_list("visibility", "n")
    )
    assert visibility["public"] > 240
    assert visibility.get("unlisted", 0) + visibility.get("private", 0) > 0
    created = Image.objects.order_by("created").values_list("created", flat=True)
    assert (created.last() - created.first()).days > 200
    newest_first = list(Image.objects.order_by("-created").values_list("pk", flat=True))
    assert newest_first == sorted(newest_first, reverse=True)  # ids follow time


def test_likes_and_comments_come_after_their_image(seeded):
    for row in (Like, Comment):
        rows = row.objects.select_related("image")
        assert all(item.created >= item.image.created for item in rows)


def test_the_rows_point_at_real_files_of_the_stated_sizes(db):
    seed(files=12)
    files = (
        Image.objects.values_list(
            "file", "thumbnail", "width", "height", "thumb_width", "thumb_height", "thumbhash"
        )
        .order_by()
        .distinct()
    )
    assert len(files) == 12
    for file, thumbnail, width, height, thumb_width, thumb_height, thumbhash in files:
        with default_storage.open(file) as original:
            content = original.read()
        with default_storage.open(thumbnail) as small:
            thumb = PILImage.open(small)
            assert (thumb.format, thumb.size) == ("WEBP", (thumb_width, thumb_height))
        picture = PILImage.open(io.BytesIO(content))
        assert (picture.format, picture.size) == ("PNG", (width, height))
        assert read_recipe(content)["width"] == width
        assert thumbhash


def test_recipes_have_the_studio_shape(seeded):
    keys = {
        "prompt",
        "negative_prompt",
        "model",
        "width",
        "height",
        "steps",
        "cfg_scale",
        "seed",
        "sampler",
        "backend",
    }
    for recipe, width, height in Image.objects.values_list("recipe", "width", "height")[:50]:
        assert set(recipe) == keys
        assert (recipe["width"], recipe["height"]) == (width, height)


def test_search_finds_the_seeded_prompts(seeded):
    common = search(listed_images(), "detailed").count()
    assert common > 0.5 * listed_images().count()
    assert search(listed_images(), "lighthouse painting").count() < common
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM gallery_image_fts")
            assert cursor.fetchone()[0] == Image.objects.count()


def test_the_recent_feed_pages_through_every_public_image_once(seeded):
    seen = every_page(ANONYMOUS, feed="recent")
    expected = list(listed_images().order_by("-created", "-id").values_list("pk", flat=True))
    assert seen == expected


def test_the_popular_feed_puts_the_most_liked_first(seeded):
    seen = every_page(ANONYMOUS, feed="popular")
    counts = dict(Image.objects.values_list("pk", "like_count"))
    assert sorted(seen) == sorted(listed_images().values_list("pk", flat=True))
    assert [counts[pk] for pk in seen] == sorted((counts[pk] for pk in seen), reverse=True)


def test_the_subscribed_and_liked_feeds_show_a_persons_topics_and_likes(seeded):
    person = (
        get_user_model()
        .objects.annotate(n=Count("likes"))
        .filter(subscriptions__isnull=False)
        .order_by("-n")
        .first()
    )
    liked = every_page(person, feed="liked")
    assert liked and set(liked) <= set(
        Like.objects.filter(user=person).values_list("image", flat=True)
    )
    topics = set(person.subscriptions.values_list("topic", flat=True))
    subscribed = every_page(person, feed="subscribed")
    assert subscribed
    assert set(Image.objects.filter(pk__in=subscribed).values_list("topic", flat=True)) <= topics


def test_the_feed_pages_render_with_their_thumbnails(seeded):
    client = Client()
    topic = Topic.objects.annotate(n=Count("images")).order_by("-n").first()
    for url in ("/explore/?feed=recent", "/", f"/topics/{topic.slug}/", "/feed/?feed=popular"):
        assert client.get(url).status_code == 200, url
    image = listed_images().first()
    answer = served(client.get(f"/images/{image.pk}/thumb.webp"))
    assert answer.status_code == 200
    assert answer.content[8:12] == b"WEBP"


def test_it_refuses_a_database_that_already_has_images(seeded):
    with pytest.raises(CommandError, match="--append"):
        seed()
    assert Image.objects.count() == 300


def test_append_adds_new_people_and_topics_next_to_the_old(seeded):
    seed(append=True, seed=2)
    assert Image.objects.count() == 600
    assert get_user_model().objects.count() == 40
    assert Topic.objects.count() == 10


def test_force_replaces_the_earlier_demo_data_and_keeps_counts_exact(seeded, other):
    kept = Image.objects.create(
        owner=other, file="x.png", thumbnail="x.webp", width=1, height=1, thumb_width=1,
        thumb_height=1, sha256="0" * 64, visibility="public",
    )  # fmt: skip
    demo = get_user_model().objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").first()
    Like.objects.create(user=demo, image=kept)
    Image.objects.filter(pk=kept.pk).update(like_count=1)
    seed(force=True, seed=3)
    assert Image.objects.count() == 301
    assert get_user_model().objects.count() == 21
    kept.refresh_from_db()
    assert kept.like_count == 0
