"""Suspending an account: it cannot log in (and is told why), its sessions
and API tokens stop working with a clear answer, its content is hidden (not
deleted), and all of it comes back, counts exact, when the suspension is lifted."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.models import Profile
from gallery import likes
from gallery.comments import add
from gallery.models import Comment, Image, Topic
from gallery.profiles import public_person
from moderation import actions
from moderation.models import Report
from moderation.reports import report
from moderation.targets import any_target, visible_target
from tests.fixtures import PASSWORD, api_for, logged_in


@pytest.fixture
def world(owner, other, make_image):
    """The owner shares an image and a topic and commented on another person's
    image; the other person commented on the owner's."""
    topic = Topic.objects.create(owner=owner, slug="sky", name="Sky")
    mine = make_image(owner, visibility="public", topic=topic)
    theirs = make_image(other, visibility="public")
    likes.like(owner, theirs)
    return {
        "topic": topic,
        "mine": mine,
        "theirs": theirs,
        "my_comment": add(owner, theirs, "Wonderful"),
        "their_comment": add(other, mine, "Thanks for sharing"),
    }


def suspend(staff, user, reason="Spamming comments"):
    return actions.apply(staff, "suspend", any_target("profile", user.pk), reason)


def unsuspend(staff, user):
    return actions.apply(staff, "unsuspend", any_target("profile", user.pk))


def state(world) -> dict:
    """Every row that a suspension touches, as stored."""
    return {
        "images": list(Image.objects.order_by("pk").values()),
        "comments": list(Comment.objects.order_by("pk").values()),
        "topics": list(Topic.objects.order_by("pk").values()),
    }


def test_a_suspended_person_is_told_why_on_the_login_page(owner, staff):
    suspend(staff, owner)

    response = Client().post(
        "/accounts/login/", {"login": "owner", "password": PASSWORD}, follow=True
    )

    html = response.content.decode()
    assert "Your account is suspended by the moderators: Spamming comments" in html
    assert "_auth_user_id" not in response.client.session


def test_a_suspended_persons_session_ends(owner, staff):
    client = logged_in(owner)
    assert client.get("/me/images/").status_code == 200
    suspend(staff, owner)
    response = client.get("/me/images/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_a_suspended_persons_token_is_refused_saying_why(owner, staff, make_image):
    image = make_image(owner, visibility="private")
    client = api_for(owner)
    assert client.get("/api/v1/profiles/me/").status_code == 200
    suspend(staff, owner)

    response = client.get("/api/v1/profiles/me/")

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Your account is suspended by the moderators: Spamming comments"
    }
    # Files opened with the token too.
    file = client.get(f"/images/{image.pk}/file")
    assert file.status_code == 401 and "suspended" in file.json()["detail"]


def test_the_suspension_hides_everything_and_lifting_it_restores_it_exactly(
    world, owner, other, staff
):
    before = state(world)
    mine, theirs = world["mine"], world["theirs"]
    assert public_person("owner", with_counts=True).counts.images == 1

    suspend(staff, owner)

    assert Image.objects.get(pk=mine.pk).hidden_by == "suspension"
    assert Topic.objects.get(pk=world["topic"].pk).hidden_by == "suspension"
    assert Image.objects.get(pk=theirs.pk).comment_count == 0  # the owner's comment is hidden
    assert Image.objects.get(pk=mine.pk).comment_count == 1  # others' comments on theirs stay
    viewer = api_for(other)
    assert mine.pk not in [i["id"] for i in viewer.get("/api/v1/images/").json()["results"]]
    assert viewer.get(f"/api/v1/images/{mine.pk}/").status_code == 404
    assert viewer.get("/api/v1/profiles/owner/").status_code == 404
    assert logged_in(other).get("/u/owner/").status_code == 404
    thread = viewer.get(f"/api/v1/images/{theirs.pk}/comments/").json()["results"]
    assert thread == []
    assert Image.objects.filter(owner=owner).count() == 1  # hidden, not deleted

    unsuspend(staff, owner)

    assert state(world) == before
    assert get_user_model().objects.get(pk=owner.pk).is_active
    assert Profile.objects.get(user=owner).suspended_at is None
    assert api_for(owner).get("/api/v1/profiles/me/").status_code == 200


def test_what_moderators_hid_stays_hidden_after_the_suspension(world, owner, staff):
    mine = world["mine"]
    actions.apply(staff, "hide", any_target("image", mine.pk), "Stolen")
    suspend(staff, owner)
    unsuspend(staff, owner)
    row = Image.objects.get(pk=mine.pk)
    assert (row.hidden_by, row.hidden_reason) == ("moderators", "Stolen")


def test_content_hidden_by_a_suspension_is_not_restored_alone(world, owner, staff):
    suspend(staff, owner)
    with pytest.raises(actions.ActionRefused, match="lift the suspension"):
        actions.apply(staff, "restore", any_target("image", world["mine"].pk))


def test_suspending_resolves_the_reports_about_the_person(world, owner, other, staff):
    report(other, visible_target(other, "profile", owner.pk), "harassment")
    report(other, visible_target(other, "image", world["mine"].pk), "spam")
    suspend(staff, owner)
    assert set(Report.objects.values_list("resolution", flat=True)) == {"suspended"}


def test_suspending_through_the_api_and_the_page(world, owner, staff, staff_client):
    response = api_for(staff).post(
        f"/api/v1/moderation/image/{world['mine'].pk}/",
        {"action": "suspend", "reason": "Spam"},
        format="json",
    )
    assert response.status_code == 200 and "owner is suspended" in response.json()["detail"]
    assert not get_user_model().objects.get(pk=owner.pk).is_active

    page = staff_client.post(f"/moderation/profile/{owner.pk}/act/", {"action": "unsuspend"})
    assert page.status_code == 302
    assert get_user_model().objects.get(pk=owner.pk).is_active


def test_staff_cannot_be_suspended_here(staff):
    with pytest.raises(actions.ActionRefused):
        suspend(staff, staff)
    assert get_user_model().objects.get(pk=staff.pk).is_active
