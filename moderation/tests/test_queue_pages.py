"""The staff's queue in pages of CASES_SHOWN targets, on its page and in the
API: keyset pages in the order the targets were first reported, each target
once, every page in the same few queries."""

import re
from urllib.parse import unquote

import pytest

from gallery.comments import add
from moderation import queue
from moderation.reports import report
from moderation.targets import visible_target
from tests.fixtures import api_for, make_user


@pytest.fixture
def many(owner, other, make_image):
    """120 of the owner's comments, each reported once by the other person,
    in order; the ids of the comments, first reported first."""
    image = make_image(owner, visibility="public")
    ids = []
    for n in range(120):
        comment = add(owner, image, f"Comment {n}")
        report(other, visible_target(other, "comment", comment.pk), "spam")
        ids.append(comment.pk)
    return ids


def page_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="case-comment-(\d+)"', html)]


def next_link(html: str) -> str | None:
    found = re.search(r'href="([^"]+)" rel="next"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_the_page_shows_the_queue_fifty_targets_at_a_time(staff_client, many):
    seen, url, pages = [], "/moderation/", 0
    while url:
        response = staff_client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        seen.append(page_ids(html))
        url, pages = next_link(html), pages + 1
    assert [len(ids) for ids in seen] == [50, 50, 20]
    assert [pk for ids in seen for pk in ids] == many
    assert "First reported" in html  # a later page links back to the first


def test_the_api_pages_the_queue_by_next_links(staff, many):
    client = api_for(staff)
    seen, url = [], "/api/v1/moderation/reports/"
    while url:
        body = client.get(url).json()
        seen.append([case["target_id"] for case in body["results"]])
        url = body["next"]
    assert [len(ids) for ids in seen] == [50, 50, 20]
    assert [pk for ids in seen for pk in ids] == many


def test_a_target_reported_again_stays_on_the_page_of_its_first_report(many):
    """Its later report, among those of a later page, does not bring it back there."""
    third = make_user("third")
    report(third, visible_target(third, "comment", many[0]), "harassment")

    first, later = queue.open_cases()
    second, _ = queue.open_cases(later)

    assert first[0].target_id == many[0] and first[0].report_count == 2
    assert [r.reporter.username for r in first[0].reports] == ["other", "third"]
    assert many[0] not in [case.target_id for case in second]
    assert [case.target_id for case in second] == many[50:100]


def test_every_page_costs_the_same_few_queries(many, django_assert_num_queries):
    with django_assert_num_queries(3):  # the page's cases, their reports, the comments
        _, later = queue.open_cases()
    with django_assert_num_queries(3):
        _, later = queue.open_cases(later)
    with django_assert_num_queries(3):
        last, later = queue.open_cases(later)
    assert len(last) == 20 and later is None


def test_an_api_page_takes_at_most_five_queries(staff, many, django_assert_max_num_queries):
    client = api_for(staff)
    with django_assert_max_num_queries(5):  # the token and its last use, the queue's three
        body = client.get("/api/v1/moderation/reports/").json()
    with django_assert_max_num_queries(5):
        assert len(client.get(body["next"]).json()["results"]) == 50


def test_a_target_with_many_reports_lists_the_first_and_says_how_many_more(
    owner, staff, staff_client, make_image
):
    image = make_image(owner, visibility="public")
    for n in range(queue.REPORTS_SHOWN + 5):
        person = make_user(f"reporter{n}")
        report(person, visible_target(person, "image", image.pk), "stolen")

    html = staff_client.get("/moderation/").content.decode()
    case = api_for(staff).get("/api/v1/moderation/reports/").json()["results"][0]

    assert "and 5 more reports" in html
    assert html.count("Someone else&#x27;s work") == queue.REPORTS_SHOWN
    assert case["report_count"] == queue.REPORTS_SHOWN + 5
    assert len(case["reports"]) == queue.REPORTS_SHOWN
    assert case["reports"][0]["reporter"] == "reporter0"


def test_a_bad_cursor_is_refused_clearly(staff, staff_client, many):
    page = staff_client.get("/moderation/?after=not-a-cursor")
    assert page.status_code == 400
    html = page.content.decode()
    assert "not valid; here is the first" in html and page_ids(html) == many[:50]

    api = api_for(staff).get("/api/v1/moderation/reports/?cursor=not-a-cursor")
    assert api.status_code == 404 and api.json() == {"detail": "Invalid cursor."}


def test_acting_on_a_later_page_returns_to_it(staff_client, many):
    later = next_link(staff_client.get("/moderation/").content.decode())
    cursor = unquote(later.split("after=", 1)[1])

    response = staff_client.post(
        f"/moderation/comment/{many[60]}/act/", {"action": "dismiss", "after": cursor}
    )

    assert response.status_code == 302 and response.url == later
    ids = page_ids(staff_client.get(response.url).content.decode())
    assert ids == many[50:60] + many[61:101]
