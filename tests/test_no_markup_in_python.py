"""Markup is written in templates, where autoescape covers every value. A
string marked safe in Python is one forgotten escape away from stored XSS, so
the app's modules do not mark strings safe at all; template filters and tags
(``templatetags/``) are the one place that may."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["accounts", "api", "atelier", "gallery", "imaging", "studio"]
MARKING_SAFE = re.compile(r"\b(mark_safe|format_html|format_html_join|SafeString|Markup)\b")


def test_no_app_module_marks_strings_safe():
    offenders = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "templatetags" in parts or "tests" in parts or "migrations" in parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if MARKING_SAFE.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
