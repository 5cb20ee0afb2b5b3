# One entry point for people and CI. Commands use .venv/bin/... directly (no activate).
#   make run     the dashboard on http://127.0.0.1:8501 (demo county on first run)
#   make cluster N processes behind nginx with sticky sessions on http://127.0.0.1:$(CLUSTER_PORT)
#   make test    everything: environment, system packages, assets, the whole test suite
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8501
PYTEST_ARGS ?=
N ?= 3
CLUSTER_PORT := $(if $(filter command line,$(origin PORT)),$(PORT),8600)

.PHONY: help venv system static db run cluster test bench clean distclean

help:
	@echo "make run        start the dashboard on http://$(HOST):$(PORT)"
	@echo "make cluster   N=3 PORT=8600: N processes + nginx (sticky sessions) on 127.0.0.1:PORT; Ctrl-C stops all"
	@echo "make test       create .venv, install system packages (root on Debian), run all tests"
	@echo "make venv       .venv with requirements.txt (re-installs only when requirements.txt changes)"
	@echo "make system     chromium, fonts-noto-cjk, postgresql, postgis (Debian, root; else prints what is missing)"
	@echo "make static     copy Leaflet/jQuery into static/ (maps work offline)"
	@echo "make db         create/migrate the database (DATABASE_URL, default sqlite:///var/dashboard.sqlite)"
	@echo "make bench      run the benchmark scripts in tests/bench/"
	@echo "make clean      remove caches, test artefacts and copied assets; distclean also .venv and var/"

venv: $(STAMP)

# pip exists only if the venv was created completely (Debian needs python3-venv for ensurepip)
$(PIP):
	@if [ -z "$(PYTHON)" ]; then echo "no python3.11 or python3 on PATH" >&2; exit 1; fi
	@if ! $(PYTHON) -c 'import ensurepip, venv' >/dev/null 2>&1; then bash scripts/install_system.sh --venv; fi
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(PIP)
	$(PIP) install --disable-pip-version-check --quiet -r requirements.txt
	@touch $@

system:
	@bash scripts/install_system.sh

static: venv
	$(PY) -m layers.offline

db: venv
	@mkdir -p var
	$(PY) -m data init

run: venv static db
	@echo "dashboard: http://$(HOST):$(PORT)"
	$(VENV)/bin/streamlit run dashboard.py --server.address $(HOST) --server.port $(PORT) --server.headless true

# nginx on PORT (default 8600), the processes on PORT+1 … PORT+N; deploy/README.md 多进程部署
cluster: venv static
	@mkdir -p var
	$(PY) scripts/cluster.py run --processes $(N) --port $(CLUSTER_PORT)

test: venv system static
	@mkdir -p artifacts/screenshots
	$(PY) -m pytest $(PYTEST_ARGS)

bench: venv
	@shopt -s nullglob; files=(tests/bench/*.py); status=0; \
	if [ $${#files[@]} -eq 0 ]; then echo "no benchmarks in tests/bench/"; fi; \
	for f in "$${files[@]}"; do \
	    case "$$(basename "$$f")" in _*|conftest.py) continue;; esac; \
	    echo "== $$f"; PYTHONPATH="$(CURDIR)" $(PY) "$$f" || status=1; \
	done; exit $$status

clean:
	rm -rf .pytest_cache artifacts
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
	@# static/ holds only copied assets (git-ignored) besides its README
	find static -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} + 2>/dev/null || true

distclean: clean
	rm -rf $(VENV) var
