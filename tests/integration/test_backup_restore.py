"""manage.py backup writes one archive; manage.py restore loads it into a fresh
install, on SQLite or PostgreSQL, with the same rows and the same file bytes."""

import json
import os
import subprocess
import sys

import pytest

from tests.stack import ROOT, Database

pytestmark = pytest.mark.integration

# What a person would check after a move: the counts, and each file's bytes.
SUMMARY = """
import hashlib, json
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from gallery.models import Comment, Image, Like, Subscription, Topic
from atelier.backups import stored_names
files = {n: hashlib.sha256(default_storage.open(n).read()).hexdigest() for n in stored_names()}
counts = {m.__name__: m.objects.count() for m in (Image, Like, Comment, Topic, Subscription)}
counts["people"] = get_user_model().objects.count()
print(json.dumps({"counts": counts, "files": files, "likes": sorted(
    Image.objects.values_list("like_count", flat=True))}))
"""


def manage(env, *args, check=True):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def install(tmp_path, name, database):
    folder = tmp_path / name
    folder.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "ATELIER_VAR_DIR": str(folder),
        "MEDIA_ROOT": str(folder / "media"),
    }
    manage(env, "migrate", "--noinput")
    return env


def summary(env) -> dict:
    return json.loads(manage(env, "shell", "-c", SUMMARY).stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("target", ["sqlite", "postgres"])
def test_a_backup_restores_into_a_fresh_install(tmp_path, target):
    source = install(tmp_path, "source", Database("sqlite", tmp_path / "source"))
    manage(source, "seed_demo", "--images", "40", "--users", "6", "--topics", "3", "--seed", "1")
    before = summary(source)
    assert before["counts"]["Image"] == 40 and before["files"]

    archive = tmp_path / "atelier.tar.gz"
    written = manage(source, "backup", str(archive))
    assert f"Wrote {archive}" in written.stdout

    database = Database(target, tmp_path)
    try:
        restored = install(tmp_path, "restored", database)
        manage(restored, "restore", str(archive))
        assert summary(restored) == before

        again = manage(restored, "restore", str(archive), check=False)
        assert again.returncode != 0
        assert "fresh install" in again.stderr
        assert summary(restored) == before  # nothing added or removed
    finally:
        database.drop()


def test_a_file_that_is_not_a_backup_is_refused_and_nothing_is_loaded(tmp_path):
    target = install(tmp_path, "target", Database("sqlite", tmp_path / "target"))
    not_a_backup = tmp_path / "photo.tar.gz"
    not_a_backup.write_bytes(b"\x89PNG\r\n\x1a\n not an archive")
    result = manage(target, "restore", str(not_a_backup), check=False)
    assert result.returncode != 0
    assert "is not an Atelier backup" in result.stderr
    assert "Traceback" not in result.stderr
    assert summary(target)["counts"]["people"] == 0
