"""``backfill_perceptual_hashes``: give the images stored before uploads
compared perceptual hashes one (gallery.hash_backfill), so the look-alike
check covers them. Batched and idempotent: run it once after upgrading, and
again at any time (it only does what is left).

    python manage.py backfill_perceptual_hashes [--batch-size 500]
"""

from django.core.management.base import BaseCommand, CommandError

from gallery.hash_backfill import BATCH_SIZE, backfill


class Command(BaseCommand):
    help = "Compute the perceptual hash of every image that has none (batched, idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args, **options):
        batch_size = options["batch_size"]
        if not 1 <= batch_size <= 10_000:
            raise CommandError("Use 1 <= --batch-size <= 10000.")
        verbosity = options["verbosity"]

        def progress(report):
            if verbosity > 1:
                self.stdout.write(f"… {report.hashed} hashed, {report.failed} unreadable")

        report = backfill(batch_size, on_batch=progress)
        self.stdout.write(report.summary())
