# planhub: `make local` runs the API on 127.0.0.1; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
LINT_VENV := .venv-lint
PY := $(VENV)/bin/python
PORT ?= 3000
SCHEDULES ?= on
FILE ?= seeds/demo.json
STRIPE_PORT ?= 12111
export AWS_DEFAULT_REGION ?= us-east-1
FUNCTION_DIRS := $(sort $(wildcard functions/*/))

.DEFAULT_GOAL := help

# The variables `make help` shows with their values (a `$(NAME)` in a target's description).
HELP_VARIABLES := PORT FILE SCHEDULES STRIPE_PORT

help: ## Show this help
	@if [ -t 1 ]; then on='\033[36m'; off='\033[0m'; else on=''; off=''; fi; \
	grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | sed $(foreach v,$(HELP_VARIABLES),-e 's|\$$($(v))|$($(v))|g') \
	  | awk -F':.*?## ' -v on="$$on" -v off="$$off" '{printf "  %s%-12s%s %s\n", on, $$1, off, $$2}'

$(VENV)/.installed: requirements-dev.txt layers/planhub/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet --no-compile -r requirements-dev.txt
	touch $@

$(LINT_VENV)/.installed: requirements-lint.txt
	$(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/pip install --quiet --no-compile -r requirements-lint.txt
	touch $@

# Both environments are built at once (make -j2): much of an install waits on unpacking and
# disk, so the two overlap well on two cores. --no-compile: pip would byte-compile every module
# of every package (all of moto's services); Python compiles the few a run imports, once
# (docs/performance.md, "make test").
install: ## Create the virtual environments
	@$(MAKE) --no-print-directory -j2 $(VENV)/.installed $(LINT_VENV)/.installed

local: $(VENV)/.installed ## Run the whole API on http://127.0.0.1:$(PORT) and /docs, the Stripe test endpoint on $(STRIPE_PORT); schedules fire (SCHEDULES=off: not)
	PORT=$(PORT) STRIPE_PORT=$(STRIPE_PORT) PLANHUB_SCHEDULES=$(SCHEDULES) $(PY) -m planhub_local.server

token: $(VENV)/.installed ## Print a token per demo role for the stack on port $(PORT) (same JWT_SECRET as `make local`)
	@$(PY) -m planhub_local.tokens --url http://127.0.0.1:$(PORT)

seed: $(VENV)/.installed ## Load a seed file into a running `make local` (FILE=$(FILE))
	$(PY) -m planhub_local.seed --url http://127.0.0.1:$(PORT) $(FILE)

openapi: $(VENV)/.installed ## Regenerate docs/openapi.json from the code's models
	$(PY) -m planhub_local.openapi > docs/openapi.json

lint: install ## ruff, mypy and cfn-lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy layers/planhub/planhub planhub_local operations
	@for dir in $(FUNCTION_DIRS); do echo "mypy $$dir"; done >/dev/null
	$(VENV)/bin/mypy $(addsuffix app.py,$(FUNCTION_DIRS))
	$(LINT_VENV)/bin/cfn-lint --include-checks I -- template.yaml

pytest: $(VENV)/.installed ## Run the test suite only
	$(PY) -m pytest -n 2 --dist worksteal

test: lint pytest ## Everything CI runs: lint, types, template, tests

format: $(VENV)/.installed ## Format and fix what ruff can
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(VENV)/.installed ## Run the benchmarks and print their figures
	$(PY) -m benchmarks

harden: $(VENV)/.installed ## Hardening run: >=10,000 generated requests, authorization matrix, effects; prints a summary
	$(PY) -m hardening

replay: $(VENV)/.installed ## Send AsyncFailureQueue's dead letters back to the bus (QUEUE_URL=... BUS=... TABLE=...)
	$(PY) -m operations.replay --queue-url "$(QUEUE_URL)" --bus-name "$(BUS)" $(if $(TABLE),--table-name "$(TABLE)")

backfill: $(VENV)/.installed ## Give old plans and enrolments the list indexes' attributes (TABLE=... [SEGMENTS=4] [STATE=file: resume])
	$(PY) -m operations.backfill --table-name "$(TABLE)" $(if $(SEGMENTS),--segments $(SEGMENTS)) $(if $(STATE),--state "$(STATE)")

clean: ## Remove the virtual environments and caches
	rm -rf $(VENV) $(LINT_VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis

.PHONY: help install local token seed openapi lint pytest test format bench harden replay backfill clean
