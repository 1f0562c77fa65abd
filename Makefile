# Rapport: `make demo` and `make test` work on a fresh machine with Python 3.11+ (they create and reuse .venv).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-long lint bench bench-smoke bench-run clean

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

# Every benchmark in turn, a header each; a failure does not stop the others but fails the target at the
# end. bench-smoke: the same with --smoke (a tiny store, seconds each; CI runs it). Both run on SQLite;
# RAPPORT_BENCH_DATABASE_URL (a PostgreSQL server) adds PostgreSQL and the benchmarks that need it.
BENCH_POSTGRES_ONLY := benchmarks/bench_follow_ups.py benchmarks/bench_import_postgres.py

bench: $(STAMP)
	@$(MAKE) --no-print-directory bench-run BENCH_FLAGS=

bench-smoke: $(STAMP)
	@$(MAKE) --no-print-directory bench-run BENCH_FLAGS=--smoke

bench-run:
	@failed=""; for b in benchmarks/bench_*.py; do \
	  case " $(BENCH_POSTGRES_ONLY) " in *" $$b "*) if [ -z "$$RAPPORT_BENCH_DATABASE_URL" ]; then \
	    echo "== $$b $(BENCH_FLAGS): skipped (needs PostgreSQL: set RAPPORT_BENCH_DATABASE_URL)"; continue; fi;; esac; \
	  echo "== $$b $(BENCH_FLAGS)"; started=$$(date +%s); \
	  $(BIN)/python $$b $(BENCH_FLAGS) || failed="$$failed $$b"; \
	  echo "   ($$(( $$(date +%s) - started )) s)"; \
	done; \
	if [ -n "$$failed" ]; then echo "bench: FAILED:$$failed"; exit 1; fi

clean:
	rm -rf $(VENV) rapport.db .pytest_cache .mypy_cache .ruff_cache
