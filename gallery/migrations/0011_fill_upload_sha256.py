"""Fill ``upload_sha256`` for the uploaded images stored so far: for each
owner and file (sha256), the first one stored gets it; the later copies an
older gallery may hold (uploaded twice before duplicates were refused) keep
None, so that 0012's unique constraint holds. Batched; a group that already
has one (a rerun) is left alone. Frozen: it imports no app code."""

from django.db import migrations
from django.db.models import Exists, F, Min, OuterRef

BATCH = 1000


def fill(apps, schema_editor):
    Image = apps.get_model("gallery", "Image")
    uploaded = Image.objects.filter(source="uploaded").order_by()
    taken = uploaded.filter(owner_id=OuterRef("owner_id"), upload_sha256=OuterRef("sha256")).values(
        "pk"
    )
    firsts = list(
        uploaded.filter(upload_sha256__isnull=True)
        .exclude(Exists(taken))
        .values("owner_id", "sha256")
        .annotate(first=Min("pk"))
        .values_list("first", flat=True)
    )
    for start in range(0, len(firsts), BATCH):
        Image.objects.filter(pk__in=firsts[start : start + BATCH]).update(upload_sha256=F("sha256"))


class Migration(migrations.Migration):
    dependencies = [("gallery", "0010_image_upload_sha256")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop, elidable=False)]
