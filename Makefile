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

.PHONY: run test lint install setup-demo docs-example prod-smoke

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 ($(PYTHON)) is required."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

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
