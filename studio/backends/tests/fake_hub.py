"""A stand-in for the Hugging Face hub's file API, served on 127.0.0.1.

huggingface_hub (and so Atelier's model download) talks to it when pointed at
it (``point_huggingface_hub_at``, the same as ``HF_ENDPOINT=<url>``). It speaks
what huggingface_hub 2.x reads (``hf_api.py``, ``file_download.py``):

- ``GET /api/models/{repo}`` and ``/api/models/{repo}/revision/{rev}``: the
  model info, with ``siblings``; with ``?blobs=true`` each has ``size``,
  ``blobId`` and, for LFS files, ``lfs: {size, sha256, pointerSize}``.
- ``HEAD``/``GET /{repo}/resolve/{rev}/{path}``: a regular file answers 200
  with ``ETag`` (its git blob id), ``X-Repo-Commit``, ``Content-Length`` and
  ``Accept-Ranges``; an LFS file (weights) answers 302 to the CDN with
  ``X-Linked-Etag`` (its sha256), ``X-Linked-Size`` and ``X-Repo-Commit``.
- ``GET /cdn/{sha256}`` on ``localhost`` (another origin, as cdn-lfs.hf.co is):
  the bytes, with ``Range`` (206 and ``Content-Range``).
- Errors carry ``X-Error-Code``/``X-Error-Message`` as the hub's do:
  ``RepoNotFound`` (404), ``GatedRepo`` (401 without a token, 403 with one not
  granted), ``RevisionNotFound`` and ``EntryNotFound`` (404).

Variants: ``bytes_per_second`` (slow), ``drop_connection`` (a file cut off
mid-way), ``fail_with`` (every request answers e.g. 500), ``hold`` (a file
paused mid-way until the test releases it). Every request is logged, with the
body bytes sent, so tests can check what was served.
"""

from __future__ import annotations

import hashlib
import json
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

LFS_SUFFIXES = (".safetensors", ".bin", ".ckpt", ".pt", ".onnx", ".msgpack", ".h5")
CHUNK = 64 * 1024
HOLD_LIMIT = 30.0  # seconds a held download waits for release before giving up


# Where tests put the tiny pipeline on the hub (studio/tests/conftest.py `hub`).
TINY_REPO = "atelier-tests/tiny-sd"


@dataclass
class HubFile:
    path: str
    data: bytes

    @property
    def lfs(self) -> bool:
        return self.path.endswith(LFS_SUFFIXES)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def git_oid(self) -> str:
        """What git names the content by (the hub's ETag of a regular file)."""
        return hashlib.sha1(b"blob %d\0" % len(self.data) + self.data).hexdigest()

    def pointer(self) -> bytes:
        """The git-lfs pointer file committed in place of the content."""
        return (
            f"version https://git-lfs.github.com/spec/v1\noid sha256:{self.sha256}\n"
            f"size {len(self.data)}\n"
        ).encode()

    @property
    def etag(self) -> str:
        return self.sha256 if self.lfs else self.git_oid

    def sibling(self, blobs: bool) -> dict:
        if not blobs:
            return {"rfilename": self.path}
        entry = {"rfilename": self.path, "size": len(self.data)}
        if self.lfs:
            pointer = self.pointer()
            entry["blobId"] = hashlib.sha1(b"blob %d\0" % len(pointer) + pointer).hexdigest()
            entry["lfs"] = {
                "size": len(self.data),
                "sha256": self.sha256,
                "pointerSize": len(pointer),
            }
        else:
            entry["blobId"] = self.git_oid
        return entry


@dataclass
class Repo:
    repo_id: str
    files: dict[str, HubFile]
    gated: bool = False
    tokens: frozenset[str] = frozenset()  # tokens granted access to a gated repo

    @property
    def commit(self) -> str:
        names = "".join(f"{path}:{f.etag}\n" for path, f in sorted(self.files.items()))
        return hashlib.sha1(f"{self.repo_id}\n{names}".encode()).hexdigest()


