# Two commands from a fresh clone: `make run` (the app) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test lint format bench build validate wheel

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

# The app on http://127.0.0.1:8501 (this machine only; see docs/settings.md for options).
run: setup
	$(PY) -m hedong_geo app

test: setup
	$(PY) -m pytest

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: setup
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

build: setup
	$(PY) -m hedong_geo build

validate: setup
	$(PY) -m hedong_geo validate

# dist/hedong_geo-*.whl: the package with its layers, plan texts and docs inside.
wheel: setup
	$(PY) -m pip wheel --no-deps --no-build-isolation -w dist .

bench: setup
	$(PY) bench/run_all.py
