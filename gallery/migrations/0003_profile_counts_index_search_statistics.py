"""A profile's counts from an index alone, and finer statistics for the
PostgreSQL search column (gallery/search.py says why). The SQL is written out
here: a migration is history, and must not change when search.py does."""

from django.conf import settings
from django.db import migrations, models


def set_search_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE gallery_image ALTER COLUMN search_document SET STATISTICS 1000"
        )
        schema_editor.execute("ANALYZE gallery_image")


def reset_search_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE gallery_image ALTER COLUMN search_document SET STATISTICS -1"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0002_feeds_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="image",
            index=models.Index(
                condition=models.Q(("visibility", "public")),
                fields=["owner", "like_count"],
                name="image_public_owner_likes",
            ),
        ),
        migrations.RunPython(set_search_statistics, reset_search_statistics, elidable=False),
    ]
