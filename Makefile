# The two commands of the README: `make serve` and `make test`. Everything else is optional.
SHELL := /bin/bash
.DEFAULT_GOAL := help

HOST ?= 127.0.0.1
PORT ?= 8000
# Precompile site-packages: without cached bytecode (PYTHONDONTWRITEBYTECODE is common on CI
# machines) every process would recompile its imports, and each CLI call would take seconds.
export UV_COMPILE_BYTECODE := 1
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

.PHONY: help serve test check env bench bench-sdk drills clean

help:  ## Show the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

env: $(UV)  ## Create or update the virtual environment from uv.lock
	$(UV) sync --frozen

serve: env  ## Migrate, seed the demo merchant and app, print credentials, serve on SQLite
	$(UV) run jpay-server db upgrade
	$(UV) run jpay-server demo seed --base-url http://$(HOST):$(PORT)
	@echo "Dashboard: http://$(HOST):$(PORT)/dashboard/ (sign in with the demo owner above)"
	JPAY_PUBLIC_URL=$${JPAY_PUBLIC_URL:-http://$(HOST):$(PORT)} \
	  $(UV) run jpay-server serve --host $(HOST) --port $(PORT)

test: env  ## Run the whole test suite (needs PostgreSQL and Redis on localhost)
	$(UV) run pytest

check: env  ## Lint, format check, type check and the layer contract
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy
	$(UV) run lint-imports  # the layer rule: [tool.importlinter] in pyproject.toml

bench: env  ## Load benchmarks vs the bare reference and the DRF peer (bench/README.md); DB=postgres, ARGS=--profile
	$(UV) run --frozen --group bench python -m bench --db $(or $(DB),sqlite) $(ARGS)

bench-sdk: env  ## The SDK's own cost per request: JPay.collections.list() vs a bare httpx call
	$(UV) run python -m bench.sdk

drills: env  ## Failure drills on a namespaced multi-host deployment (root; see drills/drills.sh)
	drills/drills.sh run

clean:  ## Remove the environment, local data and caches
	rm -rf .venv .tools var .pytest_cache .mypy_cache .ruff_cache
