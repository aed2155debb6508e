# watchkeeper: the two commands of the quickstart, and a few helpers.
#   make demo   creates .venv, installs watchkeeper and runs the demo on embedded defaults
#   make test   installs the dev extras and runs lint, type checks and the whole test suite

PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_WORKSPACE ?= demo-workspace
DEMO_PER_DAY ?= 5000

.PHONY: demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "watchkeeper needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The case study in brief: 18 months of card traffic, a champion trained before the shift
# (day 540, 2026-06-24), a retraining attempt on matured post-shift labels validated against
# it, the registry and the readiness scorecard.
demo: $(STAMP)
	rm -rf $(DEMO_WORKSPACE)
	$(BIN)/watchkeeper init $(DEMO_WORKSPACE) --example fraud
	$(BIN)/watchkeeper simulate --preset case-study --per-day $(DEMO_PER_DAY) --workspace $(DEMO_WORKSPACE)
	$(BIN)/watchkeeper train --as-of 2026-06-01 --workspace $(DEMO_WORKSPACE)
	$(BIN)/watchkeeper retrain --as-of 2026-12-01 --reason "new merchant segment and adapted fraud" --workspace $(DEMO_WORKSPACE)
	$(BIN)/watchkeeper models --workspace $(DEMO_WORKSPACE)
	$(BIN)/watchkeeper readiness --workspace $(DEMO_WORKSPACE)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python benchmarks/simulate_speed.py --quick

clean:
	rm -rf $(VENV) $(DEMO_WORKSPACE) .pytest_cache .mypy_cache .ruff_cache
