"""Fixtures for the browser tests: one Chromium per session, a fresh page per
test, and a screenshot in the test's tmp_path when a test fails."""

from __future__ import annotations

import pytest

from tests.e2e.browser import chromium, new_page


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def open_page(browser, request, tmp_path):
    """``open_page(base_url, viewport=…, storage_state=…)`` → a new page.

    Every page opened this way is photographed into tmp_path if the test fails."""
    pages = []

    def opener(base_url: str, **options):
        page = new_page(browser, base_url, **options)
        pages.append(page)
        return page

    yield opener
    failed = getattr(request.node, "rep_call", None)
    for number, page in enumerate(pages):
        if failed is not None and failed.failed and not page.is_closed():
            path = tmp_path / f"failure-{number}.png"
            try:
                page.screenshot(path=str(path), full_page=True)
                print(f"screenshot of the failing page ({page.url}): {path}")
            except Exception as exc:  # a debugging aid must not mask the failure
                print(f"no screenshot of {page.url}: {exc}")
        page.context.close()


@pytest.fixture(scope="module")
def stack(request, tiny_model_path, django_db_blocker):
    """A real web server and worker on a fresh SQLite database and broker, for
    the tests of one module; their logs are printed if one of them failed."""
    from tests.e2e.browser import require_chromium
    from tests.stack import Stack

    require_chromium()  # skip before starting anything
    with django_db_blocker.unblock():
        running = Stack(database="sqlite", broker="sqlite", tiny_model=tiny_model_path)
    failures = request.session.testsfailed
    try:
        running.start()
        yield running
    finally:
        if request.session.testsfailed > failures:
            for name in ("web", "worker"):
                print(f"----- {name} log -----\n{running.log(name)}")
        running.stop()
