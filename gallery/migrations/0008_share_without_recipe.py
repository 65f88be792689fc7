"""Per image, "share without the recipe": the file served to anyone but the
owner carries no recipe chunks, and the recipe is hidden from them.

On SQLite the column is added with ALTER TABLE ADD COLUMN: Django's own
AddField of a NOT NULL column rebuilds the table, which would drop the
search triggers (gallery 0003/0004)."""

from django.db import migrations, models


def add_column(apps, schema_editor):
    Image = apps.get_model("gallery", "Image")
    field = models.BooleanField(default=False)
    field.set_attributes_from_name("share_without_recipe")
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            "ALTER TABLE gallery_image ADD COLUMN share_without_recipe bool NOT NULL DEFAULT 0"
        )
    else:
        schema_editor.add_field(Image, field)


def remove_column(apps, schema_editor):
    schema_editor.execute("ALTER TABLE gallery_image DROP COLUMN share_without_recipe")


class Migration(migrations.Migration):
    dependencies = [("gallery", "0007_perceptual_hash")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="image",
                    name="share_without_recipe",
                    field=models.BooleanField(default=False),
                ),
            ],
            database_operations=[migrations.RunPython(add_column, remove_column)],
        ),
    ]
