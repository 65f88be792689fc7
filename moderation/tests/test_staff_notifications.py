"""Staff are told of new reports through their notifications: once a
target, when it gets its first open report, in one unread line each that
gathers the reporters and links to the queue; a staff account that muted
the kind is not told, and nobody else is offered the kind."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gallery.comments import add
from moderation import actions
from moderation.reports import report
from moderation.targets import any_target, visible_target
from notifications.models import MutedKind, Notification
from tests.fixtures import api_for, logged_in, make_user


@pytest.fixture
def moderators(staff):
    return [staff, make_user("staff2", is_staff=True)]


@pytest.fixture
def image(owner, make_image):
    return make_image(owner, visibility="public", prompt="a stolen sunset")


def reported_by(person, kind, target_id, reason="spam"):
    return report(person, visible_target(person, kind, target_id), reason)


def told(user) -> list[tuple[str, int, str]]:
    return list(
        Notification.objects.filter(recipient=user, kind="report").values_list(
            "actor__username", "actor_count", "text"
        )
    )


def test_each_staff_account_is_told_of_a_targets_first_report(
    owner, other, moderators, image, staff
):
    reported_by(other, "image", image.pk)

    for person in moderators:
        assert told(person) == [("other", 1, "the image “a stolen sunset”")]
    assert told(owner) == [] and told(other) == []

    html = logged_in(staff).get("/notifications/").text
    assert "reported the image “a stolen sunset”" in html
    assert 'href="/moderation/">open the moderation queue</a>' in html


def test_more_reports_of_the_same_target_tell_no_one_again(other, moderators, image, staff):
    reported_by(other, "image", image.pk)
    for n in range(3):
        reported_by(make_user(f"reporter{n}"), "image", image.pk)

    assert Notification.objects.filter(kind="report").count() == len(moderators)
    assert told(staff) == [("other", 1, "the image “a stolen sunset”")]


def test_new_targets_gather_into_the_unread_line(owner, other, moderators, image, staff):
    comment = add(owner, image, "Buy followers")
    reported_by(other, "image", image.pk)
    reported_by(make_user("third"), "comment", comment.pk)

    assert told(staff) == [("third", 2, "a comment")]
    html = logged_in(staff).get("/notifications/").text
    assert "and 1 other" in html and "reported content, lately a comment" in html


def test_a_target_reported_again_after_its_reports_were_resolved_is_news(
    other, staff, moderators, image
):
    reported_by(other, "image", image.pk)
    Notification.objects.update(read_at="2026-01-01T00:00Z")
    actions.apply(staff, "dismiss", any_target("image", image.pk))

    reported_by(other, "image", image.pk)

    assert Notification.objects.filter(recipient=staff, read_at__isnull=True).count() == 1


def test_a_staff_account_that_muted_reports_is_not_told(other, moderators, image, staff):
    MutedKind.objects.create(user=moderators[1], kind="report")
    reported_by(other, "image", image.pk)
    assert told(staff) and not told(moderators[1])


def test_staff_mute_reports_in_settings_and_others_are_not_offered_them(
    other, moderators, image, staff
):
    offered = logged_in(staff).get("/notifications/settings/").text
    assert 'id="kind-report"' in offered
    assert 'id="kind-report"' not in logged_in(other).get("/notifications/settings/").text

    kinds = ["like", "comment"]
    logged_in(staff).post("/notifications/settings/", {"kind": kinds})
    reported_by(other, "image", image.pk)

    assert not told(staff) and told(moderators[1])


def test_the_staff_who_reported_is_not_told_nor_an_inactive_staff_account(image, moderators):
    make_user("retired", is_staff=True, is_active=False)
    reporter = moderators[0]
    reported_by(reporter, "image", image.pk)
    assert told(reporter) == [] and len(told(moderators[1])) == 1
    assert Notification.objects.filter(kind="report").count() == 1


def test_telling_staff_takes_the_same_queries_for_two_or_twenty(other, moderators):
    def queries_to_report(target_owner):
        target = visible_target(other, "profile", target_owner.pk)
        with CaptureQueriesContext(connection) as queries:
            report(other, target, "spam")
        return len(queries)

    few = queries_to_report(make_user("first"))
    for n in range(18):
        make_user(f"more-staff{n}", is_staff=True)
    assert queries_to_report(make_user("second")) == few
    # The two first told gathered the second report; the eighteen new got one each.
    assert Notification.objects.filter(kind="report").count() == 20
    assert told(moderators[0]) == [("other", 1, "the profile of second")]


def test_the_api_lists_the_report_notification(other, image, staff):
    reported_by(other, "image", image.pk)
    body = api_for(staff).get("/api/v1/notifications/").json()
    assert [(n["kind"], n["actor"], n["text"]) for n in body["results"]] == [
        ("report", "other", "the image “a stolen sunset”")
    ]
