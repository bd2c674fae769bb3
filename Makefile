# Two commands on a fresh machine with python3 and make: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
APP := $(BIN)/flask --app calendar_service
# The suite runs in one process per core (pytest-xdist), a test file to a process.
PYTEST := $(BIN)/python -m pytest -n auto --dist loadfile

.PHONY: run test test-later test-fast test-lowest serve lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# ical.js (Thunderbird's engine), at the version its lockfile pins, for the tests that read our
# feeds with it: installed here so that no test reaches the network.
ICALJS := tests/ical/js/node_modules/.package-lock.json
$(ICALJS): tests/ical/js/package-lock.json
	cd tests/ical/js && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

## run: create or upgrade the SQLite database, seed it if empty, serve on 127.0.0.1:$(PORT)
run: $(VENV)/.installed
	$(APP) init-db
	$(APP) seed --if-empty
	$(APP) run --host 127.0.0.1 --port $(PORT)

## serve: production server: gunicorn with several workers on CALENDAR_DATABASE_URL
serve: $(VENV)/.installed
	$(APP) init-db
	$(BIN)/gunicorn --config deploy/gunicorn.conf.py wsgi:app

## test: the whole suite (SQLite; PostgreSQL too with CALENDAR_TEST_DATABASE_URL set)
test: $(VENV)/.installed-test $(ICALJS)
	$(PYTEST)

## test-later: the whole suite again with the app's clock moved over 400 days ahead, to just
## before a clock change (tests/clock_offset.py): no test may depend on the day it runs
test-later: $(VENV)/.installed-test $(ICALJS)
	CALENDAR_CLOCK_OFFSET=$$($(BIN)/python tests/clock_offset.py) $(PYTEST)

## test-fast: the suite less the browser tests and the slow ones (processes, long property searches)
test-fast: $(VENV)/.installed-test
	$(PYTEST) -m "not browser and not slow"

## test-lowest: the suite on the lowest versions pyproject.toml allows (lowest-constraints.txt)
test-lowest: $(ICALJS)
	$(PYTHON) -m venv .venv-lowest
	.venv-lowest/bin/python -m pip install --quiet -c lowest-constraints.txt -e '.[test]'
	.venv-lowest/bin/python -m pytest -n auto --dist loadfile

## lint: ruff (with a complexity bound of 12) and ruff format, mypy (strict), and the import layers (lint-imports)
lint: $(VENV)/.installed-test
	$(BIN)/ruff check calendar_service rules tests bench docs
	$(BIN)/ruff format --check calendar_service rules tests bench docs
	$(BIN)/mypy --strict rules
	$(BIN)/mypy calendar_service
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .venv-lowest build *.egg-info .pytest_cache .mypy_cache .ruff_cache
