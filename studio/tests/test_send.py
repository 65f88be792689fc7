"""Sending a job's id: each thread reuses one broker connection of its own."""

import threading

import pytest

from studio import jobs
from studio.tasks import run_generation_job


@pytest.fixture
def sent(monkeypatch):
    """The connections the sends went out on; a send fails while ``fail`` has items."""
    record = {"connections": [], "fail": []}

    def apply_async(*, args, queue, connection):
        record["connections"].append(connection)
        if record["fail"]:
            raise record["fail"].pop()

    monkeypatch.setattr(run_generation_job, "apply_async", apply_async)
    monkeypatch.setattr(jobs, "_local", threading.local())
    return record


def test_a_thread_reuses_its_connection_and_another_thread_has_its_own(sent):
    jobs.send("a", "diffusers")
    jobs.send("b", "diffusers")
    other = threading.Thread(target=jobs.send, args=("c", "diffusers"))
    other.start()
    other.join()
    first, second, third = sent["connections"]
    assert first is second
    assert third is not first


def test_a_failed_send_is_tried_again_on_a_new_connection(sent):
    sent["fail"].append(ConnectionError("broker went away"))
    jobs.send("a", "diffusers")
    broken, fresh = sent["connections"]
    assert fresh is not broken
    jobs.send("b", "diffusers")
    assert sent["connections"][-1] is fresh


def test_two_failures_raise(sent):
    sent["fail"] += [ConnectionError("down"), ConnectionError("still down")]
    with pytest.raises(ConnectionError):
        jobs.send("a", "diffusers")


def test_a_forked_process_does_not_use_its_parents_connection(sent, monkeypatch):
    jobs.send("a", "diffusers")
    parents = sent["connections"][0]
    monkeypatch.setattr(jobs.os, "getpid", lambda: -1)
    jobs.send("b", "diffusers")
    assert sent["connections"][1] is not parents
