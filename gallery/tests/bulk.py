"""Many image rows at once, for feed and search tests: rows only (no files),
made with bulk_create as the demo seeder does, so the database's own write
paths (search triggers included) are the ones exercised."""

from datetime import timedelta

from django.utils import timezone

from gallery.models import Image


def add_images(owner, count=1, *, visibility="public", prompt="an image", minutes_ago=0, **fields):
    """``count`` images made ``minutes_ago``, the last one the newest (a
    microsecond apart, so later calls make newer images); oldest first."""
    start = timezone.now() - timedelta(minutes=minutes_ago)
    rows = Image.objects.bulk_create(
        Image(
            owner=owner,
            file=f"images/{owner.pk}/bulk.png",
            thumbnail=f"thumbs/{owner.pk}/bulk.webp",
            width=512,
            height=768,
            thumb_width=384,
            thumb_height=576,
            sha256="0" * 64,
            visibility=visibility,
            recipe={"prompt": prompt},
            **fields,
        )
        for _ in range(count)
    )
    for i, image in enumerate(rows):
        image.created = start + timedelta(microseconds=i)
    Image.objects.bulk_update(rows, ["created"])
    return rows


def ids(images) -> list[int]:
    return [image.pk for image in images]
