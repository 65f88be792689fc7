from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Find the checkpoints in ATELIER_MODELS_DIR/Stable-diffusion and make each a model "
        "preset (architecture read from the file's header); disable those whose file is gone."
    )

    def handle(self, *args, **options):
        from studio.checkpoints import ensure_folders, models_dir, scan_models

        ensure_folders()
        report = scan_models()
        self.stdout.write(f"Scanned {models_dir()}.")
        self.stdout.write(report.summary())
