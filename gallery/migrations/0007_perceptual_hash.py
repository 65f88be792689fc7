"""The perceptual hash of each image, and the indexes uploads use to find an
owner's duplicates (the same sha256) and look-alikes (near perceptual hashes)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0006_follow"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="image",
            name="perceptual_hash",
            field=models.CharField(blank=True, max_length=16, null=True),
        ),
        migrations.AddIndex(
            model_name="image",
            index=models.Index(fields=["owner", "sha256"], name="image_owner_sha256"),
        ),
        migrations.AddIndex(
            model_name="image",
            index=models.Index(fields=["owner", "perceptual_hash"], name="image_owner_phash"),
        ),
    ]
