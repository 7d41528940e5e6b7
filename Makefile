# Sunshine Academy — one command to run, one to test. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
MANAGE := $(PY) manage.py
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# The development settings derive SITE_BASE_URL from these (seed output, emails, QR codes).
export HOST PORT

# The first Python >= 3.12 found: python3.13, python3.12 (pyenv shims included), then python3.
define find_python
for candidate in python3.13 python3.12 $$HOME/.pyenv/versions/3.13*/bin/python3 $$HOME/.pyenv/versions/3.12*/bin/python3 python3; do \
  if command -v "$$candidate" >/dev/null 2>&1 && "$$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
    command -v "$$candidate"; break; \
  fi; \
done
endef

.PHONY: help
help:
	@echo "make run     install, migrate, load demo data and serve on http://$(HOST):$(PORT)"
	@echo "make test    install if needed, then ruff, mypy, makemigrations --check and the test suite"
	@echo "make bench   performance benchmarks (slow; skipped by make test)"
	@echo "make drill   two web nodes, two workers and a beat on PostgreSQL + Redis: one site?"
	@echo "make lint    ruff check, format check and mypy"
	@echo "make audit   pip-audit: known vulnerabilities in requirements.lock (needs network; not in make test)"
	@echo "make messages  update the translation catalogues in locale/ after changing UI text"

$(PY):
	@python="$$($(find_python))"; \
	if [ -z "$$python" ]; then \
	  echo "error: Python 3.12 or newer is required but none was found." >&2; \
	  echo "Install one, e.g. 'apt-get install python3.12 python3.12-venv' or 'pyenv install 3.12'." >&2; \
	  exit 1; \
	fi; \
	echo "Using $$python ($$($$python --version))"; \
	$$python -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml requirements.lock
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e ".[dev]"
	@touch $(STAMP)

.PHONY: install
install: $(STAMP) compilemessages

.PHONY: compilemessages
compilemessages: $(STAMP)
	@command -v msgfmt >/dev/null || { echo "error: msgfmt not found; apt-get install gettext" >&2; exit 1; }
	$(MANAGE) compilemessages --ignore=.venv --verbosity 0

.PHONY: run
run: install
	$(MANAGE) migrate --no-input
	$(MANAGE) seed_demo
	$(MANAGE) runserver $(HOST):$(PORT)

.PHONY: lint
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

.PHONY: test
test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	DJANGO_SETTINGS_MODULE=lms.settings.test $(MANAGE) makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

.PHONY: bench
bench: install
	$(BIN)/pytest -m bench -s $(PYTEST_ARGS)

# The two-node drill (bench/drill.py, README "Production topology"): needs PostgreSQL and Redis
# (DRILL_DATABASE_URL, DRILL_REDIS_URL; defaults on 127.0.0.1) and says so if they are absent.
.PHONY: drill
drill: install
	$(PY) -m bench.drill $(DRILL_ARGS)

# Known vulnerabilities in the pinned dependencies, looked up in PyPI's advisory data (network
# needed, so not part of `make test`). The lock pins every package, hence --no-deps and
# --disable-pip (nothing to resolve); --strict fails when a package could not be checked.
.PHONY: audit
audit: $(STAMP)
	$(BIN)/pip-audit --requirement requirements.lock --no-deps --disable-pip --strict --progress-spinner off

.PHONY: messages
messages: $(STAMP)
	$(MANAGE) makemessages --locale zh_Hans --locale en --ignore .venv --ignore var --no-obsolete

# Regenerate requirements.lock from a clean environment after changing pyproject.toml.
.PHONY: lock
lock: $(PY)
	rm -rf var/lock-venv && $$($(find_python)) -m venv var/lock-venv
	var/lock-venv/bin/pip install --quiet --upgrade pip
	var/lock-venv/bin/pip install --quiet -e ".[dev]"
	var/lock-venv/bin/pip freeze --exclude-editable | grep -v '^-e ' > requirements.lock
	rm -rf var/lock-venv
