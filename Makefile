# Rapport: `make demo` and `make test` work on a fresh machine with Python 3.11+ (they create and reuse .venv).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-long lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/rapport demo

test: $(STAMP)
	$(BIN)/pytest -n 2 -q

# The property tests with many more examples (CI runs the suite's fixed-seed profile).
test-long: $(STAMP)
	HYPOTHESIS_PROFILE=long $(BIN)/pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) rapport.db .pytest_cache .mypy_cache .ruff_cache
