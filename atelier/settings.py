"""Atelier settings. Every value comes from the environment (a .env file is
read if present); .env.example documents each variable."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env")


def env(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    return int(os.environ.get(name, default))


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# A deployment says so with DEBUG=0 (or false) in its environment, and must
# then name its key, hosts and origins (deploy/production.env.example).
# With DEBUG unset Atelier is a single-machine install (`make run`): a key
# generated once beside the data, answering on this machine's addresses.
DEPLOYED = "DEBUG" in os.environ and not DEBUG
if DEPLOYED:
    _missing = [
        name
        for name in ("SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS")
        if not env(name).strip()
    ]
    if _missing:
        raise ImproperlyConfigured(
            f"DEBUG=0 is a deployment, which must set {', '.join(_missing)} in its "
            "environment (see deploy/production.env.example); unset DEBUG to run "
            "on this machine only."
        )
VAR_DIR = Path(env("ATELIER_VAR_DIR", str(BASE_DIR / "var")))
# The defaults keep the database, job queue, cache and files here. (Where it
# cannot be made, whatever needs it says so: a deployment may use none of it.)
try:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
except OSError:
    pass
SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    # A stable key for a single-machine install, kept beside the data.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        from django.core.management.utils import get_random_secret_key

        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "atelier",
    "accounts",
    "notifications",
    "gallery",
    "moderation",
    "studio",
    "api",
]

MIDDLEWARE = [
    # Outermost: the request id is set for every other middleware's log lines,
    # and the latency measured covers them all (atelier/log_context.py, metrics.py).
    "atelier.log_context.RequestIdMiddleware",
    "atelier.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "atelier.content_security.ContentSecurityPolicyMiddleware",
    "atelier.static_files.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # request.htmx: whether htmx made the request (HX-Request: true).
    "django_htmx.middleware.HtmxMiddleware",
    "atelier.image_uploads.UploadSlotMiddleware",
]

ROOT_URLCONF = "atelier.urls"
WSGI_APPLICATION = "atelier.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.unread",
            ],
        },
    },
    {
        # Only the partials in gallery/jinja2/, which feeds render 24 times a
        # page (docs/decisions.md); Django templates stay the default.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "atelier.jinja2.environment"},
    },
]

# --- Database: SQLite (WAL) by default, PostgreSQL or MariaDB by DATABASE_URL.
# A server database keeps each connection for a minute (checked before reuse):
# opening one costs PostgreSQL a process fork, 2-5 ms a request. The web
# server's threads are a fixed pool (atelier/asgi.py), so a kept connection
# serves the thread's next requests; the facades' waiting requests give theirs
# back at once (api/facades/waiting.py). SQLite opens a file, so it keeps none.
_database_url = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'atelier.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        _database_url,
        conn_max_age=env_int(
            "DATABASE_CONN_MAX_AGE", 0 if _database_url.startswith("sqlite") else 60
        ),
        conn_health_checks=True,
    )
}
_engine = DATABASES["default"]["ENGINE"]
if _engine.endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
elif _engine.endswith("mysql"):
    import pymysql

    pymysql.install_as_MySQLdb()
    DATABASES["default"]["OPTIONS"] = {"charset": "utf8mb4"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Files: Django's storage API only.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
_default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
# How long a presigned S3 URL opens its file, handed out after the permission check.
ATELIER_S3_URL_SECONDS = env_int("ATELIER_S3_URL_SECONDS", 300)
# Where the bucket's root is served publicly (a CDN's domain, or the bucket's
# own URL): public images' thumbnails are copied to public/ with a public-read
# ACL and served from there (gallery/public_thumbnails.py). Empty: presigned only.
ATELIER_S3_PUBLIC_URL = env("ATELIER_S3_PUBLIC_URL", "")
# The ACL of those copies; empty where the bucket refuses ACLs (AWS's default
# for new buckets) and a bucket policy makes public/* readable instead.
ATELIER_S3_PUBLIC_ACL = env("ATELIER_S3_PUBLIC_ACL", "public-read")
if env("AWS_STORAGE_BUCKET_NAME"):
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": ATELIER_S3_URL_SECONDS,
            "signature_version": "s3v4",
        },
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "atelier.static_files.ManifestStaticStorage"
        )
    },
}
# Behind nginx: the internal location that serves MEDIA_ROOT (deploy/nginx.conf);
# files are then sent by nginx after the permission check (atelier/stored_files.py).
ATELIER_ACCEL_REDIRECT = env("ATELIER_ACCEL_REDIRECT")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
ATELIER_MAX_UPLOAD_BYTES = env_int("ATELIER_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
ATELIER_MAX_UPLOAD_PIXELS = env_int("ATELIER_MAX_UPLOAD_PIXELS", 40_000_000)
ATELIER_MAX_UPLOAD_SIDE = env_int("ATELIER_MAX_UPLOAD_SIDE", 16384)
ATELIER_UPLOAD_DECODES = env_int("ATELIER_UPLOAD_DECODES", 2)  # per process; 0 = no limit

# --- Accounts (django-allauth).
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", "none")
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# django-allauth's own limits, in its syntax ("<count>/<period>/<ip|key|user>"):
# "login_failed" is the brute-force guard: per IP, and per account and IP
# together as "key" (accounts.adapter), so a stranger cannot lock the owner out.
ACCOUNT_RATE_LIMITS = {
    "signup": env("ATELIER_RATE_SIGNUP", "20/m/ip"),
    "login": env("ATELIER_RATE_LOGIN", "30/m/ip"),
    "login_failed": env("ATELIER_RATE_LOGIN_FAILED", "10/m/ip,5/5m/key"),
}
# How many reverse proxies in front of Atelier add to X-Forwarded-For (0: none,
# the header is ignored); every per-IP limit reads the address through it.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
LOGIN_REDIRECT_URL = "gallery:mine"
LOGIN_URL = "account_login"
SOCIALACCOUNT_PROVIDERS = {}
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "atelier@localhost")

# --- API.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.token_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AtelierAutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",  # a too-large body as a JSON 413
    # DRF's JSON parser, with a limit on nesting (a deep body was a RecursionError).
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Escape non-ASCII in JSON: a lone surrogate echoed back in an error then
    # still renders instead of failing to encode (a 500).
    "UNICODE_JSON": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Atelier API",
    "DESCRIPTION": "Generate images and browse the gallery.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies get components of their own, so that a file is `binary` there.
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set: two sets named "kind" (notifications' and reports'),
    # and the upscalers that two fields of a generation list.
    "ENUM_NAME_OVERRIDES": {
        "ReportKindEnum": "moderation.models.Report.Kind",
        "UpscalerEnum": "studio.backends.hires_fix.UPSCALERS",
    },
}

# --- Cache: rate-limit counters (and allauth's) shared by every web process.
# Redis when CACHE_URL (or REDIS_URL) is set, else files under ATELIER_VAR_DIR.
CACHE_URL = env("CACHE_URL") or env("REDIS_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    )
}
# Seconds the visitors' first page of Popular (home, Explore, /feed/) stays
# cached: how late a like shows there. New, unpublished or deleted public
# images show at once (gallery/hot_pages.py). 0 turns the cache off.
ATELIER_HOT_PAGE_SECONDS = env_int("ATELIER_HOT_PAGE_SECONDS", 10)

# --- Rate limits ("<count>/<period>", period s, m, h or d, e.g. "100/10m";
# empty or 0 turns one off). Over a limit: 429 with Retry-After.
ATELIER_RATE_GENERATIONS = env("ATELIER_RATE_GENERATIONS", "30/m")  # per person
ATELIER_RATE_GENERATIONS_IP = env("ATELIER_RATE_GENERATIONS_IP", "120/m")  # per IP
ATELIER_RATE_TOKEN_AUTH = env("ATELIER_RATE_TOKEN_AUTH", "10/m")  # per username and IP
ATELIER_RATE_TOKEN_AUTH_IP = env("ATELIER_RATE_TOKEN_AUTH_IP", "10/m")  # per IP
ATELIER_RATE_COMMENTS = env("ATELIER_RATE_COMMENTS", "20/m")  # per person
ATELIER_RATE_UPLOADS = env("ATELIER_RATE_UPLOADS", "20/m")  # upload requests per person
ATELIER_RATE_EXPORTS = env("ATELIER_RATE_EXPORTS", "3/h")  # "Download my data" per person
ATELIER_RATE_ACCOUNT_DELETION = env("ATELIER_RATE_ACCOUNT_DELETION", "5/h")  # password tries
ATELIER_RATE_REPORTS = env("ATELIER_RATE_REPORTS", "20/h")  # reports to the moderators per person

# --- Jobs (Celery). The embedded default needs no server.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", f"atelier-sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = False
ATELIER_TORCH_THREADS = env_int("ATELIER_TORCH_THREADS", 0)  # 0 = torch's own choice
# The local-model worker runs at a lower CPU priority, so that pages and the
# API stay quick while a generation fills the CPU: on Linux under SCHED_IDLE
# (it runs when nothing else wants the CPU); else, or with IDLE=0, at this
# nice value (0 = the default priority).
ATELIER_GPU_WORKER_IDLE = env_bool("ATELIER_GPU_WORKER_IDLE", True)
ATELIER_GPU_WORKER_NICE = env_int("ATELIER_GPU_WORKER_NICE", 10)

# --- Generation.
ATELIER_DEFAULT_MODEL = env("ATELIER_DEFAULT_MODEL")
ATELIER_MODELS_DIR = Path(env("ATELIER_MODELS_DIR", str(VAR_DIR / "models")))
ATELIER_TINY_MODEL_PATH = Path(env("ATELIER_TINY_MODEL_PATH", str(ATELIER_MODELS_DIR / "tiny")))
# .ckpt checkpoints and .pt embeddings are Python pickles: loading one can run
# any code in it. Refused unless staff trust the files in the models folder.
ATELIER_ALLOW_PICKLE_CHECKPOINTS = env_bool("ATELIER_ALLOW_PICKLE_CHECKPOINTS", False)
HF_TOKEN = env("HF_TOKEN")
# Per-engine connection settings, handed to each backend (studio/backends/).
# Presets may override URLs per model in their options; secrets live only here.
ATELIER_ENGINE_MAX_RETRY_SECONDS = env_int("ATELIER_ENGINE_MAX_RETRY_SECONDS", 300)
ATELIER_ENGINES = {
    "diffusers": {"models_dir": str(ATELIER_MODELS_DIR)},
    "huggingface": {
        "token": HF_TOKEN,
        "provider": env("ATELIER_HF_PROVIDER", "hf-inference"),
        "base_url": env("ATELIER_HF_BASE_URL"),
        "timeout": env_int("ATELIER_HF_TIMEOUT", 120),
        "max_retry_seconds": ATELIER_ENGINE_MAX_RETRY_SECONDS,
    },
    "openai": {
        "api_key": env("OPENAI_API_KEY"),
        "base_url": env("OPENAI_BASE_URL", "https://api.openai.com/v1"),
        "organization": env("OPENAI_ORG_ID"),
        "project": env("OPENAI_PROJECT_ID"),
        "timeout": env_int("ATELIER_OPENAI_TIMEOUT", 180),
        "connect_timeout": 10,
        "max_retry_seconds": ATELIER_ENGINE_MAX_RETRY_SECONDS,
    },
    "a1111": {
        "url": env("ATELIER_A1111_URL"),
        "username": env("ATELIER_A1111_USERNAME"),
        "password": env("ATELIER_A1111_PASSWORD"),
        "connect_timeout": float(env("ATELIER_A1111_CONNECT_TIMEOUT", "5")),
        "timeout": float(env("ATELIER_A1111_TIMEOUT", "30")),
        "generation_timeout": float(env("ATELIER_A1111_GENERATION_TIMEOUT", "900")),
        "max_retry_seconds": ATELIER_ENGINE_MAX_RETRY_SECONDS,
    },
    "comfyui": {
        "url": env("ATELIER_COMFYUI_URL"),
        "username": env("ATELIER_COMFYUI_USERNAME"),
        "password": env("ATELIER_COMFYUI_PASSWORD"),
        "connect_timeout": float(env("ATELIER_COMFYUI_CONNECT_TIMEOUT", "5")),
        "timeout": float(env("ATELIER_COMFYUI_TIMEOUT", "30")),
        "generation_timeout": float(env("ATELIER_COMFYUI_GENERATION_TIMEOUT", "900")),
        "max_retry_seconds": ATELIER_ENGINE_MAX_RETRY_SECONDS,
        "workflow_dir": env("ATELIER_COMFYUI_WORKFLOWS"),
    },
}
ATELIER_MAX_QUEUED_JOBS = env_int("ATELIER_MAX_QUEUED_JOBS", 10)
# The most pixels a hires fix or an upscale may make (each picture): 2048 x 3072.
ATELIER_MAX_OUTPUT_PIXELS = env_int("ATELIER_MAX_OUTPUT_PIXELS", 2048 * 3072)
ATELIER_JOB_MAX_ATTEMPTS = env_int("ATELIER_JOB_MAX_ATTEMPTS", 3)
ATELIER_JOB_STALE_SECONDS = env_int("ATELIER_JOB_STALE_SECONDS", 60)
ATELIER_JOB_RESEND_SECONDS = env_int("ATELIER_JOB_RESEND_SECONDS", 600)

# --- Security and locale.
# ATELIER_HTTPS=1: the site is reached over TLS only (the default when SITE_URL
# is https): cookies only over TLS, plain HTTP redirected, and HSTS. Behind a
# proxy that ends TLS, TRUST_X_FORWARDED_PROTO=1 as well.
ATELIER_HTTPS = env_bool("ATELIER_HTTPS", not DEBUG and SITE_URL.startswith("https"))
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", ATELIER_HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", ATELIER_HTTPS)
# Health checks come from inside the network, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if ATELIER_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", ATELIER_HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", ATELIER_HTTPS)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("TRUST_X_FORWARDED_PROTO") else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Logs: plain text (the default), or ATELIER_LOG_FORMAT=json for one JSON
# object a line, with the request id and job id of the line (atelier/log_context.py).
ATELIER_LOG_FORMAT = env("ATELIER_LOG_FORMAT", "text")
_json_logs = ATELIER_LOG_FORMAT == "json"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "atelier.log_context.ContextFilter"}},
    "formatters": {
        "text": {"format": "%(message)s"},
        "json": {"()": "atelier.log_context.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": "json" if _json_logs else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # A line per request with its id; in text mode gunicorn's access log says it.
        "atelier.access": {"level": "INFO" if _json_logs else "WARNING"},
    },
}

# Celery replaces the root logger's handlers with its own plain ones unless told
# not to; in JSON mode its workers keep the handler above.
CELERY_WORKER_HIJACK_ROOT_LOGGER = not _json_logs

# --- Metrics: GET /metrics for Prometheus, with "Authorization: Bearer <token>";
# no token, no /metrics (404). Several processes: PROMETHEUS_MULTIPROC_DIR
# (atelier/metrics.py; manage.py serve sets it).
ATELIER_METRICS_TOKEN = env("ATELIER_METRICS_TOKEN")
# A worker on a machine without a web process serves its job metrics on this
# port (0: it does not), for scraping inside the cluster only: no token there.
ATELIER_WORKER_METRICS_PORT = env_int("ATELIER_WORKER_METRICS_PORT", 0)
ATELIER_WORKER_METRICS_ADDR = env("ATELIER_WORKER_METRICS_ADDR", "0.0.0.0")

# --- Error reporting to Sentry (or a Sentry-compatible server) when SENTRY_DSN is set.
SENTRY_DSN = env("SENTRY_DSN")
if SENTRY_DSN:
    from atelier.error_reporting import init_sentry

    init_sentry(
        SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", "production" if DEPLOYED else "development"),
        traces_sample_rate=float(env("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )
