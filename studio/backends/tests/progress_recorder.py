"""A stand-in for the worker's progress callback and cancel check."""


class Recorder:
    """Collects progress reports; cancels after a given sampling step."""

    def __init__(self, cancel_after_step: int | None = None):
        self.reports = []
        self.cancel_after_step = cancel_after_step

    def __call__(self, progress) -> None:
        self.reports.append(progress)

    def should_cancel(self) -> bool:
        steps = [p.step for p in self.reports if p.phase == "sampling"]
        return (
            self.cancel_after_step is not None
            and bool(steps)
            and steps[-1] >= self.cancel_after_step
        )

    def phases(self) -> list[str]:
        return [p.phase for p in self.reports]

    def sampling(self) -> list:
        return [p for p in self.reports if p.phase == "sampling"]
