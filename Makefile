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
# The airlock's JupyterLab extension: plain JavaScript in lab/, built with
# @jupyterlab/builder against the JupyterLab of the environment (its staging
# package.json gives the shared packages' versions) into labextension/
# (not committed), then installed where bubbles' JupyterLab finds it.
LAB_SOURCE := extensions/airlock/lab
LAB_BUILD := extensions/airlock/labextension
LAB_INSTALLED := $(VENV)/share/jupyter/labextensions/@bulle/jupyterlab-airlock

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

install: system-packages $(VENV)/.installed $(NODE_BIN)/configurable-http-proxy $(LAB_INSTALLED)/package.json

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

$(LAB_SOURCE)/node_modules/.installed: $(LAB_SOURCE)/package.json $(LAB_SOURCE)/package-lock.json | system-packages
	cd $(LAB_SOURCE) && npm ci --no-audit --no-fund
	touch $@

$(LAB_BUILD)/package.json: $(LAB_SOURCE)/node_modules/.installed $(wildcard $(LAB_SOURCE)/src/*.js $(LAB_SOURCE)/style/*.css) $(VENV)/.installed
	rm -rf $(LAB_BUILD)
	core="$$($(abspath $(BIN)/python) -c 'import jupyterlab, pathlib; print(pathlib.Path(jupyterlab.__file__).parent / "staging")')" \
		&& cd $(LAB_SOURCE) && node node_modules/@jupyterlab/builder/lib/build-labextension.js --core-path "$$core" .

$(LAB_INSTALLED)/package.json: $(LAB_BUILD)/package.json
	rm -rf $(LAB_INSTALLED)
	mkdir -p $(dir $(LAB_INSTALLED))
	cp -r $(LAB_BUILD) $(LAB_INSTALLED)
	chmod -R a+rX $(LAB_INSTALLED)

clean:
	rm -rf $(VENV) node_modules $(LAB_SOURCE)/node_modules $(LAB_BUILD) .pytest_cache .ruff_cache .mypy_cache *.egg-info
