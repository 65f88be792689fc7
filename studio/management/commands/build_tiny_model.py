from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Build the tiny random-weight diffusers pipeline (offline) used by tests and demos."

    def add_arguments(self, parser):
        parser.add_argument("--path", default=str(settings.ATELIER_TINY_MODEL_PATH))
        parser.add_argument("--force", action="store_true", help="rebuild even if it is current")

    def handle(self, *args, path, force, **options):
        from studio.backends.tiny_model import build_tiny_pipeline, is_current_build

        if is_current_build(path) and not force:
            self.stdout.write(f"The tiny model is already at {path}.")
            return
        build_tiny_pipeline(path, overwrite=force)
        self.stdout.write(self.style.SUCCESS(f"Built the tiny model at {path}."))
