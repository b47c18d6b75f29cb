# Lienthong: every target sets up what it needs (virtualenv, Kafka jars, Debian tools).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CRDS   := deploy/k8s/schemas/crds/.generated
APT_TOOLS := promtool
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help deps demo test test-unit fuzz lint format chaos bench broker-start broker-stop clean
.PHONY: docs dist

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev,docs]'
	touch $@

$(CRDS): deploy/k8s/schemas/pom.xml deploy/k8s/schemas/strimzi-crds.sh
	bash deploy/k8s/schemas/strimzi-crds.sh

deps: $(STAMP) $(CRDS) ## Install the virtualenv, the Kafka jars (user cache), Strimzi's CRDs, the Debian tools
	$(BIN)/lienthong broker jars
	@bash deploy/apt-tools.sh

demo: deps ## Run the pipeline on the local broker with a few hundred dossiers
	$(BIN)/lienthong demo $(DEMO_ARGS)

test: deps ## Run every test (starts a local broker if none answers, stops it after)
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: $(STAMP) $(CRDS) ## Unit tests only (no broker)
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

fuzz: $(STAMP) ## 100,000 hostile inputs through decode, validation and the hub (FUZZ_ARGS=--seed N)
	$(BIN)/python tests/unit/fuzzing.py --count 100000 $(FUZZ_ARGS)

lint: $(STAMP) ## ruff, ruff format --check, mypy --strict on the package
	$(BIN)/ruff check services tests
	$(BIN)/ruff format --check services tests
	$(BIN)/mypy

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix services tests
	$(BIN)/ruff format services tests

chaos: deps ## The chaos test: 2,000 dossiers, random SIGKILLs, a broker restart (seed printed)
	$(BIN)/pytest -m chaos -s tests/e2e/test_reliability.py $(PYTEST_ARGS)

bench: deps ## Benchmark: a burst vs. the raw broker; BENCH_ARGS="--rates 10,50 --plot" or "--soak --rate 40"
	$(BIN)/lienthong bench $(BENCH_ARGS)

broker-start: deps ## Start the local Kafka broker
	$(BIN)/lienthong broker start

broker-stop: $(STAMP) ## Stop the local Kafka broker
	$(BIN)/lienthong broker stop

dist: $(STAMP) ## Build the wheel and the sdist into dist/ (schemas, rules, manifests inside)
	rm -rf dist
	$(BIN)/python -m build --outdir dist

clean: ## Remove the virtualenv, jars and local data
	rm -rf $(VENV) deploy/kafka/lib deploy/k8s/schemas/lib deploy/k8s/schemas/crds var site

# The documentation site: the reference pages generated from the code, then MkDocs in strict
# mode (a broken link or a page left out fails). `make test` builds it too (test_docs_site.py).
docs: $(STAMP) ## Build the documentation site into site/ (strict: a broken link fails)
	$(BIN)/lienthong docs generate
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
