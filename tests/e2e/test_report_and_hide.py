"""A report in a real browser against a real server: one person reports
another's image from its page, the report reaches the staff's queue, and
hiding it there takes it out of a third person's Recent feed at once. The
gallery is ``manage.py seed_demo``'s; no worker is needed."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import log_in, web_only_stack

pytestmark = pytest.mark.e2e

MODERATOR_PASSWORD = "a-long-Passw0rd!"


@pytest.fixture(scope="module")
def site(request, django_db_blocker):
    """A web server over seed_demo's gallery (3 people) and a staff member."""
    with web_only_stack(request, django_db_blocker) as stack:
        out = stack.manage(
            "seed_demo", "--images", "12", "--users", "3", "--topics", "1", "--files", "2"
        ).stdout
        password = re.search(r"password: (\S+)", out).group(1)
        users = stack.shell(
            "import json; from django.contrib.auth import get_user_model; "
            f"get_user_model().objects.create_user('mod', password={MODERATOR_PASSWORD!r}, "
            "is_staff=True); "
            "print(json.dumps(sorted(get_user_model().objects.filter(is_staff=False)"
            ".values_list('username', flat=True))))"
        )
        yield stack, users, password


def test_a_report_reaches_the_queue_and_hiding_empties_the_feed(site, open_page):
    stack, users, password = site
    reporter, viewer = users[0], users[1]
    image_id = stack.shell(
        "import json; from gallery.models import Image; "
        "print(json.dumps(Image.objects.filter(visibility='public')"
        f".exclude(owner__username__in=[{reporter!r}, {viewer!r}])"
        ".order_by('-created', '-id').values_list('id', flat=True).first()))"
    )
    tile = f'main figure.tile [data-lightbox="{image_id}"]'

    # A third person sees the image in Recent.
    third = open_page(stack.url)
    log_in(third, viewer, password)
    third.goto("/explore/?feed=recent")
    expect(third.locator(tile)).to_have_count(1)

    # The reporter reports it from its page.
    page = open_page(stack.url)
    log_in(page, reporter, password)
    page.goto(f"/images/{image_id}/")
    page.get_by_role("link", name="Report").click()
    page.get_by_label("Spam or advertising").check()
    page.get_by_label(re.compile("Anything the moderators should know")).fill("Ads in the title")
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_text("Thank you: the moderators will look at it.")).to_be_visible()

    # The moderator finds it in the queue and hides it.
    moderator = open_page(stack.url)
    log_in(moderator, "mod", MODERATOR_PASSWORD)
    moderator.goto("/moderation/")
    case = moderator.locator(f"#case-image-{image_id}")
    expect(case).to_contain_text("Spam or advertising: “Ads in the title”")
    case.get_by_label("Reason").fill("Advertising")
    case.get_by_role("button", name="Hide it").click()
    expect(moderator.get_by_text("The image is hidden.")).to_be_visible()
    expect(moderator.get_by_text("No open reports.")).to_be_visible()

    # Gone from the third person's feed, and its page is a 404 for them.
    third.goto("/explore/?feed=recent")
    expect(third.locator("main figure.tile").first).to_be_visible()
    expect(third.locator(tile)).to_have_count(0)
    assert third.goto(f"/images/{image_id}/").status == 404
