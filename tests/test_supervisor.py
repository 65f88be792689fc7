"""How `manage.py serve` restarts a process that exits (atelier/supervisor.py).
The processes are real; the clock is the test's, so no test waits for a delay.
tests/integration/test_serve_supervision.py kills the real workers."""

import sys

from atelier.supervisor import Supervised


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def crashing(clock, lines, code=3) -> Supervised:
    command = [sys.executable, "-c", f"raise SystemExit({code})"]
    process = Supervised("flaky", command, say=lines.append, clock=clock)
    process.start()
    return process


def crash_and_restart(process: Supervised, clock: Clock, *, ran_for=0.0) -> float:
    """Let the process exit after ``ran_for`` seconds; the delay before its restart."""
    process.process.wait()
    clock.now += ran_for
    process.check()
    delay = process.next_start - clock.now
    clock.now = process.next_start - 0.01
    process.check()
    assert process.next_start is not None, "restarted before its time"
    clock.now = process.next_start
    process.check()
    return delay


def test_a_process_that_keeps_crashing_waits_twice_as_long_each_time_up_to_30_s():
    clock, lines = Clock(), []
    process = crashing(clock, lines)
    delays = [crash_and_restart(process, clock) for _ in range(7)]
    assert delays == [1, 2, 4, 8, 16, 30, 30]
    assert process.restarts == 7
    assert "The flaky process exited with code 3; restarting it in 1 s." in lines
    assert "The flaky process exited with code 3; restarting it in 30 s." in lines
    assert sum(line.startswith("Started flaky (pid ") for line in lines) == 8


def test_a_crash_after_a_minute_up_is_counted_as_the_first_again():
    clock, lines = Clock(), []
    process = crashing(clock, lines)
    assert [crash_and_restart(process, clock) for _ in range(3)] == [1, 2, 4]
    assert crash_and_restart(process, clock, ran_for=60) == 1


def test_it_says_which_signal_killed_the_process():
    clock, lines = Clock(), []
    process = crashing(clock, lines, code=0)
    process.command = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), 9)"]
    crash_and_restart(process, clock)
    process.process.wait()
    process.check()
    assert lines[-1] == "The flaky process was killed by SIGKILL; restarting it in 2 s."


def test_a_stopped_process_is_not_started_again():
    clock, lines = Clock(), []
    process = crashing(clock, lines)
    process.process.wait()
    process.check()
    process.terminate()
    for _ in range(2):
        clock.now += 60
        process.check()
    assert sum(line.startswith("Started") for line in lines) == 1
