"""SQLite: rebuild the FTS5 search table without word positions
(``detail = column``), so a feed can look each of its rows up in it cheaply
(gallery/search.py says why). Nothing to do on other databases."""

from django.db import migrations

from gallery import search


def rebuild_sqlite_search(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        search.uninstall_sqlite_search(connection)
        search.install_sqlite_search(connection)


class Migration(migrations.Migration):
    dependencies = [("gallery", "0003_profile_counts_index_search_statistics")]

    operations = [
        migrations.RunPython(rebuild_sqlite_search, migrations.RunPython.noop, elidable=False),
    ]
