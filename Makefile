# Quick start: `make run` (starts the bot) and `make test` (the whole suite + ruff).
# Both create .venv when missing. torch is installed first, pinned to the CPU build
# that ships on these machines; an unpinned torch (as detoxify asks for) would pull a
# multi-GB CUDA build.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
TORCH := torch==2.13.0
CONFIG ?= config.toml

.PHONY: run test lint format check-config clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml | $(PY)
	$(PY) -m pip install $(TORCH)
	$(PY) -m pip install -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install $(TORCH)
	$(PY) -m pip install -e '.[dev]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(PY) -m bot run --config $(CONFIG)

test: $(VENV)/.installed-dev
	$(PY) -m pytest
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

lint: $(VENV)/.installed-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/.installed-dev
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

check-config: $(VENV)/.installed-run
	$(PY) -m bot check-config --config $(CONFIG)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
