"""How fast a download goes and when it ends, from the byte counts it
reports: the speed over the last few seconds, the time left at that speed."""

from __future__ import annotations

import time

WINDOW = 5.0  # seconds of progress the speed is measured over
MIN_SPAN = 0.5  # seconds of progress before a speed is given


class DownloadSpeed:
    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.done = 0
        self.total = 0
        self.speed: float | None = None  # bytes per second
        self.eta: float | None = None  # seconds left
        self._samples: list[tuple[float, int]] = []

    def add(self, done: int, total: int) -> None:
        now = self.clock()
        self.done, self.total = done, total
        self._samples = [(t, d) for t, d in self._samples if now - t <= WINDOW]
        self._samples.append((now, done))
        first_time, first_done = self._samples[0]
        if now - first_time >= MIN_SPAN:
            self.speed = max(0.0, (done - first_done) / (now - first_time))
            self.eta = (total - done) / self.speed if self.speed else None

    def describe(self, done: int, total: int) -> str:
        """ "Downloading the model — 1.2 / 2.6 GB · 40.0 MB/s · about 1 min left" """
        self.add(done, total)
        return "Downloading the model — " + progress_text(done, total, self.speed, self.eta)


def progress_text(done: int, total: int, speed: float | None, eta: float | None) -> str:
    from .backends.model_download import format_progress, format_size

    parts = [format_progress(done, total)]
    if speed:
        parts.append(f"{format_size(int(speed))}/s")
    if eta is not None:
        parts.append(f"about {format_duration(eta)} left")
    return " · ".join(parts)


def format_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
