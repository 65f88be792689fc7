from django.core.management.base import BaseCommand, CommandError

from studio.model_checks import prefetch
from studio.models import ModelPreset


class Command(BaseCommand):
    help = (
        "Download the models of the given presets into the Hugging Face cache (HF_HOME), "
        "so that their first job does not wait for it. Run it where the GPU worker runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("keys", nargs="+", metavar="preset-key")

    def handle(self, *args, keys, **options):
        failed = []
        for key in keys:
            preset = ModelPreset.objects.filter(key=key).first()
            if preset is None:
                self.stderr.write(f"{key}: there is no such preset.")
                failed.append(key)
                continue
            outcome = prefetch(preset, self._progress(key))
            if outcome.ok:
                self.stdout.write(self.style.SUCCESS(f"{key}: {outcome.message}"))
            else:
                self.stderr.write(f"{key}: {outcome.message}")
                failed.append(key)
        if failed:
            raise CommandError(f"Not downloaded: {', '.join(failed)}.")

    def _progress(self, key):
        last = {"message": ""}

        def report(progress):
            if progress.message and progress.message != last["message"]:
                last["message"] = progress.message
                self.stdout.write(f"{key}: {progress.message}")

        return report
