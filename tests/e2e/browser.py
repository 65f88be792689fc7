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
SCREENSHOTS = REPO / "docs" / "screenshots"


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
    return context.new_page()


def screenshot(page, name: str, *, full_page: bool = False) -> Path:
    """Save a PNG into docs/screenshots/ (``make test`` keeps them current)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path


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
