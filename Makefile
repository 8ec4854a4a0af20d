# The two commands of README.md: `make run` (the demo trial) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed-stamp
# The folders ruff checks; bench/ appears once a benchmark is written.
LINTED = $(wildcard src tests bench scripts)

.PHONY: run test lint bench clean

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
	touch $(STAMP)

clean:
	rm -rf $(VENV) msctrial-demo.db msctrial-demo.db-wal msctrial-demo.db-shm
