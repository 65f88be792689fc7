"""The servers a test pass keeps its files and its cache on.

`tests/run_all.py` runs the PostgreSQL pass with files on S3 (a moto server it
starts) and the cache and the job queue on Redis. It tells the tests through
the environment, which `tests/fixtures.py` reads:

- ATELIER_TEST_S3=1: files go to S3, a folder (key prefix) per test, in a
  bucket of the pass. ATELIER_TEST_S3_ENDPOINT names the server; without it
  the tests start moto's server themselves (`ATELIER_TEST_S3=1 pytest ...`).
- ATELIER_TEST_REDIS_URL: the cache (a key prefix per test) and the job queue
  (a key prefix per pass) on that Redis database.

Without them, files go to a folder per test and the cache to files."""

import functools
import logging
import os
import threading

S3_BUCKET = "atelier-tests"
S3_REGION = "us-east-1"
S3_KEYS = {"access_key": "testing-key", "secret_key": "testing-secret"}
# Redis database 15: 0 is the shared default, 1-13 the stacks' own
# (tests/stack.py), 14 bench/job_overhead.py's.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def s3_wanted() -> bool:
    return os.environ.get("ATELIER_TEST_S3") == "1"


def redis_url() -> str | None:
    return os.environ.get("ATELIER_TEST_REDIS_URL") or None


def start_moto():
    """moto's S3 server on a free local port, in a thread of this process;
    None when moto is not installed."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        return None
    # One log line per request would bury the test output.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    return server


def endpoint_of(server) -> str:
    host, port = server.get_host_and_port()
    return f"http://{host}:{port}"


def s3_client(endpoint: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=S3_REGION,
        aws_access_key_id=S3_KEYS["access_key"],
        aws_secret_access_key=S3_KEYS["secret_key"],
    )


def s3_storage(endpoint: str, location: str, expire: int) -> dict:
    """The storage settings production uses (atelier/settings.py), on the
    test server, under ``location``."""
    return {
        "BACKEND": "tests.pass_services.PassS3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "location": location,
            "endpoint_url": endpoint,
            "region_name": S3_REGION,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": expire,
            "signature_version": "s3v4",
            **S3_KEYS,
        },
    }


@functools.cache
def _storage_class():
    from storages.backends.s3 import S3Storage

    class PassS3Storage(S3Storage):
        """Production's S3 storage, but one boto3 connection per thread for
        the whole pass: making one costs more than most tests (the same
        endpoint and keys in every test)."""

        @property
        def connection(self):
            shared = getattr(_connections, "s3", None)
            if shared is None:
                shared = _connections.s3 = super().connection
            return shared

    return PassS3Storage


_connections = threading.local()


def __getattr__(name):
    if name == "PassS3Storage":  # storages is optional (the s3 extra): imported when used
        return _storage_class()
    raise AttributeError(name)
