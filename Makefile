# bulle: the two commands.
#
#   make demo   install what is needed, then start the demo hub on http://127.0.0.1:8000
#   make test   install what is needed, then run the linters and the tests
#
# Both are idempotent: each step runs only when its inputs changed. Debian
# packages (tools/system-packages.txt) are installed only when missing
# (apt-get, as root or with sudo).

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Bubbles run as unprivileged accounts, so the virtual environment must use an
# interpreter every account can read: the system Python, not one under /root.
PYTHON ?= /usr/bin/python3
VENV := .venv
BIN := $(VENV)/bin
NODE_BIN := node_modules/.bin

export PATH := $(CURDIR)/$(NODE_BIN):$(CURDIR)/$(BIN):$(PATH)

.PHONY: help demo test install lint format system-packages clean

help:
	@echo "make demo   start the demo hub on http://127.0.0.1:8000 (installs what is needed)"
	@echo "make test   run the linters and the tests (installs what is needed)"

demo: install
	$(BIN)/bulle demo

test: install lint
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

install: system-packages $(VENV)/.installed $(NODE_BIN)/configurable-http-proxy

system-packages:
	@tools/ensure-system-packages.sh

$(BIN)/python: | system-packages
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml $(wildcard jupyter-config/*/*.json extensions/jupyter-config/*/*.json) | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/python tools/install_data_files.py
	touch $@

$(NODE_BIN)/configurable-http-proxy: package.json package-lock.json | system-packages
	npm ci --no-audit --no-fund
	touch $@

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .mypy_cache *.egg-info
