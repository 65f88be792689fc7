"""Every migration applies on each supported database engine, from scratch."""

import pytest

from tests.stack import ROOT, Database

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("engine", ["sqlite", "postgres", "mariadb"])
def test_migrations_apply_on_a_fresh_database(engine, tmp_path):
    import os
    import subprocess
    import sys

    database = Database(engine, tmp_path)
    try:
        env = {**os.environ, "DATABASE_URL": database.url, "ATELIER_VAR_DIR": str(tmp_path)}
        result = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        check = subprocess.run(
            [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, "models and migrations differ:\n" + check.stdout
    finally:
        database.drop()
