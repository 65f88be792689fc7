from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils import timezone

from atelier.backups import backup


class Command(BaseCommand):
    help = "Write every row and stored file to one .tar.gz (atelier/backups.py)."

    def add_arguments(self, parser):
        parser.add_argument(
            "destination",
            nargs="?",
            help="the archive to write (default: atelier-backup-<time>.tar.gz here)",
        )

    def handle(self, *args, destination=None, **options):
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        path = Path(destination or f"atelier-backup-{stamp}.tar.gz")
        held = backup(path)
        self.stdout.write(
            f"Wrote {path}: {held['rows']} rows, {held['files']} files, "
            f"{held['bytes'] / 1e6:.1f} MB."
        )
