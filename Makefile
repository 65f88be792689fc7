# Atelier — the README's commands. Everything installs into .venv.
# The newest Python 3.11-3.13 on PATH; `make PYTHON=/path/to/python3.x run` overrides it.
PYTHON ?= $(shell for v in 13 12 11; do p=$$(command -v python3.$$v) && $$p -c '' 2>/dev/null && echo $$p && break; done)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Installs come from the lock files in requirements/ (`make lock` writes them):
# web.txt is the app and its dev tools, for Python 3.11-3.13 on any system;
# local-py311.txt adds the local engine (diffusers, transformers...) for Python
# 3.11 on Linux x86_64. torch itself is not in it: pip takes pyproject's pin,
# torch==X, in whichever build the machine offers (the CPU one from /opt/wheels
# here, CUDA from PyPI), and the lock holds the CPU build's dependencies.
# Elsewhere, or with LOCAL=0, the venv gets web.txt: remote engines only.
WEB_LOCK := requirements/web.txt
LOCAL_LOCK := requirements/local-py311.txt
LOCAL ?= 1
# Where `make lock` finds torch's CPU build (its metadata has no CUDA packages).
# Elsewhere: make lock TORCH_CPU='--index https://download.pytorch.org/whl/cpu --index-strategy unsafe-best-match'
TORCH_CPU ?= --find-links /opt/wheels
UV_VERSION := 0.13.9
UV_COMPILE = $(VENV)/bin/uv pip compile --quiet --custom-compile-command "make lock" \
  $(if $(UPGRADE),--upgrade) pyproject.toml

.PHONY: run test test-web lint format bench e2e tiny-model lock clean

$(STAMP): pyproject.toml $(WEB_LOCK) $(LOCAL_LOCK)
	@test -x $(PY) || test -n "$(PYTHON)" || { echo "Atelier needs Python 3.11, 3.12 or 3.13 (python3.1x on PATH, or make PYTHON=...)"; exit 1; }
	@test -x $(PY) || echo "Creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version))"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@if [ "$(LOCAL)" = 1 ] && $(PY) -c 'import platform, sys; sys.exit(not (sys.version_info[:2] == (3, 11) and sys.platform == "linux" and platform.machine() == "x86_64"))'; then \
	  echo "Installing $(LOCAL_LOCK) (with the local engine)"; \
	  $(PY) -m pip install --quiet -r $(LOCAL_LOCK) -e '.[local]'; \
	else \
	  echo "Installing $(WEB_LOCK): remote engines only. The local engine (torch) is locked for Python 3.11 on Linux x86_64; elsewhere: $(PY) -m pip install -e '.[local]'"; \
	  $(PY) -m pip install --quiet -r $(WEB_LOCK) && $(PY) -m pip install --quiet --no-deps -e .; \
	fi
	touch $(STAMP)

# Rewrites the lock files from pyproject.toml, keeping the pins it still allows
# (UPGRADE=1: the newest releases it allows).
# The local lock is constrained by web.txt so both pin the same shared versions.
# It is resolved against torch's CPU build (TORCH_CPU), whose metadata names no
# CUDA packages, and leaves torch out (see above).
lock: $(STAMP)
	$(PY) -m pip install --quiet uv==$(UV_VERSION)
	$(UV_COMPILE) --extra dev --universal --python-version 3.11 -o $(WEB_LOCK)
	$(UV_COMPILE) --extra dev --extra local -c $(WEB_LOCK) --python-version 3.11 \
	  --python-platform x86_64-manylinux_2_28 $(TORCH_CPU) --no-emit-package torch -o $(LOCAL_LOCK)

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@if $(PY) -c 'import importlib.util as u, sys; sys.exit(not (u.find_spec("torch") and u.find_spec("diffusers")))'; then \
	  $(PY) manage.py build_tiny_model; \
	else echo "No local engine in $(VENV) (torch, diffusers): the tiny model is not built; remote engines only."; fi
	$(PY) manage.py serve

test: $(STAMP)
	$(PY) -m tests.run_all

# The suite without the local engine, on SQLite: CI runs it on Python 3.13 with
# make test-web PYTHON=python3.13 (its own venv, .venv-web, from web.txt).
test-web:
	@test -n "$(PYTHON)" || { echo "test-web: no python3.1x found; make test-web PYTHON=..."; exit 1; }
	@if [ -x .venv-web/bin/python ] && [ "$$(.venv-web/bin/python -V)" != "$$($(PYTHON) -V)" ]; then \
	  echo "Rebuilding .venv-web for $$($(PYTHON) -V)"; rm -rf .venv-web; fi
	$(MAKE) VENV=.venv-web LOCAL=0 .venv-web/.installed
	env -u DATABASE_URL .venv-web/bin/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

e2e: $(STAMP)
	$(PY) -m pytest tests/e2e

bench: $(STAMP)
	$(PY) bench/job_overhead.py
	$(PY) bench/engines.py
	$(PY) bench/feeds.py
	$(PY) bench/api_load.py

tiny-model: $(STAMP)
	$(PY) manage.py build_tiny_model --force

clean:
	rm -rf $(VENV) .venv-web .cache var/static
