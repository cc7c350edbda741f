# eSchool: `make run` serves the demo district; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15

.PHONY: run install test test-sqlite test-postgres lint format bench bench-quick messages clean

$(VENV)/.installed: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py compile_translations
	$(BIN)/python manage.py load_demo --if-empty --url http://$(HOST):$(PORT)/
	$(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(BIN)/python manage.py compile_translations
	ESCHOOL_DATA_DIR=$(CURDIR)/var/check $(BIN)/python manage.py makemigrations --check --dry-run
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: install
	@echo "== tests on the embedded default: SQLite, in-memory channel layer"
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: install
	@status=0; $(BIN)/python .ci/services.py "$(PG_TEST_URL)" "$(REDIS_TEST_URL)" || status=$$?; \
	if [ $$status -eq 1 ]; then exit 0; elif [ $$status -ne 0 ]; then exit $$status; fi; \
	echo "== tests on PostgreSQL + Redis"; \
	DATABASE_URL="$(PG_TEST_URL)" REDIS_URL="$(REDIS_TEST_URL)" $(BIN)/pytest $(PYTEST_ARGS)

bench: install
	@for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b $(BENCH_ARGS) || exit 1; done

bench-quick:
	$(MAKE) bench BENCH_ARGS=--quick

messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans -l en --no-obsolete --ignore=node_modules --ignore=.venv --ignore=var
	$(BIN)/python manage.py compile_translations

clean:
	rm -rf var/check
