"""The apps import in one direction (DESIGN.md): accounts ← notifications ←
gallery ← studio ← api, with moderation beside studio (it acts on gallery's
content and accounts; only api calls it), so that a change in a later app
never breaks an earlier one, and imaging stays free of Django. ``atelier``,
the project package, is the one place that may know every app."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What each app may not import.
FORBIDDEN = {
    "imaging": {
        "django",
        "accounts",
        "notifications",
        "gallery",
        "moderation",
        "studio",
        "api",
        "atelier",
    },
    "accounts": {"notifications", "gallery", "moderation", "studio", "api"},
    "notifications": {"gallery", "moderation", "studio", "api"},
    "gallery": {"moderation", "studio", "api"},
    "moderation": {"studio", "api"},
    "studio": {"moderation", "api"},
}


def imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_an_app_imports_only_the_apps_before_it(app):
    offenders = {}
    for path in sorted((ROOT / app).rglob("*.py")):
        if "tests" in path.relative_to(ROOT).parts:
            continue
        if bad := imported_packages(path) & FORBIDDEN[app]:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}
