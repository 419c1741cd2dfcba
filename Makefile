# Two commands on a fresh machine with Python 3.11 and make:
#   make run    set up .venv, refresh everything into $(QZ_DATA_DIR) (default ./data), print a summary
#   make test   set up .venv, run the test suite (what .ci/run calls)
# and `make dev` for the Dagster UI on the same code location and data folder,
# and `make bench` (SIZES=1e4,1e5,1e6,1e7) for the scaling benchmark (prints a table; see docs/performance.md).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test dev bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m orchestration.refresh

test: $(STAMP)
	$(BIN)/python -m pytest

dev: $(STAMP)
	DAGSTER_HOME="$$($(BIN)/python -m orchestration.refresh --print-dagster-home)" \
		$(BIN)/dagster dev -m orchestration.definitions

bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks.bench_refresh --sizes $(or $(SIZES),1e4,1e5,1e6)

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs
