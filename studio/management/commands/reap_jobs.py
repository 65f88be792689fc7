import logging
import time

from django.core.management.base import BaseCommand
from django.db import connections

from atelier.broker import forget_delivered
from atelier.celery import app
from studio.reaper import reap
from studio.workers import forget_gone

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Requeue or fail generation jobs whose worker vanished (see studio/reaper.py), "
        "and delete the embedded queue's delivered messages (atelier/broker.py)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=float, default=0, help="repeat every N seconds (0: run once and exit)"
        )

    def handle(self, *args, every, **options):
        try:
            self.loop(every)
        except KeyboardInterrupt:  # Ctrl-C in `make run` reaches every process
            pass

    def loop(self, every):
        """One round, or one every ``every`` seconds. A repeating reaper outlives
        a round that fails (the broker or the database restarting): what it
        did not do, the next round does."""
        while True:
            try:
                self.round(every)
            except Exception:
                if not every:
                    raise
                log.exception("reaping failed; trying again in %s s", every)
                connections.close_all()  # a broken connection is opened afresh
            if not every:
                return
            time.sleep(every)

    def round(self, every):
        counts = reap()
        counts["forgotten"] = forget_delivered(app.conf.broker_url)
        forget_gone()
        if any(counts.values()) or not every:
            self.stdout.write(
                "requeued {requeued}, failed {failed}, resent {resent}, "
                "deleted {forgotten} delivered messages".format(**counts)
            )
