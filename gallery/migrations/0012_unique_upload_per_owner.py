"""One uploaded copy of a file per owner, kept by the database: of two
simultaneous uploads of the same file, the second's INSERT fails and it is
answered with the first (gallery.uploads).

On SQLite the unique index is created with CREATE UNIQUE INDEX: Django's
own AddConstraint rebuilds the table there, and renaming the rebuilt table
fails on the search triggers that name it (gallery 0002/0004)."""

from django.conf import settings
from django.db import migrations, models

CONSTRAINT = models.UniqueConstraint(
    fields=("owner", "upload_sha256"), name="unique_upload_per_owner"
)


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            'CREATE UNIQUE INDEX "unique_upload_per_owner" '
            'ON "gallery_image" ("owner_id", "upload_sha256")'
        )
    else:
        schema_editor.add_constraint(apps.get_model("gallery", "Image"), CONSTRAINT)


def remove_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute('DROP INDEX "unique_upload_per_owner"')
    else:
        schema_editor.remove_constraint(apps.get_model("gallery", "Image"), CONSTRAINT)


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0011_fill_upload_sha256"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddConstraint(model_name="image", constraint=CONSTRAINT)],
            database_operations=[migrations.RunPython(add_constraint, remove_constraint)],
        ),
    ]
