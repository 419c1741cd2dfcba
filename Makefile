# Two commands on a fresh machine with Python 3.11 and make:
#   make run    set up .venv, refresh everything into $(QZ_DATA_DIR) (default ./data), print a summary
#   make test   set up .venv, lint (ruff, sqlfluff), run the test suite (what .ci/run calls)
# and `make dev` (PORT=3000) for the Dagster UI on the same code location and data folder, `make docs` for
# dbt's documentation of the models (a static page in the data folder),
# and `make bench` (SIZES=1e4,1e5,1e6,1e7) for the scaling benchmark (prints a table; see docs/performance.md).
# `make sdmx` writes the SDMX files of what is served (AS_OF=<time>: what was served then; UPDATED_AFTER=<time>:
# what changed since; docs/sdmx.md); every publication also carries them in serving/current/sdmx/.
# `make spark-test` builds the same dbt project on Apache Spark (the spark extra, Java 17) and compares every
# table with DuckDB's (docs/scaling-out.md); .ci/run runs it after `make test`, which needs neither.
# `make spark-cluster` starts a Spark standalone cluster here (master, 2 workers, Thrift Server; `make
# spark-cluster-stop` stops it) for `QZ_ENGINE=spark make run`; `make spark-cluster-test` proves that refresh.
# `make bi-clients` installs the BI readers the tests open the serving snapshot with (DuckDB 1.4 for Python,
# @duckdb/node-api for Node, the DuckDB CLI, Superset 6.1 in its own environment) into .bi-clients/; `make test`
# does it first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CLIENTS := .bi-clients
CLIENTS_STAMP := $(CLIENTS)/.installed-stamp
SUPERSET_STAMP := $(CLIENTS)/superset/.installed-stamp
SPARK_STAMP := $(VENV)/.spark-stamp
# One variable, not $(or …): make splits function arguments on commas, which cut the list to its first size.
SIZES ?= 1e4,1e5,1e6
PORT ?= 3000

.PHONY: run test test-fast lint dev docs sdmx bench bi-clients spark-test spark-cluster spark-cluster-stop spark-cluster-test clean confirm confirm-disclosure verify restore

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# The dbt manifest the code location is built from: parsed again when a file of the dbt project is newer.
MANIFEST := dbt_project/target/manifest.json
$(MANIFEST): $(STAMP) dbt_project/dbt_project.yml $(shell find dbt_project/models dbt_project/seeds dbt_project/macros dbt_project/tests -type f 2>/dev/null)
	$(BIN)/python -m orchestration.dbt_tools.manifest
	touch $(MANIFEST)

run: $(STAMP) $(MANIFEST)
	$(BIN)/python -m orchestration.commands.refresh

# The whole suite, both lanes in one run on every core (pytest-xdist, a test file to a worker: a file's fixtures are
# built once): one pool, so a worker that finishes the fast files takes slow ones instead of waiting for the other
# to end its lane. `make test-fast` is the fast lane alone, for your own loop. Times on 2 cores: docs/performance.md.
XDIST := -n auto --dist loadfile
test: lint $(CLIENTS_STAMP)
	$(BIN)/python -m pytest $(XDIST) -m "not spark"

test-fast: $(STAMP) $(CLIENTS_STAMP)
	$(BIN)/python -m pytest $(XDIST) -m "not slow and not spark"

# The second engine: Spark builds every mart from the raw zone of a fresh refresh, on the shipped raw/ and on a
# 10^5-row synthetic set, and each table is compared with DuckDB's (printed). Java from Debian when missing and root.
spark-test: $(SPARK_STAMP)
	$(BIN)/python -m pytest -m "spark and not spark_cluster" -s

# A Spark standalone cluster on this machine for the data folder (QZ_DATA_DIR, default ./data): one master, two
# one-core workers and the Thrift Server, as separate processes; prints the endpoints. Stop only stops those.
spark-cluster: $(SPARK_STAMP)
	$(BIN)/python -m orchestration.engines.spark_cluster start

spark-cluster-stop: $(STAMP)
	$(BIN)/python -m orchestration.engines.spark_cluster stop

# The refresh on a cluster of its own (free ports, a temporary data folder), compared with DuckDB's: shipped raw/
# (then one new publication) and 10^5 synthetic observations; prints the comparisons, tasks per worker, timings.
spark-cluster-test: $(SPARK_STAMP)
	$(BIN)/python -m pytest -m spark_cluster -s

$(SPARK_STAMP): $(STAMP)
	command -v java >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[spark]'
	touch $(SPARK_STAMP)

