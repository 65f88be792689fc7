"""GET /api/v1/images/: a feed a page at a time, as DESIGN.md says:
{results: [image…], next}, keyset cursors, public feeds open to anyone."""

import pytest
from rest_framework.request import Request
from rest_framework.test import APIClient

from api.serializers.images import ImageSerializer
from gallery import likes
from gallery.feeds import FeedRequest, load_page
from gallery.models import Image, Subscription, Topic
from gallery.tests.bulk import add_images, ids
from tests.fixtures import PASSWORD

URL = "/api/v1/images/"
ITEM_FIELDS = {
    "id",
    "url",
    "thumbnail_url",
    "width",
    "height",
    "thumbhash",
    "title",
    "owner",
    "topic",
    "like_count",
    "comment_count",
    "liked",
    "recipe",
    "created",
}


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def token_client(user) -> APIClient:
    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"
    ).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.fixture
def other_api(other):
    return token_client(other)


@pytest.fixture
def owner_api(owner):
    return token_client(owner)


def every_page(client, url=URL, params=None, between_pages=None):
    seen, response = [], client.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [item["id"] for item in body["results"]]
        if not body["next"]:
            return seen
        if between_pages:
            between_pages()
        response = client.get(body["next"])


def test_anyone_lists_the_recent_feed_in_the_documented_shape(anonymous, owner):
    [image] = add_images(owner, 1, title="Dawn", prompt="a lighthouse")
    body = anonymous.get(URL).json()
    assert set(body) == {"results", "next"} and body["next"] is None
    [item] = body["results"]
    assert ITEM_FIELDS <= set(item)
    assert item["id"] == image.pk and item["owner"] == "owner" and item["liked"] is False
    assert item["url"] == f"http://testserver/images/{image.pk}/file"
    assert item["thumbnail_url"] == f"http://testserver/images/{image.pk}/thumb.webp"
    assert item["recipe"]["prompt"] == "a lighthouse"


def test_an_item_is_the_same_from_a_feeds_row_a_model_and_drfs_own_walk(owner, other, rf):
    """Feeds serialize plain rows (gallery.feeds.FeedImage), an image's own
    answer its model, and ImageSerializer writes its fields out for speed:
    all three must give what DRF's walk over the declared fields gives."""
    topic = Topic.objects.create(slug="sea", name="Sea", owner=owner)
    liked, plain = add_images(owner, 2, topic=topic, title="Dawn", description="*calm*")
    [fox] = add_images(other, 1)
    Image.objects.filter(pk=fox.pk).update(recipe={"prompt": "a fox", "seed": 7, "cfg": 6.5})
    likes.like(other, liked)
    page = load_page(other, FeedRequest())
    context = {"request": Request(rf.get(URL)), "liked_ids": page.liked_ids}
    serializer = ImageSerializer(context=context)
    generic = super(ImageSerializer, serializer).to_representation
    for row in page.items:
        model = Image.objects.select_related("owner", "topic").get(pk=row.pk)
        assert serializer.to_representation(row) == generic(row) == generic(model)
    flags = {image.pk: serializer.to_representation(image)["liked"] for image in page.items}
    assert flags == {fox.pk: False, plain.pk: False, liked.pk: True}


def test_next_is_a_full_url_carrying_the_filters(anonymous, owner):
    topic = Topic.objects.create(slug="sea", name="Sea", owner=owner)
    add_images(owner, 30, topic=topic)
    body = anonymous.get(URL, {"feed": "popular", "topic": "sea", "window": "week"}).json()
    assert len(body["results"]) == 24
    assert body["next"].startswith("http://testserver/api/v1/images/?feed=popular&window=week")
    assert "topic=sea" in body["next"] and "cursor=" in body["next"]
    assert len(anonymous.get(body["next"]).json()["results"]) == 6


def test_pages_have_no_duplicates_or_gaps_when_images_arrive_between_them(anonymous, owner, other):
    images = add_images(owner, 60)
    seen = every_page(anonymous, between_pages=lambda: add_images(other, 7))
    assert seen == ids(reversed(images))


