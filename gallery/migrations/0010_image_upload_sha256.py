"""An uploaded image's sha256 in a column of its own, empty for now: filled
by 0011 for the first copy of each file, then made unique per owner by 0012
(so two uploads of one file at the same instant cannot both be stored)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("gallery", "0009_comments_kept_as_deleted_user")]

    operations = [
        migrations.AddField(
            model_name="image",
            name="upload_sha256",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
    ]
