"""Perceptual hashes for the images stored before uploads compared them
(migration 0007 added the column empty), so that an upload's look-alike
check (gallery.uploads.find_look_alike) sees those images too.

``backfill`` walks the images without a hash in id order, a batch at a time:
each batch's original files are read from storage (a file that several rows
share is read once), hashed as an upload is (imaging.perceptual_hash), and
the rows updated in one UPDATE per hash — only rows still without one, so
it never overwrites a hash written meanwhile. Running it again does nothing
more than what is left; a file that cannot be read is counted, named in the
log, and left without a hash (the look-alike check skips such rows).
``manage.py backfill_perceptual_hashes`` runs it."""

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from PIL import Image as PILImage

from imaging.perceptual_hash import dhash

from .models import Image

log = logging.getLogger(__name__)

BATCH_SIZE = 500
# Unreadable images named in the report: the first ones.
NAMED_FAILURES = 20


@dataclass
class Report:
    hashed: int = 0
    failed: int = 0
    failed_ids: list[int] = field(default_factory=list)
    batches: int = 0

    def summary(self) -> str:
        text = f"Hashed {self.hashed} image{'s' if self.hashed != 1 else ''}"
        if self.failed:
            named = ", ".join(f"#{pk}" for pk in self.failed_ids)
            more = "…" if self.failed > len(self.failed_ids) else ""
            text += f"; {self.failed} could not be read ({named}{more}) and keep no hash"
        return text + "."


def file_hash(name: str) -> str | None:
    """The dHash of the stored file ``name``; None if it cannot be read."""
    try:
        with default_storage.open(name, "rb") as stored, PILImage.open(stored) as picture:
            # A JPEG is decoded at a reduced size (by 1/2 to 1/8): the 9×8
            # grid comes out alike (0 or 1 bit apart on 1024×768 photo-like
            # JPEGs), far inside gallery.uploads.NEAR_DUPLICATE_BITS.
            picture.draft("RGB", (64, 64))
            picture.load()
            return dhash(picture)
    except (OSError, ValueError, PILImage.DecompressionBombError) as error:
        log.warning("no perceptual hash for %s: %s", name, error)
        return None


def backfill(batch_size: int = BATCH_SIZE, *, on_batch=None) -> Report:
    """Give every image without a perceptual hash one; ``on_batch(report)``
    after each batch (progress)."""
    report = Report()
    after = 0
    while True:
        rows = list(
            Image.objects.filter(perceptual_hash__isnull=True, pk__gt=after)
            .order_by("pk")
            .values_list("pk", "file")[:batch_size]
        )
        if not rows:
            return report
        after = rows[-1][0]
        by_file = defaultdict(list)
        for pk, name in rows:
            by_file[name].append(pk)
        by_hash = defaultdict(list)
        for name, ids in by_file.items():
            found = file_hash(name) if name else None
            if found is None:
                report.failed += len(ids)
                room = NAMED_FAILURES - len(report.failed_ids)
                report.failed_ids += ids[: max(room, 0)]
            else:
                by_hash[found] += ids
        for found, ids in by_hash.items():
            report.hashed += Image.objects.filter(pk__in=ids, perceptual_hash__isnull=True).update(
                perceptual_hash=found
            )
        report.batches += 1
        if on_batch:
            on_batch(report)
