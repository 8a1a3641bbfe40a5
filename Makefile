# Remit: developer and CI entry points. GNU make; everything runs from .venv/.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
DEPS_STAMP := $(VENV)/.remit-installed
KAFKA_STAMP := .cache/kafka/4.1.1/resolved
BENCH_STAMP := $(VENV)/.remit-bench-installed

.PHONY: help install deps bench-deps kafka-jars infra-up infra-down stop status env test lint run bench bench-quick schemas-check pages-assets browser

help:
	@echo "make run         everything: PostgreSQL, Kafka, the three services, the Smith import"
	@echo "make stop        stop what make run started (data is kept)"
	@echo "make install     venv + pip install -e '.[dev]' + Kafka jars from Maven Central + the pages' assets (npm)"
	@echo "make infra-up    start PostgreSQL ($${REMIT_PG_PORT:-55432}) and Kafka ($${REMIT_KAFKA_PORT:-59092})"
	@echo "make infra-down  stop both (data stays in .run/infra)"
	@echo "make test        pytest; starts its own servers unless REMIT_* are exported"
	@echo "make lint        ruff check, ruff format --check, mypy"
	@echo "make schemas-check  generated JSON Schema fresh; AsyncAPI validated"
	@echo "make pages-assets   GOV.UK Frontend (npm, pinned) built into the pages app's assets"
	@echo "make browser     Debian's chromium for the browser tests (apt-get, as root)"
	@echo "make faults      fault drills and hostile-input suites (SOAK=1: the 10-minute soak)"
	@echo "make bench       benchmarks against same-run baselines (bench-quick: CI-sized)"
	@echo "make images-local  podman: stand-in images (no registry) + the project's images"
	@echo "make compose-test  podman: docker-compose.yml up, smoke, restart, down -v"

install: deps kafka-jars pages-assets

deps: $(DEPS_STAMP)

$(PY):
	python3 -m venv $(VENV)

$(DEPS_STAMP): pyproject.toml | $(PY)
	PIP_ROOT_USER_ACTION=ignore $(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@

kafka-jars: $(KAFKA_STAMP)

$(KAFKA_STAMP): infra/kafka/pom.xml | $(DEPS_STAMP)
	$(PY) -m infra resolve

# GOV.UK Frontend and axe-core from npm (pinned in tools/pages/package-lock.json), built into
# the folder the pages app serves at /assets: no CDN, the pages work offline.
PAGES_ASSETS := services/projections/entrypoints/pages/assets/VERSION

pages-assets: $(PAGES_ASSETS)

$(PAGES_ASSETS): tools/pages/package-lock.json tools/pages/build.mjs tools/pages/remit.scss
	npm ci --prefix tools/pages --no-audit --no-fund --loglevel=error
	node tools/pages/build.mjs

# The browser tests drive Debian's chromium (a browser download step fails on these machines).
browser:
	@if command -v chromium >/dev/null; then chromium --version 2>/dev/null | head -1; \
	else apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; fi

infra-up: install
	$(PY) -m infra up

infra-down:
	@if [ -x $(PY) ]; then $(PY) -m infra down; else echo "no $(VENV): nothing to stop"; fi

stop:
	@if [ -x $(PY) ]; then $(PY) -m infra stop; else echo "no $(VENV): nothing to stop"; fi

status:
	$(PY) -m infra status

env:
	@$(PY) -m infra env

test: install
	$(VENV)/bin/pytest

schemas-check: deps
	$(PY) -m schemas.generate --check
	npm ci --prefix tools/asyncapi --no-audit --no-fund --loglevel=error
	node tools/asyncapi/validate.mjs schemas/asyncapi.yaml schemas/json

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy infra schemas services tests tools bench

run: install
	$(PY) -m infra run

bench-deps: $(BENCH_STAMP)

$(BENCH_STAMP): pyproject.toml | $(DEPS_STAMP)
	PIP_ROOT_USER_ACTION=ignore $(PY) -m pip install -q --disable-pip-version-check -e '.[dev,bench]'
	touch $@

bench: install bench-deps
	$(PY) -m bench

bench-quick: install bench-deps
	$(PY) -m bench --quick

# Quick fault drills + ordering + security tests; SOAK=1 runs only the ten-minute soak, which
# rewrites its table in docs/reliability.md.
.PHONY: faults
faults: install
	REMIT_SOAK=$(if $(SOAK),1,0) $(VENV)/bin/pytest -s $(if $(SOAK),tests/faults/test_soak.py,tests/faults tests/security)

# docker-compose.yml for real, under podman (docs/compose.md): images built here without a
# registry, then the stack brought up, smoke-tested and taken down (tests/compose).
.PHONY: images-local compose-test
images-local: install
	$(PY) -m tools.podman images

compose-test: images-local
	REMIT_COMPOSE_TEST=1 $(VENV)/bin/pytest -s -p no:cacheprovider tests/compose
