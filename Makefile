# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the project's metadata changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/studyplanner

test: $(VENV)/.installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

# The layers (import-linter), types (mypy) and style (ruff), as configured in pyproject.toml.
lint: $(VENV)/.installed
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/ruff check .

bench: $(VENV)/.installed
	$(BIN)/python bench/suite.py

clean:
	rm -rf $(VENV) build *.egg-info
