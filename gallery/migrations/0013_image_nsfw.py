"""Per image, an NSFW flag (set by its owner or staff), which each viewer's
preference shows, blurs or hides (gallery.nsfw).

The public feeds' indexes end with the flag, so that a feed without NSFW
images filters them from the index alone (SQLite ignores ``include``, hence
a key column). On SQLite the column is added with ALTER TABLE ADD COLUMN:
Django's own AddField of a NOT NULL column rebuilds the table, which would
drop the search triggers (gallery 0003/0004)."""

from django.db import migrations, models


def add_column(apps, schema_editor):
    Image = apps.get_model("gallery", "Image")
    field = models.BooleanField(default=False)
    field.set_attributes_from_name("nsfw")
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("ALTER TABLE gallery_image ADD COLUMN nsfw bool NOT NULL DEFAULT 0")
    else:
        schema_editor.add_field(Image, field)


def remove_column(apps, schema_editor):
    schema_editor.execute("ALTER TABLE gallery_image DROP COLUMN nsfw")


def public_index(name, fields, **options):
    return models.Index(
        condition=models.Q(("visibility", "public")), fields=fields, name=name, **options
    )


class Migration(migrations.Migration):
    dependencies = [("gallery", "0012_unique_upload_per_owner")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="image",
                    name="nsfw",
                    field=models.BooleanField(default=False),
                ),
            ],
            database_operations=[migrations.RunPython(add_column, remove_column)],
        ),
        migrations.RemoveIndex(model_name="image", name="image_public_recent"),
        migrations.AddIndex(
            model_name="image",
            index=public_index(
                "image_public_recent", ["-created", "-id", "nsfw"], include=("like_count",)
            ),
        ),
        migrations.RemoveIndex(model_name="image", name="image_public_popular"),
        migrations.AddIndex(
            model_name="image",
            index=public_index("image_public_popular", ["-like_count", "-id", "nsfw"]),
        ),
        migrations.RemoveIndex(model_name="image", name="image_topic_recent"),
        migrations.AddIndex(
            model_name="image",
            index=public_index("image_topic_recent", ["topic", "-created", "-id", "nsfw"]),
        ),
    ]
