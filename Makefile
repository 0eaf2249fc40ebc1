# Two commands set everything up on a fresh clone: `make run` and `make test`.
# uv is used from PATH if present, otherwise bootstrapped into .tools/.

SHELL := /bin/bash
PORT ?= 8000
TOOLS := .tools

PYTHON := $(shell for p in python3.13 python3.12 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)

.PHONY: run test install lint format check-python clean

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

run: export DJANGO_DEBUG ?= true
run: install
	$(UV) run --frozen python manage.py migrate --noinput
	$(UV) run --frozen python manage.py load_guides
	$(UV) run --frozen python manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen pytest

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

format: install
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

clean:
	rm -rf .venv $(TOOLS) .pytest_cache .ruff_cache
