# Kasa Monitor. `make run` and `make test` set everything up themselves on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help run test lint fmt bench migrate schema superuser clean fixtures lock

help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

$(STAMP): requirements/base.txt requirements/dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	$(PY) -m kasamonitor.prepare static  # into ./staticfiles: make run's first start skips it
	touch $(STAMP)

SIM := tests/kasa_sim/node_modules/.package-lock.json

$(SIM): tests/kasa_sim/package-lock.json
	npm ci --prefix tests/kasa_sim --no-audit --no-fund --loglevel=error

# Third-party JavaScript clients the tests drive (socket.io-client, written from the spec).
JS_CLIENTS := tests/js_clients/node_modules/.package-lock.json

$(JS_CLIENTS): tests/js_clients/package-lock.json
	npm ci --prefix tests/js_clients --no-audit --no-fund --loglevel=error

# What the browser tests inject into the pages (axe-core, the accessibility rules).
BROWSER_JS := tests/browser/node_modules/.package-lock.json

$(BROWSER_JS): tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error

# python-kasa's recorded device answers for tests/smart_emulator, downloaded once per
# machine into ~/.cache/kasa-monitor (or $KASA_FIXTURES_DIR), never into the repository.
fixtures: $(STAMP)  ## fetch the device recordings the smart emulator serves (needs PyPI)
	$(PY) -m tests.smart_emulator

# Browser tests drive Debian's Chromium; install it when we can (root + apt), as .ci/run does.
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	@[ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null || \
		{ echo "The browser tests need Debian's chromium: sudo apt-get install chromium"; exit 1; }
	apt-get update -qq && apt-get install -y -qq chromium

# The integration tests scrape with Debian's Prometheus and publish to Debian's Mosquitto
# (each test starts its own on a free loopback port): installed like Chromium.
PROMETHEUS := /usr/bin/prometheus
MOSQUITTO := /usr/sbin/mosquitto

$(PROMETHEUS) $(MOSQUITTO):
	@[ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null || \
		{ echo "The integration tests need Debian's prometheus and mosquitto: sudo apt-get install prometheus mosquitto"; exit 1; }
	apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus mosquitto

run: $(STAMP)  ## migrate, collect static and run web + worker + scheduler (Ctrl-C stops all)
	$(PY) -m kasamonitor.run

test: $(STAMP) $(SIM) $(JS_CLIENTS) $(BROWSER_JS) $(CHROMIUM) $(PROMETHEUS) $(MOSQUITTO) fixtures  ## run the whole test suite (installs the simulator, recordings, Chromium, Prometheus and Mosquitto too)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff check + format check
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

fmt: $(STAMP)  ## format and fix
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

bench: $(STAMP)  ## run every benchmark and print one table
	$(PY) benchmarks/run_all.py

# base.txt is generated from base.in: pip-compile keeps the pins already in base.txt and adds
# or drops only what base.in's changes need (pass PIP_COMPILE_ARGS=--upgrade to move pins).
lock: $(STAMP)  ## regenerate requirements/base.txt from requirements/base.in (pip-compile)
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --strip-extras \
		--no-emit-index-url --no-emit-find-links $(PIP_COMPILE_ARGS) \
		-o requirements/base.txt requirements/base.in

migrate: $(STAMP)  ## apply database migrations
	$(PY) manage.py migrate

# make run makes a new SQLite database from this file in one transaction, not by running
# every migration; tests/kasamonitor/test_sqlite_schema.py fails until it is regenerated.
schema: $(STAMP)  ## after adding a migration: regenerate kasamonitor/sqlite_schema.sql
	$(PY) -m kasamonitor.sqlite_schema

superuser: $(STAMP)  ## create the first admin interactively
	$(PY) manage.py createsuperuser

clean:  ## remove the virtualenv (keeps ./var, your data)
	rm -rf $(VENV)
