"""POST /api/v1/images/bulk/: all or nothing, each refused image named, at
most 200 ids (a 100 000-id request is a 400)."""

from gallery.models import Image, Topic
from gallery.topics import create_topic
from tests.fixtures import api_for


def states(images):
    return [
        Image.objects.filter(pk=i.pk).values_list("visibility", "topic_id").first() for i in images
    ]


def test_publishing_and_moving(owner, make_image):
    topic = create_topic(owner, name="Zebras")
    images = [make_image(owner) for _ in range(3)]
    ids = [i.pk for i in images]
    api = api_for(owner)
    response = api.post("/api/v1/images/bulk/", {"action": "publish", "ids": ids}, format="json")
    assert response.status_code == 200
    assert response.json() == {"action": "publish", "count": 3, "ids": ids}
    body = {"action": "move", "ids": ids, "topic": "zebras"}
    assert api.post("/api/v1/images/bulk/", body, format="json").status_code == 200
    assert states(images) == [("public", topic.pk)] * 3


def test_others_images_are_named_and_nothing_changes(owner, other, make_image):
    mine = make_image(owner)
    theirs = make_image(other, visibility="unlisted")
    body = {"action": "delete", "ids": [mine.pk, theirs.pk, 999_999]}
    response = api_for(owner).post("/api/v1/images/bulk/", body, format="json")
    assert response.status_code == 403
    assert response.json()["refused"] == [
        {"id": theirs.pk, "reason": "Not yours to change."},
        {"id": 999_999, "reason": "No such image."},
    ]
    assert states([mine, theirs]) == [("private", None), ("unlisted", None)]


def test_only_missing_images_is_a_404(owner, other, make_image):
    hidden = make_image(other)
    body = {"action": "publish", "ids": [hidden.pk]}
    response = api_for(owner).post("/api/v1/images/bulk/", body, format="json")
    assert response.status_code == 404
    assert response.json()["refused"] == [{"id": hidden.pk, "reason": "No such image."}]
    assert states([hidden]) == [("private", None)]


def test_a_form_body_is_a_415(owner, make_image):
    image = make_image(owner)
    response = api_for(owner).post("/api/v1/images/bulk/", {"action": "publish", "ids": image.pk})
    assert response.status_code == 415 and states([image]) == [("private", None)]


def test_bad_requests_are_400s(owner, make_image):
    image = make_image(owner)
    api = api_for(owner)
    for body, field in [
        ({"action": "publish", "ids": list(range(1, 100_001))}, "ids"),
        ({"action": "publish", "ids": []}, "ids"),
        ({"action": "publish", "ids": "1,2"}, "ids"),
        ({"action": "publish", "ids": [True, "x"]}, "ids"),
        ({"action": "melt", "ids": [image.pk]}, "action"),
        ({"action": "move", "ids": [image.pk], "topic": "none"}, "topic"),
    ]:
        response = api.post("/api/v1/images/bulk/", body, format="json")
        assert response.status_code == 400 and response.json()["field"] == field, body
    assert states([image]) == [("private", None)]
    assert not Topic.objects.exists()


def test_a_visitor_gets_a_401(owner, make_image):
    image = make_image(owner)
    body = {"action": "publish", "ids": [image.pk]}
    assert api_for().post("/api/v1/images/bulk/", body, format="json").status_code == 401
