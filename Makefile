# Linli — the two commands a new machine needs are `make demo` and `make test` (README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?=
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
LINLI := $(VENV)/bin/linli
export LINLI_VAR_DIR ?= $(CURDIR)/var

.PHONY: help demo test lint typecheck serve sample install install-test install-bench bench system-test-deps system-demo-deps messages clean

help:
	@echo "make demo   install into .venv, prepare the sample district in var/, start the server"
	@echo "make test   install what the tests need and run them all"
	@echo "make lint / make typecheck / make bench / make messages / make clean"

# --- installation ---------------------------------------------------------------------------
$(PY):
	@py="$$(PYTHON=$(PYTHON) sh scripts/find-python)" && echo "Using $$py" && "$$py" -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# Each lock installs exactly what CI tested (hashes checked); the stamp avoids reinstalling.
$(VENV)/.installed-%: requirements/%.lock pyproject.toml | $(PY)
	$(UV) pip sync --quiet --python $(PY) --require-hashes --compile-bytecode $<
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	@# Bytecode now, as pip would: start-up of `linli circle` halves where PYTHONDONTWRITEBYTECODE is set.
	$(PY) -m compileall -q linli >/dev/null
	rm -f $(VENV)/.installed-*
	touch $@

install: $(VENV)/.installed-base
install-test: $(VENV)/.installed-test
install-bench: $(VENV)/.installed-bench

# Browser tests drive Debian's chromium; screenshots need a CJK font. Installed when missing and
# we may (root, or passwordless sudo); LINLI_NO_APT=1 skips this and the browser tests skip.
system-test-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ] && [ -z "$$LINLI_NO_APT" ]; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=no; fi; \
		if [ "$$SUDO" = no ]; then echo "Cannot install$$missing (not root); browser tests will be skipped."; \
		else echo "Installing$$missing from Debian"; \
			$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; fi; \
	fi

# --- the demo -------------------------------------------------------------------------------
# PDF reports need a CJK font (linli/core/pdf.py): installed when missing and we may.
system-demo-deps:
	@if ! dpkg -s fonts-noto-cjk >/dev/null 2>&1 && [ -z "$$LINLI_NO_APT" ]; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=no; fi; \
		if [ "$$SUDO" = no ]; then echo "No Chinese font (fonts-noto-cjk) and not root: PDF downloads will explain they cannot be made."; \
		else echo "Installing fonts-noto-cjk from Debian (PDF reports)"; \
			$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq fonts-noto-cjk >/dev/null; fi; \
	fi

sample: install system-demo-deps
	@mkdir -p $(LINLI_VAR_DIR)/static
	$(LINLI) migrate --no-input -v0
	$(LINLI) load_sample --analyse

demo: sample
	@$(LINLI) demo_logins
	@echo ""
	@echo "Linli is starting at http://127.0.0.1:$(PORT)/  (staff console: http://127.0.0.1:$(PORT)/console/)"
	@echo "Press Ctrl+C to stop."
	@# Today's co-construction day reminders, for the worker to send (production: daily cron).
	@$(LINLI) cobuild_remind >/dev/null
	@trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(LINLI) db_worker --interval 1 >$(LINLI_VAR_DIR)/worker.log 2>&1 & worker=$$!; \
	$(LINLI) runserver --noreload 127.0.0.1:$(PORT)

serve: install
	$(LINLI) runserver 127.0.0.1:$(PORT)

# --- checks ---------------------------------------------------------------------------------
# Unit and API tests on both cores, then the browser journeys in one process: Playwright's sync
# API refuses to start in an xdist worker that has already run other tests.
test: install-test system-test-deps
	@mkdir -p $(LINLI_VAR_DIR)/static
	$(PY) -m pytest -p no:cacheprovider -n 2 --ignore=tests/e2e $(PYTEST_ARGS)
	$(PY) -m pytest -p no:cacheprovider tests/e2e $(PYTEST_ARGS)

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@# The layers of docs/architecture.md ([tool.importlinter] in pyproject.toml).
	$(VENV)/bin/lint-imports

typecheck: install-test
	$(VENV)/bin/mypy linli

bench: install-bench
	@echo "Benchmarks: $(PY) bench/circle.py, $(PY) bench/siting.py, $(PY) bench/web.py"

# Extract strings into the zh_Hans catalogs, fill them from the areas' i18n/*.json glossaries,
# compile; linli/core/tests/test_i18n.py fails while any string is untranslated.
messages: install-test
	cd linli && ../$(LINLI) makemessages -l zh_Hans --no-obsolete --ignore="circle/*" --ignore="static/*"
	$(PY) scripts/fill_translations.py
	cd linli && ../$(LINLI) compilemessages

clean:
	rm -rf $(VENV) var/linli.sqlite3* var/cache var/circle-cache
