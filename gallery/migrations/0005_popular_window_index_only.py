"""The public Recent index also carries each image's like count, so that a
window of Popular (a range of creation times, sorted by likes) reads it from
the index alone on PostgreSQL. Other databases build the same index as before."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0004_sqlite_search_without_positions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="image",
            name="image_public_recent",
        ),
        migrations.AddIndex(
            model_name="image",
            index=models.Index(
                condition=models.Q(("visibility", "public")),
                fields=["-created", "-id"],
                include=("like_count",),
                name="image_public_recent",
            ),
        ),
    ]
