"""Replace, in rows stored before forms and the API refused them, the
characters no database can store (a lone surrogate, NUL) with U+FFFD. A job
whose request held "\\ud800" made its page, its status, the Generate page and
the admin list fail to render.

Here, in studio (the top of the apps), because it repairs the rows of gallery
and accounts too. Frozen: it imports no app code."""

import re

from django.db import migrations

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"

# The text and JSON columns a person's input reaches.
COLUMNS = {
    ("studio", "GenerationJob"): ("request", "error", "message"),
    ("gallery", "Image"): ("title", "description", "recipe"),
    ("gallery", "Topic"): ("name", "description"),
    ("gallery", "Comment"): ("text",),
    ("accounts", "Profile"): ("display_name", "bio", "settings"),
    ("accounts", "ApiToken"): ("name",),
}


def repaired(value):
    if isinstance(value, str):
        return UNSTORABLE.sub(REPLACEMENT, value)
    if isinstance(value, dict):
        return {repaired(key): repaired(item) for key, item in value.items()}
    if isinstance(value, list):
        return [repaired(item) for item in value]
    return value


def repair(apps, schema_editor):
    for (app_label, model_name), fields in COLUMNS.items():
        model = apps.get_model(app_label, model_name)
        changed = []
        for row in model.objects.only("pk", *fields).iterator(chunk_size=2000):
            dirty = False
            for field in fields:
                value = getattr(row, field)
                fixed = repaired(value)
                if fixed != value:
                    setattr(row, field, fixed)
                    dirty = True
            if dirty:
                changed.append(row)
        model.objects.bulk_update(changed, fields, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("studio", "0006_worker"),
        ("gallery", "0005_popular_window_index_only"),
        ("accounts", "0003_api_tokens"),
    ]

    operations = [migrations.RunPython(repair, migrations.RunPython.noop)]
