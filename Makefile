# Atelier — the README's commands. Everything installs into .venv.
# The newest Python 3.11-3.13 on PATH; `make PYTHON=/path/to/python3.x run` overrides it.
PYTHON ?= $(shell for v in 13 12 11; do p=$$(command -v python3.$$v) && $$p -c '' 2>/dev/null && echo $$p && break; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench e2e tiny-model clean

$(STAMP): pyproject.toml
	@test -x $(PY) || test -n "$(PYTHON)" || { echo "Atelier needs Python 3.11, 3.12 or 3.13 (python3.1x on PATH, or make PYTHON=...)"; exit 1; }
	@test -x $(PY) || echo "Creating .venv with $(PYTHON) ($$($(PYTHON) --version))"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[local,dev]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py build_tiny_model
	$(PY) manage.py serve

test: $(STAMP)
	$(PY) -m tests.run_all

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
	rm -rf $(VENV) .cache var/static
