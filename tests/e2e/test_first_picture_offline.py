"""The first picture on a server that has only the tiny model and cannot reach
the model hub (a fresh machine offline): a new person signs up and generates
without touching the model picker. The page says up front that the hub is
away, the default (SD Turbo, not installed) cannot be picked, and the
installed model is selected for them."""

import re
import socket

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import LONG, template_leaks

pytestmark = pytest.mark.e2e


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def offline_stack(request, tiny_model_path, django_db_blocker):
    from tests.e2e.browser import require_chromium
    from tests.stack import Stack

    require_chromium()
    with django_db_blocker.unblock():
        running = Stack(
            database="sqlite",
            broker="sqlite",
            tiny_model=tiny_model_path,
            extra_env={
                "ATELIER_DEFAULT_MODEL": "",  # the hardware's best: SD Turbo on a CPU
                "HF_ENDPOINT": f"http://127.0.0.1:{closed_port()}",
                "HF_HUB_OFFLINE": "0",
            },
        )
        running.env["HF_HOME"] = str(running.folder / "hf-home")
    failures = request.session.testsfailed
    try:
        running.start()
        yield running
    finally:
        if request.session.testsfailed > failures:
            for name in ("web", "worker"):
                print(f"----- {name} log -----\n{running.log(name)}")
        running.stop()


def test_a_new_person_makes_a_first_picture_without_touching_the_picker(offline_stack, open_page):
    page = open_page(offline_stack.url)
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill("grace")
    page.get_by_label(re.compile(r"^E-?mail")).fill("grace@example.com")
    page.get_by_label("Password", exact=True).fill("a-long-Passw0rd!")
    page.get_by_label(re.compile(r"^Password \(again\)")).fill("a-long-Passw0rd!")
    page.get_by_role("button", name="Sign up").click()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Generate").click()
    expect(page.get_by_text("The model hub cannot be reached from this server")).to_be_visible()
    model = page.get_by_label("Model", exact=True)
    expect(model).to_have_value("tiny")
    expect(model.locator('option[value="sd-turbo"]')).to_be_disabled()
    page.get_by_label("Prompt", exact=True).fill("a lighthouse at dawn")
    page.get_by_role("button", name="Generate").click()

    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]+/$"))
    progress = page.get_by_role("progressbar", name="Generation progress")
    expect(progress).to_have_attribute("aria-valuenow", "100", timeout=LONG)
    expect(page.get_by_text(re.compile(r"^\s*Done\b"))).to_be_visible()
    assert template_leaks(page) == []
