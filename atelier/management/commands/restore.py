from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from atelier.backups import BackupError, restore


class Command(BaseCommand):
    help = "Load a backup (manage.py backup) into a fresh, migrated install."

    def add_arguments(self, parser):
        parser.add_argument("source", help="the .tar.gz that manage.py backup wrote")

    def handle(self, *args, source, **options):
        try:
            held = restore(Path(source))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Restored {source}: {held['files']} files.")
