# Datapilots: the two commands a new user needs are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
FLASK := $(BIN)/flask --app app
# `make run` is for a laptop: development settings unless the caller says otherwise.
export PILOTS_ENV ?= development

.PHONY: run test lint format bench translations migrate db-check proof clean help lock vendor

help:
	@echo "make run          set up and serve the app with demo data on http://$(HOST):$(PORT), with its worker"
	@echo "make test         set up and run the whole test suite (TEST_DATABASE_URL for PostgreSQL)"
	@echo "make lint         ruff"
	@echo "make bench        run the benchmarks in bench/"
	@echo "make proof        full-cycle journey, load, concurrency and faults on gunicorn + PostgreSQL"
	@echo "make translations extract the texts, update and compile the catalogues"
	@echo "make lock         compile requirements*.in into the locked, hashed requirements*.txt"
	@echo "make vendor       copy plotly.js's cartesian bundle (pinned in package.json) into static/vendor/"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The locked files pin every package with its hashes: pip installs exactly those files or nothing.
$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

# Re-lock after editing requirements.in or requirements-dev.in (add --upgrade to take newer releases).
LOCK := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock: $(VENV)/.dev-installed
	$(LOCK) $(LOCK_ARGS) --output-file requirements.txt requirements.in
	$(LOCK) $(LOCK_ARGS) --output-file requirements-dev.txt requirements-dev.in

# Links in e-mails point at the address `make run` serves (unless BASE_URL is set).
run: export BASE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.runtime-installed
	$(FLASK) db upgrade
	$(FLASK) seed-demo --first-run
	@# The background worker (conformance checks, e-mails, nightly jobs) runs beside the web server and stops with it.
	$(FLASK) worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# axe-core for the accessibility tests comes from the npm registry (package.json pins it). Without npm the
# accessibility tests skip and say why (CI installs npm and requires them).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the accessibility tests will skip (install Node.js and npm to run them)"; fi

# plotly.js's cartesian bundle is committed in static/vendor/ (MIT licence beside it), so that `make run` needs no
# npm; after changing its pin in package.json, copy the new release there (docs/operations.md, "Light pages").
vendor: node_modules/.installed
	cp node_modules/plotly.js-cartesian-dist-min/plotly-cartesian.min.js static/vendor/plotly-cartesian.min.js
	cp node_modules/plotly.js-cartesian-dist-min/LICENSE static/vendor/plotly.js-LICENSE.txt

test: $(VENV)/.dev-installed node_modules/.installed
	@status=0; $(BIN)/pytest $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: treat that as a failure" >&2; fi; \
	exit $$status

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check pilots tests bench

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format pilots tests bench

bench: $(VENV)/.dev-installed
	$(BIN)/python -m bench $(BENCH_ARGS)

translations: $(VENV)/.dev-installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output --project Datapilots -o pilots/messages.pot .
	$(BIN)/pybabel update -i pilots/messages.pot -d pilots/translations --no-fuzzy-matching --width 120
	$(BIN)/pybabel compile -d pilots/translations --statistics

migrate: $(VENV)/.runtime-installed
	$(FLASK) db upgrade

# The proof: full-cycle journey, load, concurrency and faults against gunicorn on PostgreSQL (see docs/proof.md).
# PROOF_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/proof) is wiped and rebuilt.
proof: $(VENV)/.dev-installed node_modules/.installed
	PROOF=1 $(BIN)/pytest tests/proof $(PYTEST_ARGS)
	$(BIN)/python -m bench.load $(LOAD_ARGS)

db-check: $(VENV)/.runtime-installed
	$(FLASK) db check

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache
