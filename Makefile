# manyi: `make run` starts the demo, `make test` runs the whole suite.
# Everything a fresh machine needs is installed from here.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
export MANYI_HOST ?= 127.0.0.1
export MANYI_PORT ?= 8000
VENDOR := src/manyi/web/static/vendor
STAMP := $(VENV)/.installed

.PHONY: run install assets browser proxy-server ldap-server test test-fast lint format bench clean help

help:
	@echo "make run     set up, migrate, seed the demo bank and start manyi on http://$(MANYI_HOST):$(MANYI_PORT)"
	@echo "make test    set up and run the whole test suite (PostgreSQL too when MANYI_TEST_DATABASE_URL is set)"
	@echo "make lint    ruff (lint + format check), mypy and the architecture contracts (import-linter)"
	@echo "make bench   run the benchmarks under bench/ (prints figures)"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP) assets

# Browser libraries come from the npm registry, pinned in package-lock.json,
# and are served by manyi itself (no CDN). axe-core (a devDependency) is not copied:
# the end-to-end tests inject node_modules/axe-core/axe.min.js into the page themselves.
$(VENDOR)/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p $(VENDOR)/swagger-ui $(VENDOR)/htmx $(VENDOR)/echarts
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css $(VENDOR)/swagger-ui/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	touch $@

assets: $(VENDOR)/.stamp

# Headless Chromium and CJK fonts for the end-to-end tests (Debian packages).
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then \
		echo "installing chromium and fonts-noto-cjk"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

# Debian's nginx and openssl for the reverse-proxy test (tests/integration/test_deploy_proxy.py
# runs deploy/nginx/manyi.conf in an nginx of its own): the nginx service the package starts
# is not needed, and is stopped where systemd runs.
proxy-server:
	@if [ ! -x /usr/sbin/nginx ] || ! command -v openssl >/dev/null 2>&1; then \
		echo "installing nginx-light and openssl"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light openssl >/dev/null; \
		if [ -d /run/systemd/system ]; then systemctl disable --now nginx >/dev/null 2>&1 || true; fi; \
	fi

# OpenLDAP's server and tools for the directory sign-in tests (tests/ldap_server.py starts a
# slapd of its own on a free port): the slapd service the package starts is not needed either.
ldap-server:
	@if [ ! -x /usr/sbin/slapd ] || [ ! -x /usr/sbin/slapadd ] || ! command -v ldapsearch >/dev/null 2>&1; then \
		echo "installing slapd and ldap-utils"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slapd ldap-utils >/dev/null; \
		if [ -d /run/systemd/system ]; then systemctl disable --now slapd >/dev/null 2>&1 || true; fi; \
	fi

run: install
	$(BIN)/manyi db upgrade
	$(BIN)/manyi demo seed
	@# The demo's classifier learns from its two years of complaints in the background (a minute
	@# or two); new complaints get suggestions once it is done (var/classifier-train.log).
	@mkdir -p var && ($(BIN)/manyi complaints classifier train --if-missing > var/classifier-train.log 2>&1 &)
	@# The worker delivers notifications (pages to second-line staff) beside the web server.
	$(BIN)/manyi worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; $(BIN)/manyi serve

# One pytest worker per core (pytest-xdist); each has its own databases and test servers.
# A test file stays on one worker (--dist loadfile), so module fixtures are built once.
TEST_WORKERS ?= auto
# Some machines set PYTHONDONTWRITEBYTECODE: then every worker and every server a test starts
# compiled manyi and re-wrote the tests' asserts again (7 s of each worker's start here).
unexport PYTHONDONTWRITEBYTECODE

# The event stream's tests need a NATS server with JetStream (MANYI_TEST_NATS_URL=  skips them).
MANYI_TEST_NATS_URL ?= nats://127.0.0.1:4222
test: install browser proxy-server ldap-server
	MANYI_TEST_NATS_URL=$(MANYI_TEST_NATS_URL) $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

test-fast: install
	$(BIN)/python -m pytest -q -m "not e2e"

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy src
	@# The architecture's contracts (.importlinter; manyi's own contract types in scripts/contracts.py).
	PYTHONPATH=scripts $(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: install
	@# The PostgreSQL benches drop and recreate the schema of this scratch database.
	@-createdb -h 127.0.0.1 -U postgres manyi_bench 2>/dev/null || true
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .pytest_cache .mypy_cache .ruff_cache
