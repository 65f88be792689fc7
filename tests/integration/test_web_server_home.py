"""The web server, started as ``make run`` starts it, writes nothing into the
home folder of the person running it: two Atelier servers on one machine (or
a server beside the test suite's) share no file there."""

import os
from pathlib import Path

import httpx2
import pytest

from tests.stack import Stack

pytestmark = pytest.mark.integration


def test_the_web_server_leaves_the_home_folder_alone(django_db_blocker, tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    database = "postgres" if "postgres" in os.environ.get("DATABASE_URL", "") else "sqlite"
    # No worker: nothing is generated. XDG_RUNTIME_DIR unset, as under cron or
    # a service manager, where programs fall back to files in the home folder.
    env = {"HOME": str(home), "XDG_RUNTIME_DIR": ""}
    with django_db_blocker.unblock():
        stack = Stack(
            database=database, tiny_model=Path(tmp_path_factory.mktemp("no-model")), extra_env=env
        )
    try:
        stack.start(worker=False)
        assert httpx2.get(stack.url + "/").status_code == 200
    finally:
        stack.stop()
    assert [path.name for path in home.iterdir()] == []
