"""A backup of one Atelier: every row people made and every file those rows
name, in one .tar.gz that `manage.py restore` loads into a fresh database and
storage, on any of the supported databases (a SQLite install can move to
PostgreSQL this way).

The archive holds ``data.json`` (Django's dumpdata, natural foreign keys) and
``media/<name>`` for each stored file a row names: images, thumbnails,
previews, avatars and covers. Rows that describe a running system rather
than people's work (sessions, worker heartbeats, content types and
permissions, which migrate makes) are left out. For a large site,
docs/deploy.md gives the database's own dump and a storage sync instead."""

import io
import json
import tarfile
import tempfile
from pathlib import Path

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import models, transaction

EXCLUDED = [
    "contenttypes",
    "auth.permission",
    "sessions",
    "admin.logentry",
    "studio.worker",
]
DATA = "data.json"
MEDIA = "media/"


class BackupError(Exception):
    pass


def stored_names() -> list[str]:
    """The name of every stored file a row names, each once."""
    names = set()
    for model in apps.get_models():
        fields = [f.name for f in model._meta.get_fields() if isinstance(f, models.FileField)]
        for field in fields:
            names.update(
                model.objects.exclude(**{field: ""}).values_list(field, flat=True).distinct()
            )
    return sorted(name for name in names if name)


def backup(destination: Path) -> dict:
    """Write the archive to ``destination`` (a temporary file renamed at the
    end, so a failed backup leaves nothing). Returns what it holds."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    data = io.StringIO()
    call_command("dumpdata", exclude=EXCLUDED, natural_foreign=True, stdout=data, verbosity=0)
    rows = len(json.loads(data.getvalue()))
    names = stored_names()
    with tempfile.NamedTemporaryFile(dir=destination.parent, suffix=".part", delete=False) as part:
        try:
            with tarfile.open(fileobj=part, mode="w:gz") as archive:
                _add(archive, DATA, data.getvalue().encode())
                for name in names:
                    with default_storage.open(name, "rb") as stored:
                        _add(archive, MEDIA + name, stored.read())
        except BaseException:
            Path(part.name).unlink(missing_ok=True)
            raise
    Path(part.name).replace(destination)
    return {"rows": rows, "files": len(names), "bytes": destination.stat().st_size}


def _add(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    member = tarfile.TarInfo(name)
    member.size = len(content)
    archive.addfile(member, io.BytesIO(content))


def restore(source: Path) -> dict:
    """Load an archive into this database and storage, which must hold no
    person yet (a fresh install, migrated). All or nothing: the rows in one
    transaction, and the files written are removed again if it fails."""
    if get_user_model().objects.exists():
        raise BackupError(
            "Restore goes into a fresh install: this database already has people "
            "in it. Point DATABASE_URL at a new, migrated database."
        )
    try:
        archive = tarfile.open(source, mode="r:gz")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{source} is not an Atelier backup: {exc}") from exc
    written = []
    with archive:
        try:
            data = archive.extractfile(DATA)
        except KeyError:
            raise BackupError(f"{source} is not an Atelier backup: it has no {DATA}.") from None
        try:
            for member in archive.getmembers():
                if not (member.isfile() and member.name.startswith(MEDIA)):
                    continue
                name = member.name.removeprefix(MEDIA)
                if default_storage.exists(name):
                    raise BackupError(f"The storage already holds {name}: use an empty one.")
                content = ContentFile(archive.extractfile(member).read())
                try:
                    written.append(default_storage.save(name, content))
                except SuspiciousFileOperation as exc:
                    raise BackupError(f"{source} names a file outside the storage: {name}") from exc
            with tempfile.NamedTemporaryFile(suffix=".json") as fixture:
                fixture.write(data.read())
                fixture.flush()
                with transaction.atomic():
                    call_command("loaddata", fixture.name, verbosity=0)
        except BaseException:
            for name in written:
                default_storage.delete(name)
            raise
    return {"files": len(written)}
