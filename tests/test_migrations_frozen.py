"""Migrations are history: they must not import the project's live code, or
a later change to that code silently rewrites what an old migration does."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = {"accounts", "api", "atelier", "gallery", "imaging", "notifications", "studio"}


def project_imports(path: Path) -> list[str]:
    """The project modules ``path`` imports, except an app's own ``models``
    (Django's migration writer refers to callables such as ``upload_to`` there)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] in PROJECT_PACKAGES and parts[:2] != [parts[0], "models"]:
                found.append(name)
    return found


def test_no_migration_imports_project_code():
    migrations = sorted(ROOT.glob("*/migrations/0*.py"))
    assert migrations, "no migrations found"
    offenders = {
        str(path.relative_to(ROOT)): names
        for path in migrations
        if (names := project_imports(path))
    }
    assert offenders == {}
