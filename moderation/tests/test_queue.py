"""The staff's queue, on its page and in the API: open reports grouped by
target, and the actions on them (hide, restore, delete, dismiss, suspend,
unsuspend); staff only."""

import pytest

from gallery.comments import add
from gallery.models import Comment, Image, Topic
from moderation.models import Report
from moderation.reports import report
from moderation.targets import visible_target
from tests.fixtures import api_for, logged_in, make_user


@pytest.fixture
def reported(owner, other, make_image):
    """The owner's public image reported by two people, their comment by one."""
    image = make_image(owner, visibility="public")
    comment = add(owner, image, "Buy followers here")
    third = make_user("third")
    report(other, visible_target(other, "image", image.pk), "spam", "Ads")
    report(third, visible_target(third, "image", image.pk), "stolen")
    report(other, visible_target(other, "comment", comment.pk), "spam")
    return {"image": image, "comment": comment}


def test_the_queue_groups_open_reports_by_target(staff_client, reported):
    page = staff_client.get("/moderation/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('class="card mb-3"') == 2
    assert "Spam or advertising: “Ads”" in html and "Someone else&#x27;s work" in html
    assert "Buy followers here" in html


def test_the_api_queue_groups_open_reports_by_target(staff, reported):
    body = api_for(staff).get("/api/v1/moderation/reports/").json()
    cases = [(c["kind"], c["target_id"], len(c["reports"])) for c in body["results"]]
    assert cases == [("image", reported["image"].pk, 2), ("comment", reported["comment"].pk, 1)]
    assert body["results"][0]["owner"] == "owner" and body["results"][0]["exists"] is True


@pytest.mark.parametrize(
    ("who", "page", "api"),
    [(None, "login", 401), ("owner", 403, 403), ("other", 403, 403), ("staff", 200, 200)],
)
def test_only_staff_see_the_queue(request, reported, who, page, api):
    user = request.getfixturevalue(who) if who else None
    client = logged_in(user) if user else request.getfixturevalue("client")
    response = client.get("/moderation/")
    if page == "login":
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    else:
        assert response.status_code == page
    assert api_for(user).get("/api/v1/moderation/reports/").status_code == api


@pytest.mark.parametrize("action", ["hide", "restore", "delete", "dismiss", "suspend", "unsuspend"])
@pytest.mark.parametrize("who", [None, "owner", "other"])
def test_only_staff_act_and_a_refusal_changes_nothing(request, reported, who, action):
    user = request.getfixturevalue(who) if who else None
    client = logged_in(user) if user else request.getfixturevalue("client")
    image = reported["image"]
    page = client.post(f"/moderation/image/{image.pk}/act/", {"action": action})
    api = api_for(user).post(f"/api/v1/moderation/image/{image.pk}/", {"action": action})

    assert page.status_code == (403 if user else 302)
    assert api.status_code == (403 if user else 401)
    row = Image.objects.get(pk=image.pk)
    assert row.hidden_at is None and row.owner.is_active
    assert Report.objects.filter(resolved_at__isnull=True).count() == 3


def test_hiding_resolves_the_targets_reports_only(staff, staff_client, reported):
    image = reported["image"]
    response = staff_client.post(
        f"/moderation/image/{image.pk}/act/", {"action": "hide", "reason": "Advertising"}
    )
    assert response.status_code == 302 and response.url == "/moderation/"
    assert "The image is hidden." in staff_client.get("/moderation/").content.decode()
    row = Image.objects.get(pk=image.pk)
    assert (row.hidden_by, row.hidden_reason) == ("moderators", "Advertising")
    resolved = Report.objects.filter(kind="image").values_list("resolution", "resolved_by")
    assert set(resolved) == {("hidden", staff.pk)}
    assert Report.objects.get(kind="comment").resolved_at is None


def test_dismissing_leaves_the_content_and_empties_the_queue(staff, reported):
    client = api_for(staff)
    for kind in ("image", "comment"):
        response = client.post(
            f"/api/v1/moderation/{kind}/{reported[kind].pk}/", {"action": "dismiss"}
        )
        assert response.status_code == 200 and response.json()["detail"]
    assert client.get("/api/v1/moderation/reports/").json()["results"] == []
    assert Image.objects.get(pk=reported["image"].pk).hidden_at is None


def test_deleting_an_image_removes_it_and_its_files(
    staff, reported, isolated_storage, django_capture_on_commit_callbacks
):
    image = reported["image"]
    names = [image.file.name, image.thumbnail.name]
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(staff).post(
            f"/api/v1/moderation/image/{image.pk}/", {"action": "delete"}
        )
    assert response.status_code == 200
    assert not Image.objects.filter(pk=image.pk).exists()
    assert not any((isolated_storage / name).exists() for name in names)
    assert set(Report.objects.values_list("resolution", flat=True)) == {"deleted"}


def test_deleting_a_comment_keeps_the_count_exact(staff, reported):
    image, comment = reported["image"], reported["comment"]
    response = api_for(staff).post(
        f"/api/v1/moderation/comment/{comment.pk}/", {"action": "delete"}
    )
    assert response.status_code == 200
    assert not Comment.objects.filter(pk=comment.pk).exists()
    assert Image.objects.get(pk=image.pk).comment_count == 0


def test_deleting_a_topic_keeps_its_images(staff, owner, other, make_image):
    topic = Topic.objects.create(owner=owner, slug="t", name="T")
    image = make_image(owner, visibility="public", topic=topic)
    report(other, visible_target(other, "topic", topic.pk), "spam")
    assert (
        api_for(staff)
        .post(f"/api/v1/moderation/topic/{topic.pk}/", {"action": "delete"})
        .status_code
        == 200
    )
    assert not Topic.objects.exists() and Image.objects.get(pk=image.pk).topic is None


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/api/v1/moderation/image/999999/", {"action": "hide"}, 404),
        ("/api/v1/moderation/image/99999999999999999999999/", {"action": "hide"}, 404),
        ("/api/v1/moderation/widget/1/", {"action": "hide"}, 404),
        ("/api/v1/moderation/image/{image}/", {"action": "explode"}, 400),
        ("/api/v1/moderation/image/{image}/", {"action": "hide", "reason": "x" * 100_000}, 400),
        ("/api/v1/moderation/image/{image}/", {"action": "hide", "reason": "\ud800"}, 400),
        ("/api/v1/moderation/profile/{owner}/", {"action": "hide"}, 400),
        ("/api/v1/moderation/profile/{staff}/", {"action": "suspend"}, 400),
    ],
)
def test_bad_actions_are_refused_clearly_and_change_nothing(
    staff, owner, reported, path, body, status
):
    path = path.format(image=reported["image"].pk, owner=owner.pk, staff=staff.pk)
    response = api_for(staff).post(path, body, format="json")
    assert response.status_code == status, response.content
    assert response.json()
    assert not Image.objects.filter(hidden_at__isnull=False).exists()
    assert Report.objects.filter(resolved_at__isnull=True).count() == 3
    assert all(user.is_active for user in type(owner).objects.all())


def test_a_refused_action_on_the_page_is_a_message(staff_client, owner):
    response = staff_client.post(
        f"/moderation/profile/{owner.pk}/act/", {"action": "delete"}, follow=True
    )
    assert "suspend the account instead" in response.content.decode()
