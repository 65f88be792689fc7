"""Reporting an image, a comment, a topic or a profile, on the pages and in
the API: once per person and target, never one's own, only what one may see;
bad input is a clear 4xx that stores nothing."""

from urllib.parse import quote_from_bytes

import pytest

from atelier import rate_limits
from gallery.comments import add
from gallery.models import Topic
from moderation.models import Report
from tests.fixtures import api_for


@pytest.fixture
def public(owner, make_image):
    return make_image(owner, visibility="public")


@pytest.fixture
def targets(owner, public):
    """One of each kind, all the owner's."""
    topic = Topic.objects.create(owner=owner, slug="sky", name="Sky")
    return {
        "image": public.pk,
        "comment": add(owner, public, "Mine").pk,
        "topic": topic.pk,
        "profile": owner.pk,
    }


@pytest.fixture
def keys(targets):
    """The same, as the report pages' URLs name them: as the public URLs do."""
    return {**targets, "topic": "sky", "profile": "owner"}


@pytest.mark.parametrize("kind", ["image", "comment", "topic", "profile"])
def test_a_person_reports_each_kind_on_the_page(other, other_client, owner, targets, keys, kind):
    page = other_client.get(f"/report/{kind}/{keys[kind]}/")
    assert page.status_code == 200 and b"Spam or advertising" in page.content
    assert f'action="/report/{kind}/{keys[kind]}/"' in page.content.decode()

    response = other_client.post(
        f"/report/{kind}/{keys[kind]}/", {"reason": "spam", "text": "  Buy now  "}
    )

    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.reporter, report.kind, report.target_id, report.target_owner) == (
        other,
        kind,
        targets[kind],
        owner,
    )
    assert (report.reason, report.text, report.resolved_at) == ("spam", "Buy now", None)
    assert "the moderators will look at it" in other_client.get(response.url).content.decode()


def test_topics_and_profiles_are_reported_by_their_slug_and_username(other, other_client, targets):
    """As their pages' own addresses name them; an id names no topic or person here."""
    assert 'href="/report/topic/sky/"' in other_client.get("/topics/sky/").content.decode()
    assert 'href="/report/profile/owner/"' in other_client.get("/u/owner/").content.decode()
    assert other_client.get(f"/report/topic/{targets['topic']}/").status_code == 404
    assert other_client.get(f"/report/profile/{targets['profile']}/").status_code == 404


def test_the_image_page_offers_report_to_others_only(owner_client, other_client, public):
    url = f"/report/image/{public.pk}/"
    assert url in other_client.get(f"/images/{public.pk}/").content.decode()
    assert url not in owner_client.get(f"/images/{public.pk}/").content.decode()


def test_reporting_twice_is_refused_while_the_first_is_open(other_client, targets):
    url = f"/report/image/{targets['image']}/"
    other_client.post(url, {"reason": "spam"})

    again = other_client.post(url, {"reason": "other", "text": "Really"})

    assert again.status_code == 400
    assert "You have already reported this image" in again.content.decode()
    assert Report.objects.count() == 1


def test_a_resolved_report_lets_the_person_report_again(other, other_client, targets):
    url = f"/report/image/{targets['image']}/"
    other_client.post(url, {"reason": "spam"})
    Report.objects.update(resolved_at="2026-01-01T00:00:00Z", resolution="dismissed")

    assert other_client.post(url, {"reason": "spam"}).status_code == 302
    assert Report.objects.filter(reporter=other).count() == 2


@pytest.mark.parametrize("kind", ["image", "comment", "topic", "profile"])
def test_reporting_your_own_content_is_refused(owner_client, keys, kind):
    response = owner_client.post(f"/report/{kind}/{keys[kind]}/", {"reason": "spam"})

    assert response.status_code == 400
    assert "You can&#x27;t report your own" in response.content.decode()
    assert not Report.objects.exists()


def test_a_visitor_is_sent_to_log_in(client, targets):
    response = client.post(f"/report/image/{targets['image']}/", {"reason": "spam"})
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/report/image/999999/",
        "/report/image/99999999999999999999999999/",  # beyond any database integer
        "/report/image/-1/",
        "/report/image/abc/",
        "/report/widget/1/",
        "/report/comment/999999/",
        "/report/topic/no-such-topic/",
        "/report/topic/%00/",
        "/report/profile/nobody/",
        "/report/profile/%00/",
    ],
)
def test_reporting_what_does_not_exist_is_a_404(other_client, path):
    assert other_client.post(path, {"reason": "spam"}).status_code == 404
    assert not Report.objects.exists()


