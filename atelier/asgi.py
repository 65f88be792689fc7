import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atelier.settings")
application = get_asgi_application()

# As in wsgi.py: what is loaded by now lives as long as the process; frozen,
# the cyclic collector's full collections skip it (bench/RESULTS.md, API load).
gc.freeze()