# The SDMX structure message and SDMX-CSV files of the serving copy of $(QZ_DATA_DIR) into OUT (default
# <data>/exports/sdmx), checked against the XSDs and codelists and read back through pysdmx (docs/sdmx.md).
# AS_OF=2026-12-01T09:00 what was served then; UPDATED_AFTER=... the changes since; LABELS=en|zh code names.
sdmx: $(STAMP)
	$(BIN)/python -m orchestration.commands.sdmx --read-back $(if $(AS_OF),--as-of $(AS_OF)) $(if $(UPDATED_AFTER),--updated-after $(UPDATED_AFTER)) $(if $(LABELS),--labels $(LABELS)) $(if $(OUT),--out $(OUT))

# Lint and format checks before any test: ruff (rules in pyproject.toml) and sqlfluff on the dbt models.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd dbt_project && ../$(BIN)/sqlfluff lint models macros tests

# Readers as BI users install them: DuckDB 1.4 (what Superset's duckdb<2 resolves to) and the Node client.
# Node comes from Debian's packages when it is missing and we may install (root).
bi-clients: $(CLIENTS_STAMP)
$(CLIENTS_STAMP): tests/clients/requirements.txt tests/clients/sqlalchemy2-duckdb14-requirements.txt tests/clients/package.json $(SUPERSET_STAMP)
	$(PYTHON) -m venv $(CLIENTS)/python
	$(CLIENTS)/python/bin/python -m pip install --quiet --disable-pip-version-check -r tests/clients/requirements.txt
	$(PYTHON) -m venv $(CLIENTS)/sqlalchemy2-duckdb14
	$(CLIENTS)/sqlalchemy2-duckdb14/bin/python -m pip install --quiet --disable-pip-version-check -r tests/clients/sqlalchemy2-duckdb14-requirements.txt
	command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	cp tests/clients/package.json $(CLIENTS)/package.json
	cd $(CLIENTS) && npm install --no-audit --no-fund --silent
	touch $(CLIENTS_STAMP)

# Superset in an environment of its own, as its users install it (its pins clash with ours).
$(SUPERSET_STAMP): tests/clients/superset-requirements.txt
	$(PYTHON) -m venv $(CLIENTS)/superset
	$(CLIENTS)/superset/bin/python -m pip install --quiet --disable-pip-version-check -r tests/clients/superset-requirements.txt
	touch $(SUPERSET_STAMP)

# A steward accepts a version the shrink guard held (docs/quality-rules.md): make confirm FILE=observations/x.csv
# FILE, NOTE and FROM reach the command as environment variables ("$$FILE"), never spliced into the shell's text,
# and are taken as text, never as make code (the overrides below): a name with a quote, $(…) or $(shell …) in it
# stays one argument and runs nothing.
override FILE := $(value FILE)
override NOTE := $(value NOTE)
override FROM := $(value FROM)
confirm: $(STAMP)
	$(BIN)/python -m orchestration.commands.confirm $(if $(value NOTE),--note "$$NOTE") -- "$$FILE"

# The differencing check held a release (docs/quality-rules.md): list the figures, or confirm them with YES=1
confirm-disclosure: $(STAMP)
	$(BIN)/python -m orchestration.commands.confirm_disclosure $(if $(value YES),--yes) $(if $(value NOTE),--note "$$NOTE")

# Rebuild a lost or damaged warehouse from the raw zone, history included, then refresh (docs/operations.md);
# FROM=data/backups/warehouse-….duckdb puts a backup back instead.
restore: $(STAMP) $(MANIFEST)
	$(BIN)/python -m orchestration.commands.restore $(if $(value FROM),-- "$$FROM")

# Check the serving copy and the raw zone against their checksums (reads only; exit 1 when a file is damaged).
verify: $(STAMP)
	$(BIN)/python -m orchestration.commands.verify

docs: $(STAMP)
	$(BIN)/python -m orchestration.commands.docs

# exec: make's SIGTERM reaches the UI's process itself, which stops its children (orchestration/commands/dev.py says why).
dev: $(STAMP) $(MANIFEST)
	exec $(BIN)/python -m orchestration.commands.dev --port $(PORT)

bench: $(STAMP) $(MANIFEST)
	$(BIN)/python -m tests.benchmarks.bench_refresh --sizes $(SIZES)
	$(BIN)/python -m tests.benchmarks.bench_extract --megabytes 1
	$(BIN)/python -m tests.benchmarks.bench_layouts --cells 100000

clean:
	rm -rf $(VENV) $(CLIENTS) dbt_project/target dbt_project/logs
