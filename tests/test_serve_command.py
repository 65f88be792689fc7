"""`manage.py serve`'s worker commands (atelier/management/commands/serve.py)."""

from atelier.management.commands.serve import worker_command


def test_the_local_model_worker_runs_at_a_lower_cpu_priority(settings):
    settings.ATELIER_GPU_WORKER_NICE = 10
    gpu = worker_command("python", "gpu,remote")
    assert gpu[:4] == ["nice", "-n", "10", "python"] and gpu[gpu.index("--pool") + 1] == "solo"
    remote = worker_command("python", "remote")
    assert remote[0] == "python" and remote[remote.index("--pool") + 1] == "threads"


def test_a_priority_of_0_runs_the_worker_as_is(settings):
    settings.ATELIER_GPU_WORKER_NICE = 0
    assert worker_command("python", "gpu")[0] == "python"
