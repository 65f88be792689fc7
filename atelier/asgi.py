"""The web server's application (gunicorn with uvicorn's workers, see
atelier/management/commands/serve.py): two ways into the same Django project.

- The endpoints that wait for a generation (the A1111 and OpenAI facades)
  go through Django's ASGI handler: their views await the job's end on the
  event loop (api/facades/waiting.py), so a person's long batches take no
  thread that pages need.
- Everything else goes through Django's WSGI handler in a fixed pool of
  ATELIER_WEB_THREADS threads, as under gunicorn's threads: under the ASGI
  handler every request gets a new thread for its synchronous parts
  (middleware, views, the ORM), which made ordinary pages and API calls
  slower under load (docs/decisions.md, bench/RESULTS.md).
"""

import gc
import os

from a2wsgi import WSGIMiddleware
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atelier.settings")
waiting_app = get_asgi_application()
pages_app = WSGIMiddleware(
    get_wsgi_application(), workers=int(os.environ.get("ATELIER_WEB_THREADS", "4"))
)

# The facades' waiting views (api/facades/urls.py; a test checks they match).
WAITING_PATHS = frozenset(
    {
        "/sdapi/v1/txt2img",
        "/sdapi/v1/img2img",
        "/v1/images/generations",
        "/v1/images/edits",
        "/v1/images/variations",
    }
)


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] not in WAITING_PATHS:
        await pages_app(scope, receive, send)
    else:
        await waiting_app(scope, receive, send)


# Everything loaded so far (Django, the apps, DRF: ~130k objects) lives as
# long as the process. Frozen, the cyclic collector's full collections skip
# it; they paused every thread of the process now and then (bench/RESULTS.md,
# API load).
gc.freeze()
