# Duban: `make run` sets up and serves the app with its scheduler; `make test` sets up and runs the tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := FLASK_APP=wsgi $(BIN)/flask
HOST ?= 127.0.0.1
PORT ?= 5000
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

.PHONY: run setup test test-sqlite test-postgres lint bench translations browser fonts clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

translations: $(VENV)/.installed
	@$(BIN)/pybabel compile -d tracker/translations --statistics 2>&1 | tail -1

## setup: virtualenv, dependencies, translations, migrations, demo data on the first start only
setup: translations
	$(FLASK) db upgrade
	$(FLASK) demo load --if-empty

## fonts: the free TrueType Chinese fonts the PDF documents embed (仿宋/宋 → AR PL UMing, 楷 → UKai,
## 黑 → WenQuanYi Zen Hei), from Debian's packages; without them PDFs fall back to a built-in font, with a warning
FONT_PACKAGES := fontconfig fonts-arphic-uming fonts-arphic-ukai fonts-wqy-zenhei
fonts:
	@if ! fc-list 2>/dev/null | grep -q "uming" || ! fc-list | grep -q "ukai" || ! fc-list | grep -qi "zenhei"; then \
	  (command -v apt-get >/dev/null && apt-get update -qq && \
	   DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(FONT_PACKAGES) >/dev/null) \
	  || echo "fonts not installed: PDFs will use a built-in font that is not embedded"; fi

## run: serve on $(HOST):$(PORT) with the scheduler beside it (one scheduler process; no reloader)
run: fonts setup
	@FLASK_APP=wsgi $(BIN)/python -m tracker.devserver --host $(HOST) --port $(PORT)

## browser: Debian's chromium and a CJK font for the end-to-end tests (no browser download)
browser:
	@if ! test -x /usr/bin/chromium || ! fc-list 2>/dev/null | grep -qi "wqy\|noto.*cjk"; then \
	  (command -v apt-get >/dev/null && apt-get update -qq && \
	   DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null) \
	  || echo "chromium not installed: end-to-end tests will be skipped"; fi

## test: the suite on SQLite, then on PostgreSQL when TRACKER_TEST_DATABASE_URL is set or a server answers
test: $(VENV)/.dev-installed translations browser fonts
	$(MAKE) --no-print-directory test-sqlite
	@url="$${TRACKER_TEST_DATABASE_URL:-}"; \
	if [ -z "$$url" ] && $(BIN)/python -c "import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(s.connect_ex(('127.0.0.1',5432)))"; then \
	  url="$(PG_TEST_URL)"; fi; \
	if [ -n "$$url" ]; then TRACKER_TEST_DATABASE_URL="$$url" $(MAKE) --no-print-directory test-postgres; \
	else echo "PostgreSQL not reachable: skipped the PostgreSQL run"; fi

test-sqlite:
	@echo "== tests on SQLite"
	env -u TRACKER_TEST_DATABASE_URL $(BIN)/python -m pytest -q -n 2 $(PYTEST_ARGS)

test-postgres:
	@echo "== tests on PostgreSQL"
	$(BIN)/python -m pytest -q -n 2 -m "not e2e and not processes" $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

bench: $(VENV)/.dev-installed
	@status=0; for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || status=1; done; \
	  exit $$status  # every bench runs; the exit status says whether any missed a target

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

## messages: extract UI strings and update the English catalog (then translate the new entries)
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ -k NN_:1,2 --ignore-dirs='.venv .git instance' -o tracker/translations/messages.pot .
	$(BIN)/pybabel update -i tracker/translations/messages.pot -d tracker/translations --no-fuzzy-matching