def test_reporting_another_persons_private_image_is_a_404(owner, other_client, make_image):
    private = make_image(owner, visibility="private")
    assert other_client.post(f"/report/image/{private.pk}/", {"reason": "spam"}).status_code == 404
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": "bored"}, "Choose one of the reasons offered."),
        ({}, "This field is required."),
        ({"reason": "spam", "text": "x" * 100_000}, "at most 2000 characters"),
    ],
)
def test_bad_report_input_is_a_form_error(other_client, targets, data, message):
    # Encoded as a careless client sends it (a surrogate as its UTF-8-like bytes).
    body = "&".join(
        f"{k}={quote_from_bytes(v.encode('utf-8', 'surrogatepass'))}" for k, v in data.items()
    )
    response = other_client.post(
        f"/report/image/{targets['image']}/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Report.objects.exists()


def test_a_surrogate_in_a_form_arrives_replaced_and_is_stored(other_client, targets):
    text = quote_from_bytes("bad \ud800 text".encode("utf-8", "surrogatepass"))
    body = f"reason=spam&text={text}"
    response = other_client.post(
        f"/report/image/{targets['image']}/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 302
    assert Report.objects.get().text.startswith("bad \ufffd")


def test_reports_are_rate_limited(settings, other_client, owner, make_image):
    settings.ATELIER_RATE_REPORTS = "2/h"
    images = [make_image(owner, visibility="public") for _ in range(3)]
    answers = [
        other_client.post(f"/report/image/{image.pk}/", {"reason": "spam"}).status_code
        for image in images
    ]
    assert answers == [302, 302, 429]
    assert Report.objects.count() == 2


# ---- The API -----------------------------------------------------------------------


def test_the_api_reports_and_answers_the_report(other, targets):
    body = {"kind": "comment", "target_id": targets["comment"], "reason": "harassment"}
    response = api_for(other).post("/api/v1/reports/", body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "comment" and response.json()["reason"] == "harassment"
    assert Report.objects.get().target_id == targets["comment"]


@pytest.mark.parametrize(
    ("body", "status", "key"),
    [
        ({"kind": "image", "target_id": 10**30, "reason": "spam"}, 404, "detail"),
        ({"kind": "image", "target_id": 999999, "reason": "spam"}, 404, "detail"),
        ({"kind": "nope", "target_id": 1, "reason": "spam"}, 400, "kind"),
        ({"kind": "image", "target_id": "x", "reason": "spam"}, 400, "target_id"),
        ({"kind": "image", "target_id": "{image}", "reason": "nope"}, 400, "reason"),
        (
            {"kind": "image", "target_id": "{image}", "reason": "spam", "text": "x" * 100_000},
            400,
            "text",
        ),
        (
            {"kind": "image", "target_id": "{image}", "reason": "spam", "text": "\ud800"},
            400,
            "text",
        ),
    ],
)
def test_bad_api_reports_are_refused_clearly(other, targets, body, status, key):
    body = {k: (targets["image"] if v == "{image}" else v) for k, v in body.items()}
    response = api_for(other).post("/api/v1/reports/", body, format="json")
    assert response.status_code == status, response.content
    assert key in response.json()
    assert not Report.objects.exists()


def test_the_api_refuses_own_and_twice(owner, other, targets):
    body = {"kind": "image", "target_id": targets["image"], "reason": "spam"}
    own = api_for(owner).post("/api/v1/reports/", body, format="json")
    assert own.status_code == 400 and "your own image" in own.json()["detail"]

    client = api_for(other)
    assert client.post("/api/v1/reports/", body, format="json").status_code == 201
    twice = client.post("/api/v1/reports/", body, format="json")
    assert twice.status_code == 400 and "already reported" in twice.json()["detail"]
    assert Report.objects.count() == 1


@pytest.mark.parametrize(("kind", "key"), [("topic", "sky"), ("profile", "owner"), ("image", None)])
def test_the_api_reports_a_target_named_as_its_urls_name_it(other, targets, kind, key):
    body = {"kind": kind, "target": key or str(targets[kind]), "reason": "spam"}
    response = api_for(other).post("/api/v1/reports/", body, format="json")
    assert response.status_code == 201, response.content
    assert Report.objects.get().target_id == targets[kind]


@pytest.mark.parametrize(
    "naming", [{}, {"target": "sky", "target_id": 1}, {"target": "no-such-topic"}]
)
def test_the_api_needs_one_way_to_name_the_target(other, targets, naming):
    body = {"kind": "topic", "reason": "spam", **naming}
    response = api_for(other).post("/api/v1/reports/", body, format="json")
    assert response.status_code == (404 if naming.get("target") == "no-such-topic" else 400)
    assert not Report.objects.exists()


def test_a_visitor_cannot_report_over_the_api(targets):
    body = {"kind": "image", "target_id": targets["image"], "reason": "spam"}
    assert api_for().post("/api/v1/reports/", body, format="json").status_code == 401
    assert not Report.objects.exists()


def test_api_reports_are_rate_limited(settings, other, owner, make_image):
    settings.ATELIER_RATE_REPORTS = "1/h"
    client = api_for(other)
    first, second = (make_image(owner, visibility="public") for _ in range(2))
    ok = client.post("/api/v1/reports/", {"kind": "image", "target_id": first.pk, "reason": "spam"})
    over = client.post(
        "/api/v1/reports/", {"kind": "image", "target_id": second.pk, "reason": "spam"}
    )
    assert (ok.status_code, over.status_code) == (201, 429)
    assert over["Retry-After"]
    assert Report.objects.count() == 1


def test_the_rate_has_a_setting():
    assert rate_limits.REPORTS.setting == "ATELIER_RATE_REPORTS"


def test_a_comment_offers_report_to_others_only(owner, other, owner_client, other_client, public):
    mine = add(owner, public, "Mine")
    theirs = add(other, public, "Theirs")
    as_owner = owner_client.get(f"/images/{public.pk}/").content.decode()
    as_other = other_client.get(f"/images/{public.pk}/").content.decode()
    assert f"/report/comment/{theirs.pk}/" in as_owner
    assert f"/report/comment/{mine.pk}/" not in as_owner
    assert f"/report/comment/{mine.pk}/" in as_other
    assert f"/report/comment/{theirs.pk}/" not in as_other


def test_a_comment_kept_after_its_author_left_is_not_reported(owner, other_client, public):
    from tests.fixtures import make_user

    leaver = make_user("leaver")
    comment = add(leaver, public, "Bye")
    leaver.delete()
    page = other_client.get(f"/images/{public.pk}/").content.decode()
    assert f"/report/comment/{comment.pk}/" not in page
    response = other_client.post(f"/report/comment/{comment.pk}/", {"reason": "spam"})
    assert response.status_code == 400 and "deleted their account" in response.content.decode()
    assert not Report.objects.exists()
