"""SQLite: rebuild the FTS5 search table without word positions
(``detail = column``), so a feed can look each of its rows up in it cheaply
(gallery/search.py says why). Nothing to do on other databases.

The triggers made by 0002 name the table, not its definition, so they stay.
The SQL is written out here: a migration is history, and must not change
when search.py does."""

from django.db import migrations


def rebuild_sqlite_search(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("DROP TABLE IF EXISTS gallery_image_fts")
    schema_editor.execute(
        "CREATE VIRTUAL TABLE gallery_image_fts USING fts5("
        "prompt, title, description, topic, "
        "tokenize = 'porter unicode61 remove_diacritics 2', detail = column)"
    )
    schema_editor.execute(
        "INSERT INTO gallery_image_fts(rowid, prompt, title, description, topic) "
        "SELECT i.id, json_extract(i.recipe, '$.prompt'), i.title, i.description, t.name "
        "FROM gallery_image i LEFT JOIN gallery_topic t ON t.id = i.topic_id"
    )


class Migration(migrations.Migration):
    dependencies = [("gallery", "0003_profile_counts_index_search_statistics")]

    operations = [
        migrations.RunPython(rebuild_sqlite_search, migrations.RunPython.noop, elidable=False),
    ]
