"""Debian's Chromium driven by Playwright, for the browser tests.

Playwright's own browser downloads are never used: the tests drive the
system's ``/usr/bin/chromium`` (``apt-get install chromium``). Where it is
missing the tests skip, saying so — or fail under ATELIER_REQUIRE_SERVICES=1
(CI installs it, so there a missing browser is a broken setup)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("ATELIER_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING = "Debian's Chromium is not installed: apt-get install chromium"

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

REPO = Path(__file__).resolve().parents[2]
# `make test` keeps docs/screenshots/ current. CI's Python 3.13 pass, which runs
# beside it, photographs into a folder of its own (.ci/run): one writer per file.
SCREENSHOTS = Path(os.environ.get("ATELIER_SCREENSHOTS_DIR") or REPO / "docs" / "screenshots")


def require_chromium() -> Path:
    """The browser's path; skips (or fails in CI) when it is not installed."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    if os.environ.get("ATELIER_REQUIRE_SERVICES") == "1":
        pytest.fail(MISSING, pytrace=False)
    pytest.skip(MISSING)


@contextmanager
def chromium() -> Iterator[object]:
    """A launched headless Chromium (a ``playwright.sync_api.Browser``)."""
    path = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(path), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# ms: how long a page may wait for a generation, the worker's first model load
# (torch, the pipeline) included, on a CI machine running its passes at once.
LONG = 180_000


def new_page(browser, base_url: str, *, viewport=DESKTOP, **options):
    """A page in a fresh context (its own cookie jar), dark colour scheme, no motion."""
    context = browser.new_context(
        base_url=base_url,
        viewport=viewport,
        color_scheme="dark",
        reduced_motion="reduce",
        **options,
    )
    context.set_default_timeout(15_000)
    # expect()'s own default is 5 s: a page rendered on a machine running
    # three test passes at once may take longer, and a pass then fails for it.
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    return context.new_page()


def screenshot(page, name: str, *, full_page: bool = False) -> Path:
    """Save a PNG into docs/screenshots/ (or ATELIER_SCREENSHOTS_DIR)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path


def shots_folder(name: str) -> Path:
    """The folder, made, for a test's screenshots for a person to look at (not
    the docs'): /tmp/atelier-<name>/, or <name>/ under ATELIER_SCREENSHOTS_DIR
    when set, so that two passes running the test at once never write the
    same file."""
    override = os.environ.get("ATELIER_SCREENSHOTS_DIR")
    folder = Path(override) / name if override else Path("/tmp") / f"atelier-{name}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def images_loaded(page, selector: str = "img") -> int:
    """How many of the ``selector`` images on the page have really decoded."""
    return page.eval_on_selector_all(
        selector, "els => els.filter(e => e.complete && e.naturalWidth > 0).length"
    )


TEMPLATE_SYNTAX = re.compile(r".{0,40}(?:\{#|#\}|\{%|%\}|\{\{|\}\}).{0,40}")


def template_leaks(page) -> list[str]:
    """Django template syntax that leaked into the page's visible text, e.g. a
    multi-line ``{# … #}`` (Django prints those: they need ``{% comment %}``)."""
    text = page.locator("body").inner_text()
    return [f"{page.url}: …{match.group(0).strip()}…" for match in TEMPLATE_SYNTAX.finditer(text)]


PASSWORD = "a-long-Passw0rd!"


def sign_up(page, username: str, password: str = PASSWORD) -> None:
    """Sign up through the navbar's "Sign up" link; signing up logs the person in."""
    from playwright.sync_api import expect

    navbar = page.get_by_role("navigation", name="Main")
    navbar.get_by_role("link", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label(re.compile(r"^E-?mail")).fill(f"{username}@example.com")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label(re.compile(r"^Password \(again\)")).fill(password)
    page.get_by_role("button", name="Sign up").click()
    expect(navbar.get_by_role("button", name=username)).to_be_visible()


def log_in(page, username: str, password: str = PASSWORD) -> None:
    """Log in through the login page; the navbar then names the person."""
    from playwright.sync_api import expect

    page.goto("/accounts/login/")
    page.get_by_label("Login").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    navbar = page.get_by_role("navigation", name="Main")
    expect(navbar.get_by_role("button", name=username)).to_be_visible()


@contextmanager
def web_only_stack(request, django_db_blocker, extra_env=None) -> Iterator[object]:
    """A web server without a worker on a fresh SQLite database (``Stack``),
    for one module's browser tests; its log is printed if one of them failed.
    ``extra_env``: added to the server's environment (an engine's settings)."""
    from tests.stack import Stack

    require_chromium()  # skip before starting anything
    with django_db_blocker.unblock():
        stack = Stack(
            database="sqlite",
            broker="sqlite",
            tiny_model=Path("/nonexistent"),
            extra_env=extra_env,
        )
    failures = request.session.testsfailed
    try:
        stack.start(worker=False)
        yield stack
    finally:
        if request.session.testsfailed > failures:
            print(f"----- web log -----\n{stack.log('web')}")
        stack.stop()


def mark_page(page) -> None:
    """Mark the loaded document; ``page_was_reloaded`` tells whether it was replaced since."""
    page.evaluate("window.__atelierMark = true")


def page_was_reloaded(page) -> bool:
    return not page.evaluate("window.__atelierMark === true")


def wait_for_images(page, selector: str = "main figure img", *, at_least: int = 1) -> None:
    """Wait until at least ``at_least`` of the images, and all of them, have decoded."""
    page.wait_for_function(
        "([sel, n]) => { const imgs = [...document.querySelectorAll(sel)];"
        " return imgs.length >= n && imgs.every(i => i.complete && i.naturalWidth > 0); }",
        arg=[selector, at_least],
    )
