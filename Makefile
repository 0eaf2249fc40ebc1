# Two commands set everything up on a fresh clone: `make run` and `make test`.
# uv is used from PATH if present, otherwise bootstrapped into .tools/.

SHELL := /bin/bash
PORT ?= 8000
TOOLS := .tools

PYTHON := $(shell for p in python3.13 python3.12 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)

.PHONY: run test install lint format check-python clean bench bench-ranking

check-python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "error: Python 3.12 or newer is required but none was found on PATH (tried python3.13, python3.12, python3)." >&2; \
		exit 1; fi

$(TOOLS)/bin/uv: | check-python
	@echo "uv not found on PATH; installing it into $(TOOLS)/ with $(PYTHON)"
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv

install: check-python $(UV)
	UV_PYTHON_DOWNLOADS=never $(UV) sync --frozen --python $(PYTHON)

# Local settings for `make run` and `manage.py`: DEBUG on and a secret key of its
# own, written once (only readable by you) and never overwritten; git ignores it.
# Real environment variables win over it; production reads it only when
# HELPDESK_ENV_FILE names it (see docs/configuration.md).
.env: | check-python
	@umask 077 && $(PYTHON) -c 'import secrets; print("# Local settings for make run and manage.py (see docs/configuration.md).\nDJANGO_DEBUG=true\nDJANGO_SECRET_KEY=" + secrets.token_urlsafe(50))' > $@.tmp && mv $@.tmp $@
	@echo "Wrote $@ (DEBUG on, a new secret key) for local use."

run: install .env
	$(UV) run --frozen python manage.py migrate --noinput
	$(UV) run --frozen python manage.py load_guides
	$(UV) run --frozen python manage.py runserver 127.0.0.1:$(PORT)

# The suite runs on SQLite, then again on PostgreSQL when the server at
# TEST_POSTGRES_URL answers; under CI=true it must. pytest-django creates and
# drops its own test_<name> database there. Redis-backed tests use 127.0.0.1:6379.
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test

test: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen hadolint Dockerfile
	$(UV) run --frozen lint-imports
	@echo "== Test suite on SQLite"
	env -u DATABASE_URL -u REDIS_URL $(UV) run --frozen pytest
	@if $(UV) run --frozen python -c 'import sys, psycopg; psycopg.connect(sys.argv[1], connect_timeout=3).close()' '$(TEST_POSTGRES_URL)' >/dev/null 2>&1; then \
		echo "== Test suite again on PostgreSQL ($(TEST_POSTGRES_URL))"; \
		env -u REDIS_URL DATABASE_URL='$(TEST_POSTGRES_URL)' $(UV) run --frozen pytest; \
	elif case "$$(echo "$$CI" | tr A-Z a-z)" in 1|true|yes) true;; *) false;; esac; then \
		echo "error: PostgreSQL is not reachable at $(TEST_POSTGRES_URL); CI runs the suite on it too." >&2; \
		exit 1; \
	else \
		echo "== PostgreSQL is not reachable at $(TEST_POSTGRES_URL): the suite ran on SQLite only."; \
	fi

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen hadolint Dockerfile
	$(UV) run --frozen lint-imports

format: install
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

# The load benchmark (prints figures; not part of the tests). See bench/step_post.py.
bench: install
	$(UV) run --frozen python bench/step_post.py

# The learned ranking against the author's order and an oracle (prints figures;
# not part of the tests). See bench/ranking.py; ARGS=--quick for a smoke run.
bench-ranking: install
	$(UV) run --frozen python bench/ranking.py $(ARGS)

clean:
	rm -rf .venv $(TOOLS) .pytest_cache .ruff_cache
