#!/bin/sh
# The image's entrypoint (deploy/Dockerfile). Each process of `manage.py serve`
# is a container of its own, started exactly as serve starts it:
#   web | remote-worker | gpu-worker | reaper   ->  manage.py serve --only NAME
#   manage ARGS...                              ->  manage.py ARGS (migrate, backup...)
#   anything else                               ->  run as given (sh, python...)
set -e
case "$1" in
  web|remote-worker|gpu-worker|reaper)
    exec python manage.py serve --only "$1"
    ;;
  manage)
    shift
    exec python manage.py "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
