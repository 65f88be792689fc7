"""The embedded queue forgets what it delivered: kombu's SQL transport keeps
every delivered message in ``kombu_message`` (``visible = 0``), one row a job,
forever; the reaper (``manage.py reap_jobs``) deletes those delivered more than
a few minutes ago (atelier/broker.py)."""

import json
import sqlite3
from base64 import b64decode
from contextlib import closing
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from kombu import Connection

from atelier.broker import forget_delivered
from atelier.celery import app


@pytest.fixture
def embedded_broker(tmp_path):
    path = tmp_path / "broker.sqlite3"
    kept, app.conf.broker_url = app.conf.broker_url, f"atelier-sqla+sqlite:///{path}"
    yield path
    app.conf.broker_url = kept


def rows(path) -> list[tuple[dict, int]]:
    """Each message's body and its ``visible`` flag (0: delivered)."""
    with closing(sqlite3.connect(path)) as db:
        found = db.execute("SELECT payload, visible FROM kombu_message ORDER BY id").fetchall()
    return [(json.loads(b64decode(json.loads(payload)["body"])), seen) for payload, seen in found]


def deliver_an_hour_ago(path, count: int) -> None:
    """Date the first ``count`` delivered messages' delivery an hour back."""
    an_hour_ago = (datetime.now() - timedelta(hours=1)).isoformat(sep=" ")
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(
            "UPDATE kombu_message SET timestamp = ? WHERE id IN "
            "(SELECT id FROM kombu_message WHERE visible = 0 ORDER BY id LIMIT ?)",
            (an_hour_ago, count),
        )


def test_the_reaper_deletes_messages_delivered_long_ago_and_keeps_the_rest(embedded_broker, db):
    with Connection(app.conf.broker_url) as connection:
        queue = connection.SimpleQueue("gpu")
        for number in range(5):
            queue.put({"job": number})
        for _ in range(3):
            queue.get(timeout=5).ack()
        queue.close()
    assert len(rows(embedded_broker)) == 5
    deliver_an_hour_ago(embedded_broker, 2)

    call_command("reap_jobs")

    delivered_just_now, waiting = ({"job": 2}, 0), [({"job": 3}, 1), ({"job": 4}, 1)]
    assert rows(embedded_broker) == [delivered_just_now, *waiting]
    with Connection(app.conf.broker_url) as connection:
        queue = connection.SimpleQueue("gpu")
        assert [queue.get(timeout=5).payload for _ in range(2)] == [{"job": 3}, {"job": 4}]
        queue.close()


def test_other_brokers_are_not_even_connected_to():
    assert forget_delivered("redis://127.0.0.1:1/0") == 0
