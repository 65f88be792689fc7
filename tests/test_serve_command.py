"""`manage.py serve`'s worker commands (atelier/management/commands/serve.py)."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from atelier.management.commands.serve import priority_prefix, worker_command

REPORT = "import os; print(os.sched_getscheduler(0), os.nice(0))"


def started_under(prefix: list[str]) -> tuple[int, int]:
    """The scheduling policy and nice value of a process started under ``prefix``."""
    out = subprocess.run(
        [*prefix, sys.executable, "-c", REPORT], capture_output=True, text=True, check=True
    ).stdout
    policy, nice = out.split()
    return int(policy), int(nice)


@pytest.mark.skipif(
    sys.platform != "linux" or not shutil.which("chrt"), reason="SCHED_IDLE needs Linux's chrt"
)
def test_on_linux_the_local_model_worker_only_gets_the_cpu_that_is_left(settings):
    settings.ATELIER_GPU_WORKER_IDLE = True
    gpu = worker_command("python", "gpu,remote")
    assert gpu[gpu.index("--pool") + 1] == "solo"
    assert started_under(priority_prefix("gpu"))[0] == os.SCHED_IDLE


def test_without_idle_scheduling_it_runs_at_a_lower_nice_value(settings):
    settings.ATELIER_GPU_WORKER_IDLE = False
    settings.ATELIER_GPU_WORKER_NICE = 10
    policy, nice = started_under(priority_prefix("gpu"))
    assert policy == os.SCHED_OTHER and nice == min(19, os.nice(0) + 10)


def test_a_nice_value_of_0_runs_the_worker_as_is(settings):
    settings.ATELIER_GPU_WORKER_IDLE = False
    settings.ATELIER_GPU_WORKER_NICE = 0
    assert worker_command("python", "gpu")[0] == "python"


def test_the_remote_worker_keeps_the_normal_priority(settings):
    remote = worker_command("python", "remote")
    assert remote[0] == "python" and remote[remote.index("--pool") + 1] == "threads"


def test_only_runs_one_process_started_as_make_run_starts_it(capsys):
    """A container's command (deploy/entrypoint.sh) is make run's, flag for flag."""
    from django.core.management import call_command

    from atelier.management.commands.serve import web_command

    call_command("serve", only="web", print_only=True, host="0.0.0.0", port=8000, web_workers=3)
    web = json.loads(capsys.readouterr().out)
    assert web == [*web_command(sys.executable, "0.0.0.0:8000", workers=3), "--access-logfile", "-"]
    call_command("serve", only="remote-worker", print_only=True)
    remote = json.loads(capsys.readouterr().out)
    assert remote[remote.index("--queues") + 1] == "remote"
