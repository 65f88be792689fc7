"""gunicorn settings for `bench/api_load.py --gc-freeze`: once a worker has
loaded Django, move every object made so far into the permanent generation
(gc.freeze()), so that the cyclic collector's full collections no longer walk
the ~130k objects of the loaded app while every thread of the process waits."""

import gc


def post_worker_init(worker):
    gc.freeze()
