"""Indexes for the feeds, and the search index of each database: a stored
tsvector column with GIN indexes on PostgreSQL, an FTS5 table kept by triggers
on SQLite, nothing on MariaDB/MySQL (gallery/search.py says why)."""

from django.conf import settings
from django.db import migrations, models

from gallery import search


def add_search_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        search.install_postgres_search(schema_editor)
    elif vendor == "sqlite":
        search.install_sqlite_search(schema_editor.connection)


def remove_search_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        search.uninstall_postgres_search(schema_editor)
    elif vendor == "sqlite":
        search.uninstall_sqlite_search(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="image",
            index=models.Index(
                condition=models.Q(("visibility", "public")),
                fields=["-like_count", "-id"],
                name="image_public_popular",
            ),
        ),
        migrations.AddIndex(
            model_name="image",
            index=models.Index(
                condition=models.Q(("visibility", "public")),
                fields=["topic", "-created", "-id"],
                name="image_topic_recent",
            ),
        ),
        migrations.AddIndex(
            model_name="like",
            index=models.Index(fields=["user", "-created", "-id"], name="like_user_recent"),
        ),
        migrations.RunPython(add_search_index, remove_search_index, elidable=False),
    ]
