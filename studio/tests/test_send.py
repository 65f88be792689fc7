"""Sending a job's id: broker connections are kept and reused, by whichever
thread sends next (the web server runs each request in a thread of its own),
and never used by two sends at once."""

import threading

import pytest

from studio import jobs
from studio.tasks import run_generation_job


@pytest.fixture
def sent(monkeypatch):
    """The connections the sends went out on; a send fails while ``fail`` has items."""
    record = {"connections": [], "fail": [], "meanwhile": []}

    def apply_async(*, args, queue, connection):
        record["connections"].append(connection)
        while record["meanwhile"]:
            record["meanwhile"].pop()()
        if record["fail"]:
            raise record["fail"].pop()

    monkeypatch.setattr(run_generation_job, "apply_async", apply_async)
    monkeypatch.setattr(jobs, "_idle_connections", [])
    return record


def send_in_another_thread(job_id):
    other = threading.Thread(target=jobs.send, args=(job_id, "gpu"))
    other.start()
    other.join()


def test_later_sends_reuse_the_connection_whichever_thread_makes_them(sent):
    jobs.send("a", "gpu")
    jobs.send("b", "gpu")
    send_in_another_thread("c")
    first, second, third = sent["connections"]
    assert first is second is third


def test_two_sends_at_once_never_share_a_connection(sent):
    sent["meanwhile"].append(lambda: send_in_another_thread("b"))
    jobs.send("a", "gpu")
    first, meanwhile = sent["connections"]
    assert meanwhile is not first


def test_a_failed_send_is_tried_again_on_a_new_connection(sent):
    sent["fail"].append(ConnectionError("broker went away"))
    jobs.send("a", "gpu")
    broken, fresh = sent["connections"]
    assert fresh is not broken
    jobs.send("b", "gpu")
    assert sent["connections"][-1] is fresh


def test_two_failures_raise(sent):
    sent["fail"] += [ConnectionError("down"), ConnectionError("still down")]
    with pytest.raises(ConnectionError):
        jobs.send("a", "gpu")


def test_a_forked_process_does_not_use_its_parents_connection(sent, monkeypatch):
    jobs.send("a", "gpu")
    parents = sent["connections"][0]
    monkeypatch.setattr(jobs.os, "getpid", lambda: -1)
    jobs.send("b", "gpu")
    assert sent["connections"][1] is not parents
