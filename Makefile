# watchkeeper: the two commands of the quickstart, and a few helpers.
#   make demo   creates .venv, installs watchkeeper and runs the demo on embedded defaults
#   make test   installs the dev extras and runs lint, type checks and the whole test suite

PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= watchkeeper-demo

.PHONY: demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "watchkeeper needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The case study replayed twice on one simulated stream: without watchkeeper (the first model
# frozen) and with it (monitoring, alerts, retraining, validation, canary), side by side.
demo: $(STAMP)
	$(BIN)/watchkeeper demo --out $(DEMO_OUT)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -n auto --dist worksteal --durations=15

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python benchmarks/simulate_speed.py --quick

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .mypy_cache .ruff_cache
