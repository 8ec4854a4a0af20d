# The two commands of README.md: `make run` (the demo trial) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed-stamp
# The folders ruff checks; bench/ appears once a benchmark is written.
LINTED = $(wildcard src tests bench scripts)

# The interface's catalogues (babel.cfg says what is read): extract the marked text into the
# template, update each language's .po from it, compile the .mo files the server loads.
LOCALE_DIR = src/msctrial/web/locale
POT = $(LOCALE_DIR)/messages.pot

.PHONY: run test lint bench clean i18n-extract i18n-update i18n-compile

run: $(STAMP)
	$(BIN)/msctrial demo

test: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -n auto -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/pybabel compile -d $(LOCALE_DIR) -D messages
	touch $(STAMP)

i18n-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --omit-header -o $(POT) .

i18n-update: i18n-extract
	$(BIN)/pybabel update -i $(POT) -d $(LOCALE_DIR) -D messages --ignore-obsolete

i18n-compile: $(STAMP)
	$(BIN)/pybabel compile -d $(LOCALE_DIR) -D messages --statistics

clean:
	rm -rf $(VENV) msctrial-demo.db msctrial-demo.db-wal msctrial-demo.db-shm
