# Every target installs what it needs: a fresh clone needs only Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LINT_STAMP := $(VENV)/.installed-lint

.DEFAULT_GOAL := help
.PHONY: help install run demo preview test check-locales lint bench clean check migrate status stats export codes backup

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# The bot with what its tests need; the lint tools come on their own, as only make lint uses
# them (a fresh clone's make test is 10-20 s shorter without mypy). The packages are installed
# by uv, which the venv's own pip fetches first: on a fresh machine it installs them in about
# half pip's time, downloading side by side. uv leaves bytecode to be compiled on first import,
# and PYTHONDONTWRITEBYTECODE (set on some machines) would then compile it again in every
# process, so it is compiled once here.
UV := $(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet 'uv>=0.5,<1'
	$(UV) -e '.[test]'
	touch $(STAMP)

$(LINT_STAMP): $(STAMP)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet 'uv>=0.5,<1'  # a venv from before uv
	$(UV) -e '.[lint]'
	touch $(LINT_STAMP)

install: $(LINT_STAMP) ## create .venv and install the bot with its test and lint tools

run: $(STAMP) ## run the bot (reads .env; needs BOT_TOKEN)
	@$(BIN)/python -m bot

# The operator's commands (docs/operations.md): each runs python -m bot in the venv.
BOT := $(BIN)/python -m bot
# A missing FILE or ARGS stops make with one line, before Python is started.
need = $(if $($(1)),,$(error make $@ needs $(1)=..., e.g. make $@ $(1)=$(2)))

check: $(STAMP) ## is this set-up ready for production? one line per check, writes nothing
	@$(BOT) check

migrate: $(STAMP) ## upgrade the database schema to this release (needs only DATABASE_URL)
	@$(BOT) migrate

status: $(STAMP) ## which process polls, the schema version, the inbox and outbox backlogs
	@$(BOT) status

stats: $(STAMP) ## the sales figures /stats shows
	@$(BOT) stats

export: $(STAMP) ## payments as CSV: make export FILE=payments.csv [ARGS="--since 2026-01-01"]
	$(call need,FILE,payments.csv)
	@$(BOT) export $(ARGS) "$(FILE)"

codes: $(STAMP) ## load or count codes: make codes ARGS="add vpn_key codes.txt" (or "count")
	$(call need,ARGS,"add vpn_key codes.txt")
	@$(BOT) codes $(ARGS)

backup: $(STAMP) ## copy the database to FILE: make backup FILE=shop-backup.db
	$(call need,FILE,shop-backup.db)
	@$(BOT) backup "$(FILE)"

demo: $(STAMP) ## offline tour against a Telegram emulator (CATALOG_PATH=x.toml: your catalog)
	@$(BIN)/python -m demo

preview: $(STAMP) ## your shop in a browser, offline: your catalog and texts, a throwaway database
	@$(BIN)/python -m preview

# The suite is CPU-bound on 2 cores, but its tests also wait (on Telegram's rate, child processes):
# 4 workers interleave those waits (3 took 316 s against 308 s).
# Tests go out to the workers two at a time, the slow ones spread over the run (tests/conftest.py).
TEST_WORKERS ?= 4
# The project's own modules, compiled once before the suite: otherwise each worker, fork server
# and fresh `python -m bot` compiles them again (6 s of CPU a worker), as machines that set
# PYTHONDONTWRITEBYTECODE never keep the result. Compiling them takes about a second.
SOURCES := bot storage entitlements emulator demo bench preview tests

test: $(STAMP) ## run the whole test suite, in parallel (TEST_WORKERS=0 runs it in one process)
	$(BIN)/python -m compileall -q -j 0 $(SOURCES) >/dev/null
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist load --maxschedchunk 2

# The one check for adding a language (docs/development.md#adding-a-language).
check-locales: $(STAMP) ## every language has every message, with its variables, and fits Telegram
	$(BIN)/python -m pytest -q tests/unit/test_locales.py

lint: $(LINT_STAMP) ## ruff and mypy over the whole tree
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

bench: $(STAMP) ## run the benchmarks in bench/ (figures only, no pass/fail)
	$(BIN)/python -m bench

clean: ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
