"""/api/v1/notifications/: one's own list (batched), the unread count, and
marking read; another person's notification is a 404."""

from gallery import likes
from gallery.models import Image
from notifications.models import Notification
from tests.fixtures import api_for


def test_the_list_and_the_count(owner, other, staff, make_image):
    image = make_image(owner, visibility="public", prompt="a zebra")
    likes.like(other, image)
    likes.like(staff, image)
    api = api_for(owner)
    assert api.get("/api/v1/notifications/unread/").json() == {"unread": 1}
    [item] = api.get("/api/v1/notifications/").json()["results"]
    assert item["kind"] == "like" and item["actor"] == staff.username
    assert item["actor_count"] == 2 and item["image"] == image.pk
    assert item["image_deleted"] is False and item["read"] is False
    assert api_for(other).get("/api/v1/notifications/").json()["results"] == []


def test_a_deleted_image_is_noted(owner, other, make_image):
    image = make_image(owner, visibility="public", prompt="gone")
    likes.like(other, image)
    Image.objects.filter(pk=image.pk).delete()
    [item] = api_for(owner).get("/api/v1/notifications/").json()["results"]
    assert item["image"] is None and item["image_deleted"] is True and item["text"] == "gone"


def test_marking_read(owner, other, make_image):
    first, second = (make_image(owner, visibility="public") for _ in range(2))
    likes.like(other, first)
    likes.like(other, second)
    api = api_for(owner)
    one = Notification.objects.get(image=first)
    response = api.post(f"/api/v1/notifications/{one.pk}/read/")
    assert response.status_code == 200 and response.json()["read"] is True
    assert api.get("/api/v1/notifications/unread/").json() == {"unread": 1}
    assert api.post("/api/v1/notifications/read/", {}, format="json").json() == {"marked": 1}
    assert api.get("/api/v1/notifications/unread/").json() == {"unread": 0}


def test_others_notifications_are_out_of_reach(owner, other, make_image):
    likes.like(other, make_image(owner, visibility="public"))
    mine = Notification.objects.get(recipient=owner)
    api = api_for(other)
    assert api.post(f"/api/v1/notifications/{mine.pk}/read/").status_code == 404
    body = {"ids": [mine.pk]}
    assert api.post("/api/v1/notifications/read/", body, format="json").json() == {"marked": 0}
    assert Notification.objects.get(pk=mine.pk).read_at is None


def test_bad_input_is_a_400(owner):
    api = api_for(owner)
    for body in ({"ids": "x"}, {"ids": [0]}, {"ids": list(range(1, 100_001))}):
        assert api.post("/api/v1/notifications/read/", body, format="json").status_code == 400


def test_a_visitor_gets_401s(db):
    for method, path in (
        ("get", "/api/v1/notifications/"),
        ("get", "/api/v1/notifications/unread/"),
        ("post", "/api/v1/notifications/read/"),
    ):
        assert getattr(api_for(), method)(path).status_code == 401
