# Everyday commands. Each is a short alias for scripts/dev.py, which needs only python3.
PYTHON ?= python3
VENV := .venv/bin
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: help setup run test test-quick test-pg lint format i18n i18n-check ci clean

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

setup:  ## .venv with the package and test tools, npm tools, compiled catalogs
	$(PYTHON) scripts/dev.py setup

run:  ## migrate, load the demo office, serve on http://127.0.0.1:5000
	$(PYTHON) scripts/dev.py run

test:  ## the whole test suite on SQLite (ARGS="-k slots" to narrow it)
	$(PYTHON) scripts/dev.py test $(ARGS)

test-quick:  ## the suite without the slow tests (browser, concurrency, long property tests)
	$(PYTHON) scripts/dev.py test -m "not slow" $(ARGS)

test-pg:  ## the whole test suite on PostgreSQL (PG_TEST_URL=... to choose the database)
	TERMINVERGABE_TEST_DATABASE_URL=$(PG_TEST_URL) $(PYTHON) scripts/dev.py test $(ARGS)

lint:  ## ruff check and format check
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .

format:  ## ruff format and the fixes ruff can make
	$(VENV)/ruff check --fix .
	$(VENV)/ruff format .

i18n:  ## extract messages, update the catalogs of every language, compile them
	$(PYTHON) scripts/dev.py i18n

i18n-check:  ## fail if the template is stale or a message is untranslated or fuzzy
	$(PYTHON) scripts/dev.py i18n-check

ci:  ## what CI runs (installs system packages as root)
	CI=true bash .ci/run

clean:  ## remove the virtual environment, npm tools and compiled catalogs
	rm -rf .venv node_modules
	find translations -name '*.mo' -delete
