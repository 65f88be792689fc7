import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atelier.settings")
application = get_wsgi_application()

# Everything loaded so far (Django, the apps, DRF: ~130k objects) lives as
# long as the process. Frozen, the cyclic collector's full collections skip
# it; they took 75-150 ms every few hundred requests, with every thread of
# the process waiting (bench/RESULTS.md, API load).
gc.freeze()