def test_popular_is_ordered_by_likes(anonymous, owner, other, staff):
    a, b, c = add_images(owner, 3)
    for person in (owner, other):
        likes.like(person, b)
    likes.like(staff, a)
    assert every_page(anonymous, params={"feed": "popular"}) == [b.pk, a.pk, c.pk]


@pytest.mark.parametrize("feed", ["subscribed", "liked"])
def test_personal_feeds_need_authentication(anonymous, db, feed):
    response = anonymous.get(URL, {"feed": feed})
    assert response.status_code == 401
    assert "detail" in response.json()


def test_the_subscribed_feed_follows_my_topics(other_api, owner, other):
    topic = Topic.objects.create(slug="sea", name="Sea", owner=owner)
    wanted = add_images(owner, 3, topic=topic)
    add_images(owner, 3)
    Subscription.objects.create(user=other, topic=topic)
    assert every_page(other_api, params={"feed": "subscribed"}) == ids(reversed(wanted))


def test_the_liked_feed_and_flags_follow_my_likes(other_api, owner, other):
    a, b, c = add_images(owner, 3)
    likes.like(other, a)
    likes.like(other, c)
    body = other_api.get(URL, {"feed": "liked"}).json()
    assert [item["id"] for item in body["results"]] == [c.pk, a.pk]
    assert all(item["liked"] for item in body["results"])
    flags = {item["id"]: item["liked"] for item in other_api.get(URL).json()["results"]}
    assert flags == {a.pk: True, b.pk: False, c.pk: True}


@pytest.mark.parametrize("who", ["anonymous", "owner_api", "other_api"])
@pytest.mark.parametrize("params", [{}, {"feed": "popular"}, {"user": "owner"}, {"q": "secret"}])
def test_private_and_unlisted_images_are_never_listed(request, owner, other, who, params):
    client = request.getfixturevalue(who)
    public = add_images(owner, 1, prompt="secret garden")
    add_images(owner, 1, visibility="private", prompt="secret garden")
    add_images(owner, 1, visibility="unlisted", prompt="secret garden")
    assert every_page(client, params=params) == ids(public)


def test_search_combines_with_the_filters(anonymous, owner, other):
    wanted = add_images(owner, 2, prompt="a paper boat")
    add_images(owner, 2, prompt="a stone bridge")
    add_images(other, 2, prompt="a paper boat")
    assert every_page(anonymous, params={"q": "boat", "user": "owner"}) == ids(reversed(wanted))


@pytest.mark.parametrize(
    "params, words",
    [
        ({"feed": "trending"}, "Unknown feed"),
        ({"feed": "mine"}, "Unknown feed"),
        ({"window": "year"}, "Unknown window"),
        ({"cursor": "not-a-cursor"}, "cursor is not valid"),
        ({"q": "x" * 201}, "at most 200"),
    ],
)
def test_bad_parameters_are_a_400_with_a_clear_detail(anonymous, db, params, words):
    response = anonymous.get(URL, params)
    assert response.status_code == 400
    assert words in response.json()["detail"]


def test_a_cursor_of_one_feed_is_refused_by_another(anonymous, owner):
    add_images(owner, 30)
    next_url = anonymous.get(URL).json()["next"]
    response = anonymous.get(next_url.replace("feed=recent", "feed=popular"))
    assert response.status_code == 400


def test_a_page_takes_at_most_8_queries(other_api, owner, other, django_assert_max_num_queries):
    topic = Topic.objects.create(slug="sea", name="Sea", owner=owner)
    for image in add_images(owner, 40, topic=topic):
        likes.like(other, image)
    Subscription.objects.create(user=other, topic=topic)
    for feed in ("recent", "popular", "subscribed", "liked"):
        with django_assert_max_num_queries(8):
            body = other_api.get(URL, {"feed": feed, "q": "image"}).json()
        with django_assert_max_num_queries(8):
            other_api.get(body["next"])


def test_posting_to_the_list_is_an_upload_that_needs_a_login(anonymous, owner_api):
    assert anonymous.post(URL, {}).status_code == 401
    response = owner_api.post(URL, {}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()


def test_the_schema_documents_the_list(anonymous, db):
    schema = anonymous.get("/api/schema/").content.decode()
    assert "ImagePage" in schema and "cursor" in schema and "subscribed" in schema