@dataclass
class Served:
    """One request the hub answered."""

    method: str
    path: str
    status: int
    file: str | None = None  # the repo file it was about, if any
    range: str | None = None
    sent: int = 0  # bytes of the file's content written
    authorized: bool = False  # whether it carried an Authorization header


@dataclass
class _Cut:
    after: int
    times: int
    then: int | None  # the status every request answers once the connection is cut


@dataclass
class _Hold:
    after: int
    holding: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)


class FakeHub:
    """A threaded HTTP server that speaks the hub's file API. Use as a context manager."""

    def __init__(self, *, bytes_per_second: int | None = None):
        self.repos: dict[str, Repo] = {}
        self.bytes_per_second = bytes_per_second
        self.status: int | None = None  # when set, every request answers it
        self.log: list[Served] = []
        self._lock = threading.Lock()
        self._cuts: dict[str, _Cut] = {}
        self._holds: dict[str, _Hold] = {}
        self._by_sha: dict[str, HubFile] = {}
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.hub = self
        port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{port}"
        self.cdn = f"http://localhost:{port}"  # another origin, like the hub's CDN
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # Set-up -------------------------------------------------------------------

    def add_repo(self, repo_id: str, files: dict[str, bytes], *, gated=False, tokens=()) -> Repo:
        repo = Repo(
            repo_id,
            {path: HubFile(path, data) for path, data in files.items()},
            gated=gated,
            tokens=frozenset(tokens),
        )
        self.repos[repo_id] = repo
        for f in repo.files.values():
            if f.lfs:
                self._by_sha.setdefault(f.sha256, f)
        return repo

    def add_folder(
        self, repo_id: str, folder: Path, *, extra: dict[str, bytes] | None = None, **kw
    ):
        """Serve every file under ``folder`` (e.g. a diffusers pipeline) as a repo."""
        folder = Path(folder)
        files = {
            p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }
        return self.add_repo(repo_id, {**files, **(extra or {})}, **kw)

    def drop_connection(
        self, path: str, *, after: int, times: int = 1, then: int | None = None
    ) -> None:
        """Cut the connection after ``after`` bytes of ``path``, the next ``times`` times;
        ``then``: from then on answer every request with that status (the hub went down)."""
        self._cuts[path] = _Cut(after, times, then)

    def fail_with(self, status: int | None) -> None:
        """Answer every request with ``status`` (None: serve normally again)."""
        self.status = status

    def hold(self, path: str, *, after: int) -> _Hold:
        """Pause the next download of ``path`` after ``after`` bytes, until ``release``."""
        hold = self._holds[path] = _Hold(after)
        return hold

    def release(self, path: str) -> None:
        self._holds[path].released.set()

    # What was served ----------------------------------------------------------

    def served(self, path: str | None = None, method: str | None = None) -> list[Served]:
        with self._lock:
            return [
                s
                for s in self.log
                if (path is None or s.file == path) and (method is None or s.method == method)
            ]

    def bytes_served(self, path: str | None = None) -> int:
        return sum(s.sent for s in self.served(path, "GET"))

    def _record(self, served: Served) -> None:
        with self._lock:
            self.log.append(served)

    # Life ---------------------------------------------------------------------

    def __enter__(self) -> FakeHub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        for hold in self._holds.values():
            hold.released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def point_huggingface_hub_at(monkeypatch, endpoint: str, home: Path) -> Path:
    """Make huggingface_hub use ``endpoint`` and a cache under ``home``, as
    ``HF_ENDPOINT``/``HF_HOME`` at start-up would (it reads them on import, so its
    constants are set too). No token: HF_TOKEN unset, no token file. Returns the
    hub cache folder."""
    from huggingface_hub import constants

    cache = home / "hub"
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "ENDPOINT", endpoint)
    monkeypatch.setattr(
        constants,
        "HUGGINGFACE_CO_URL_TEMPLATE",
        endpoint + "/{repo_id}/resolve/{revision}/{filename}",
    )
    monkeypatch.setattr(constants, "HF_HOME", str(home))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(home / "token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(home / "stored_tokens"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    return cache


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that hangs up mid-file (a cancelled download) is no error of the hub's."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ThreadingHTTPServer

    def log_message(self, format, *args):  # quiet
        pass

    @property
    def hub(self) -> FakeHub:
        return self.server.hub

    def do_HEAD(self):
        self._route(body=False)

    def do_GET(self):
        self._route(body=True)

    # Routing ------------------------------------------------------------------

    def _route(self, body: bool) -> None:
        url = urlsplit(self.path)
        path = unquote(url.path)
        self.served = Served(
            self.command,
            url.path,
            0,
            range=self.headers.get("Range"),
            authorized="authorization" in {k.lower() for k in self.headers},
        )
        try:
            if self.hub.status is not None:
                self._error(self.hub.status, None, "Internal Error", body)
            elif path.startswith("/api/models/"):
                self._model_info(path.removeprefix("/api/models/"), parse_qs(url.query), body)
            elif path.startswith("/cdn/"):
                self._cdn(path.removeprefix("/cdn/"), body)
            elif "/resolve/" in url.path:
                repo_id, rest = url.path.lstrip("/").split("/resolve/", 1)
                revision, _, file_path = rest.partition("/")
                self._resolve(unquote(repo_id), unquote(revision), unquote(file_path), body)
            else:
                self._error(404, None, "Not Found", body)
        finally:
            self.hub._record(self.served)

    def _repo(self, repo_id: str, body: bool) -> Repo | None:
        repo = self.hub.repos.get(repo_id)
        if repo is None:
            self._error(404, "RepoNotFound", "Repository not found", body)
        return repo

    def _model_info(self, rest: str, query: dict, body: bool) -> None:
        repo_id, _, revision = rest.partition("/revision/")
        repo = self._repo(repo_id, body)
        if repo is None:
            return
        if revision and revision not in ("main", repo.commit):
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}", body)
            return
        blobs = query.get("blobs", ["false"])[0].lower() == "true"
        info = {
            "_id": hashlib.md5(repo.repo_id.encode()).hexdigest()[:24],
            "id": repo.repo_id,
            "modelId": repo.repo_id,
            "author": repo.repo_id.split("/")[0],
            "sha": repo.commit,
            "lastModified": "2024-01-01T00:00:00.000Z",
            "createdAt": "2024-01-01T00:00:00.000Z",
            "private": False,
            "gated": "manual" if repo.gated else False,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "library_name": "diffusers",
            "pipeline_tag": "text-to-image",
            "tags": ["diffusers", "safetensors", "text-to-image"],
            "siblings": [f.sibling(blobs) for f in repo.files.values()],
        }
        data = json.dumps(info).encode()
        self._send(200, {"Content-Type": "application/json"}, data, body)

    def _resolve(self, repo_id: str, revision: str, path: str, body: bool) -> None:
        repo = self._repo(repo_id, body)
        if repo is None:
            return
        self.served.file = path
        if revision not in ("main", repo.commit):
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}", body)
            return
        if repo.gated and not self._granted(repo):
            self._gated(repo, body)
            return
        hub_file = repo.files.get(path)
        commit = {"X-Repo-Commit": repo.commit}
        if hub_file is None:
            self._error(404, "EntryNotFound", f"{path} does not exist", body, commit)
            return
        if hub_file.lfs:
            location = f"{self.hub.cdn}/cdn/{hub_file.sha256}?file={quote(path)}&sig=fake"
            pointer_oid = hashlib.sha1(
                b"blob %d\0" % len(hub_file.pointer()) + hub_file.pointer()
            ).hexdigest()
            text = f"Found. Redirecting to {location}".encode()
            headers = {
                **commit,
                "Location": location,
                "ETag": f'"{pointer_oid}"',
                "X-Linked-Etag": f'"{hub_file.sha256}"',
                "X-Linked-Size": str(len(hub_file.data)),
                "Content-Type": "text/plain; charset=utf-8",
            }
            self._send(302, headers, text, body)
            return
        self._content(hub_file, {**commit, "ETag": f'"{hub_file.git_oid}"'}, body)

    def _granted(self, repo: Repo) -> bool:
        auth = self.headers.get("Authorization", "")
        return auth.startswith("Bearer ") and auth.removeprefix("Bearer ") in repo.tokens

    def _gated(self, repo: Repo, body: bool) -> None:
        if self.headers.get("Authorization"):
            message = (
                f"Access to model {repo.repo_id} is restricted and you are not in the "
                f"authorized list. Visit https://huggingface.co/{repo.repo_id} to ask for access."
            )
            self._error(403, "GatedRepo", message, body)
        else:
            message = (
                f"Access to model {repo.repo_id} is restricted. You must have access to it "
                "and be authenticated to access it. Please log in."
            )
            self._error(401, "GatedRepo", message, body)

    def _cdn(self, sha256: str, body: bool) -> None:
        hub_file = self.hub._by_sha.get(sha256)
        if hub_file is None:
            self._error(404, None, "NoSuchKey", body)
            return
        self.served.file = hub_file.path
        self._content(hub_file, {"ETag": f'"{sha256}"'}, body)

    # Responses ----------------------------------------------------------------

    def _content(self, hub_file: HubFile, headers: dict, body: bool) -> None:
        """The file's bytes, all of them or the range asked for."""
        data = hub_file.data
        size = len(data)
        start, end = 0, size - 1
        status = 200
        asked = self.headers.get("Range")
        if asked and asked.startswith("bytes="):
            first, _, last = asked.removeprefix("bytes=").partition("-")
            start = int(first or 0)
            end = min(int(last), size - 1) if last else size - 1
            if start >= size:
                self._send(416, {"Content-Range": f"bytes */{size}"}, b"", body)
                return
            status = 206
            headers = {**headers, "Content-Range": f"bytes {start}-{end}/{size}"}
        headers = {
            **headers,
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
            "Content-Length": str(end - start + 1),
        }
        self.served.status = status
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self._stream(hub_file.path, data, start, end + 1)

    def _stream(self, path: str, data: bytes, start: int, stop: int) -> None:
        """Write ``data[start:stop]``, throttled, cut or held as the hub was told."""
        hub = self.hub
        cut = hub._cuts.get(path)
        cut_at = None
        if cut is not None and cut.times > 0:
            cut.times -= 1
            cut_at = start + cut.after
        hold = hub._holds.get(path)
        if hold is not None and hold.holding.is_set():
            hold = None  # a hold pauses one download only
        position = start
        while position < stop:
            end = min(stop, position + CHUNK)
            if cut_at is not None:
                end = min(end, cut_at)
            if hold is not None and position < start + hold.after:
                end = min(end, start + hold.after)
            if end > position:
                self.wfile.write(data[position:end])
                self.wfile.flush()
                self.served.sent += end - position
                if hub.bytes_per_second:
                    time.sleep((end - position) / hub.bytes_per_second)  # a slow network
                position = end
            if cut_at is not None and position >= cut_at:
                if cut.then is not None:
                    hub.fail_with(cut.then)
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if hold is not None and position >= start + hold.after:
                hold.holding.set()
                hold.released.wait(HOLD_LIMIT)
                hold = None

    def _error(self, status, code, message, body, extra=None) -> None:
        headers = {"Content-Type": "application/json", **(extra or {})}
        if code:
            headers["X-Error-Code"] = code
        if message:
            headers["X-Error-Message"] = message
        data = json.dumps({"error": message or "error"}).encode()
        self._send(status, headers, data, body)

    def _send(self, status: int, headers: dict, data: bytes, body: bool) -> None:
        self.served.status = status
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body and data:
            self.wfile.write(data)  # not counted in ``sent``: that is the files' bytes
