# Meldpunt. `make run` starts the product on SQLite; `make test` runs the whole test suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
# `make run PORT=8080` serves on another port; every link the demo prints or e-mails follows it
# (SITE_URL). Set SITE_URL yourself when the browser reaches the server by another address.
PORT ?= 8000
SITE_URL ?= http://127.0.0.1:$(PORT)
# The test suite uses the real PostgreSQL and Redis (see README); override to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/meldpunt
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test lint install lock setup-demo docs-example prod-smoke

# Installs exactly what requirements/dev.lock pins, each file checked against its hash; the
# project itself goes in editable without resolving anything. `make lock` rewrites the locks.
$(VENV)/.installed: pyproject.toml requirements/dev.lock
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 ($(PYTHON)) is required."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

install: $(VENV)/.installed

# Re-resolve pyproject.toml's ranges into the two lock files (with every file's hash) for
# Python 3.11 on Linux x86_64: requirements/main.lock (runtime, the Docker image) and
# requirements/dev.lock (runtime + dev, make install and CI). main.lock is constrained by dev.lock,
# so both pin the same versions. UPGRADE=1 moves every pin to the newest release in range.
UV_COMPILE = $(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-manylinux_2_28 $(if $(UPGRADE),--upgrade)
lock: install
	$(UV_COMPILE) pyproject.toml --extra dev -o requirements/dev.lock
	$(UV_COMPILE) pyproject.toml -c requirements/dev.lock -o requirements/main.lock

setup-demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_reference_data
	SITE_URL=$(SITE_URL) $(PY) manage.py create_demo_users
	$(PY) manage.py seed_demo

run: setup-demo
	@echo "Open $(SITE_URL)/melden/ (public form) and $(SITE_URL)/backoffice/"
	SITE_URL=$(SITE_URL) $(PY) manage.py runserver --insecure 127.0.0.1:$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	DATABASE_URL= $(VENV)/bin/mypy
	DATABASE_URL= $(PY) manage.py makemigrations --check --dry-run

test: install lint
	scripts/ensure-chromium
	scripts/ensure-axe
	DATABASE_URL=$(TEST_DATABASE_URL) TEST_BROKER_URL=$(TEST_BROKER_URL) \
		$(PY) -m pytest

# The production process set (docker-compose.yml's commands, production settings) as plain
# processes, driven over HTTP through a working year; see scripts/prod_smoke.py. Uses its own
# PostgreSQL database and PROD_SMOKE_BROKER_URL (default redis://127.0.0.1:6379/14).
prod-smoke: install
	$(PY) scripts/prod_smoke.py
