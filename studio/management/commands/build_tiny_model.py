from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Build the tiny random-weight diffusers pipeline (offline) used by tests and demos."

    def add_arguments(self, parser):
        parser.add_argument("--path", default=str(settings.ATELIER_TINY_MODEL_PATH))
        parser.add_argument("--force", action="store_true", help="rebuild even if it exists")

    def handle(self, *args, path, force, **options):
        from pathlib import Path

        from studio.backends.tiny_model import build_tiny_pipeline

        target = Path(path)
        if (target / "model_index.json").exists() and not force:
            self.stdout.write(f"The tiny model is already at {target}.")
            return
        build_tiny_pipeline(target)
        self.stdout.write(self.style.SUCCESS(f"Built the tiny model at {target}."))
