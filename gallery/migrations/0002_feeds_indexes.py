"""Indexes for the feeds, and the search index of each database: a stored
tsvector column with GIN indexes on PostgreSQL, an FTS5 table kept by triggers
on SQLite, nothing on MariaDB/MySQL (gallery/search.py says why).

The SQL is written out here, as it was when this migration was made: a
migration is history, and must not change when gallery/search.py does."""

from django.conf import settings
from django.db import migrations, models

POSTGRES_INSTALL = [
    "ALTER TABLE gallery_image ADD COLUMN search_document tsvector GENERATED ALWAYS AS ("
    "to_tsvector('english'::regconfig, COALESCE(recipe ->> 'prompt', '') || ' ' || "
    "COALESCE(title, '') || ' ' || COALESCE(description, ''))) STORED",
    "CREATE INDEX image_search_gin ON gallery_image USING gin (search_document)",
    "CREATE INDEX topic_search_gin ON gallery_topic USING gin "
    "(to_tsvector('english'::regconfig, COALESCE(name, '')::text))",
]
POSTGRES_UNINSTALL = [
    "DROP INDEX IF EXISTS topic_search_gin",
    "ALTER TABLE gallery_image DROP COLUMN IF EXISTS search_document",
]

_FTS_ROW = (
    "json_extract(new.recipe, '$.prompt'), new.title, new.description, "
    "(SELECT name FROM gallery_topic WHERE id = new.topic_id)"
)
SQLITE_TRIGGERS = {
    "gallery_image_fts_insert": f"""
        CREATE TRIGGER gallery_image_fts_insert AFTER INSERT ON gallery_image
        BEGIN
            INSERT INTO gallery_image_fts(rowid, prompt, title, description, topic)
            VALUES (new.id, {_FTS_ROW});
        END""",
    "gallery_image_fts_update": f"""
        CREATE TRIGGER gallery_image_fts_update
        AFTER UPDATE OF id, recipe, title, description, topic_id ON gallery_image
        BEGIN
            DELETE FROM gallery_image_fts WHERE rowid = old.id;
            INSERT INTO gallery_image_fts(rowid, prompt, title, description, topic)
            VALUES (new.id, {_FTS_ROW});
        END""",
    "gallery_image_fts_delete": """
        CREATE TRIGGER gallery_image_fts_delete AFTER DELETE ON gallery_image
        BEGIN
            DELETE FROM gallery_image_fts WHERE rowid = old.id;
        END""",
    "gallery_topic_fts_rename": """
        CREATE TRIGGER gallery_topic_fts_rename AFTER UPDATE OF name ON gallery_topic
        BEGIN
            UPDATE gallery_image_fts SET topic = new.name
            WHERE rowid IN (SELECT id FROM gallery_image WHERE topic_id = new.id);
        END""",
}
SQLITE_INSTALL = [
    "CREATE VIRTUAL TABLE gallery_image_fts USING fts5("
    "prompt, title, description, topic, tokenize = 'porter unicode61 remove_diacritics 2')",
    *SQLITE_TRIGGERS.values(),
    "INSERT INTO gallery_image_fts(rowid, prompt, title, description, topic) "
    "SELECT i.id, json_extract(i.recipe, '$.prompt'), i.title, i.description, t.name "
    "FROM gallery_image i LEFT JOIN gallery_topic t ON t.id = i.topic_id",
]
SQLITE_UNINSTALL = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS),
    "DROP TABLE IF EXISTS gallery_image_fts",
]


def run_for_vendor(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


add_search_index = run_for_vendor({"postgresql": POSTGRES_INSTALL, "sqlite": SQLITE_INSTALL})
remove_search_index = run_for_vendor({"postgresql": POSTGRES_UNINSTALL, "sqlite": SQLITE_UNINSTALL})


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
