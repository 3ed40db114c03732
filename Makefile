# Two entry points: `make run` (Tocsin on the embedded log with the demo config) and
# `make test` (installs everything the tests need, then runs every check and test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APT_PACKAGES := prometheus prometheus-alertmanager chromium chromium-driver

.PHONY: run test lint typecheck system-packages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tocsin up $(ARGS)

# Real Alertmanager (and amtool) and Prometheus for the compatibility and end-to-end tests;
# headless Chromium and its driver for the pages people open.
system-packages:
	@if ! command -v amtool >/dev/null || ! command -v prometheus >/dev/null \
		|| ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check services shared tests loadtests
	$(BIN)/ruff format --check services shared tests loadtests

typecheck: $(STAMP)
	$(BIN)/mypy --strict services shared

test: $(STAMP) system-packages lint typecheck
	$(BIN)/python -m pytest -q -p no:cacheprovider

clean:
	rm -rf $(VENV) .tocsin-data
