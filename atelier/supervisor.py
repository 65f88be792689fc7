"""A child process of `manage.py serve` that is started again when it exits.

A crashed worker (the kernel's OOM killer picks the biggest process: a worker
holding a model) must not take the web server down with it. Each ``Supervised``
process is restarted after a delay that doubles with every crash in a row
(1 s, 2 s, 4 s ... at most 30 s), so that a process that cannot start at all
does not spin; once it has stayed up for ``STEADY_SECONDS`` the next crash is
counted as the first again.
"""

import signal
import subprocess
import time
from collections.abc import Callable

FIRST_DELAY = 1.0
MAX_DELAY = 30.0
STEADY_SECONDS = 60.0


def describe_exit(returncode: int) -> str:
    """``exited with code 3`` or ``was killed by SIGKILL``: Popen's negative
    return codes are signals."""
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


class Supervised:
    def __init__(self, name: str, command: list[str], *, say: Callable[[str], None], clock=None):
        self.name = name
        self.command = command
        self.say = say
        self.clock = clock or time.monotonic
        self.process: subprocess.Popen | None = None
        self.restarts = 0
        self.crashes_in_a_row = 0
        self.started_at = 0.0
        self.next_start: float | None = None
        self.stopped = False

    def start(self) -> None:
        self.process = subprocess.Popen(self.command)
        self.started_at = self.clock()
        self.next_start = None
        self.say(f"Started {self.name} (pid {self.process.pid}).")

    def check(self) -> None:
        """Notice an exit and plan the restart, or restart when its time has come."""
        now = self.clock()
        if self.stopped:
            return
        if self.next_start is not None:
            if now >= self.next_start:
                self.restarts += 1
                self.start()
            return
        if self.process is None or self.process.poll() is None:
            return
        if now - self.started_at >= STEADY_SECONDS:
            self.crashes_in_a_row = 0
        delay = min(MAX_DELAY, FIRST_DELAY * 2**self.crashes_in_a_row)
        self.crashes_in_a_row += 1
        self.next_start = now + delay
        self.say(
            f"The {self.name} process {describe_exit(self.process.returncode)}; "
            f"restarting it in {delay:g} s."
        )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self) -> None:
        self.stopped = True
        self.next_start = None
        if self.running():
            self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
