# Two entry points for a fresh machine with only Python 3.11+ and pip:
#   make demo   runs the main job
#   make test   runs the whole test suite
# Each creates (or reuses) .venv and installs what it needs first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,all]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/learningorg demo --out demo-output

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/python -m ruff check $(wildcard src tests examples benchmarks)
	$(BIN)/python -m ruff format --check $(wildcard src tests examples benchmarks)
	$(BIN)/python -m mypy --strict src
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
