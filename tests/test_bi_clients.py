"""The serving snapshot as BI tools meet it: opened by the DuckDB clients they embed (DuckDB 1.4 for Python,
@duckdb/node-api 1.5), reflected through SQLAlchemy 1.4 (Superset 6's stack) and 2.0, with every mart column
described, and nothing but the marts and a small meta schema in it.

The clients are installed by `make bi-clients` into .bi-clients/ (`make test` does it first). Without them the
client tests are skipped locally, but fail under CI, where a skipped check would prove nothing.
"""

import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import MARTS, REPO_RAW
from dagster import DagsterInstance

from orchestration import settings
from orchestration.commands.refresh import run_refresh
from orchestration.dbt_tools.contract_doc import DUCKDB_NAMES
from orchestration.publish.serving import current_snapshot

CLIENTS = settings.REPO_ROOT / ".bi-clients"
PYTHON_CLIENT = CLIENTS / "python" / "bin" / "python"
HERE = Path(__file__).parent
QUERY = (
    "select r.name_zh, o.period_label, o.value, cast(o.period_start as varchar) as period_start "
    "from marts.fct_observation as o join marts.dim_region as r using (region_code) "
    "where o.indicator_code = 'URBANISATION' and o.region_code = '330800' order by o.period_label"
)
EXPECTED = [
    {"name_zh": "衢州市", "period_label": "2012", "value": 45.7, "period_start": "2012-01-01"},
    {"name_zh": "衢州市", "period_label": "2021", "value": 58.1, "period_start": "2021-01-01"},
    {"name_zh": "衢州市", "period_label": "2022", "value": 59.3, "period_start": "2022-01-01"},
]


def _client(path: Path, what: str) -> Path:
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{what} is not installed: run `make bi-clients`")
        pytest.skip(f"{what} is not installed: run `make bi-clients`")
    return path


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory, restore_environ) -> Path:
    """The snapshot a refresh of the shipped raw/ publishes."""
    root = tmp_path_factory.mktemp("bi")
    shutil.copytree(REPO_RAW, root / "raw")
    assert run_refresh(root / "data", root / "raw", DagsterInstance.ephemeral()).success
    return current_snapshot(root / "data")


def _run_json(command: list, **kwargs) -> object:
    out = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=180, check=True, **kwargs)
    return json.loads(out.stdout)


def test_snapshot_is_written_in_the_storage_format_of_duckdb_1_4(snapshot):
    header = snapshot.read_bytes()[:20]
    assert header[8:12] == b"DUCK"
    assert struct.unpack("<Q", header[12:20])[0] == 67  # v1.4.0; DuckDB 2's own default is 999, which 1.x refuses


def test_duckdb_1_4_opens_the_snapshot_and_sees_every_description(snapshot):
    python = _client(PYTHON_CLIENT, "DuckDB 1.4 for Python")
    script = HERE / "clients" / "open_snapshot.py"
    result = _run_json([python, script, snapshot, QUERY])
    assert result["duckdb"].startswith("1.4.") and result["rows"] == EXPECTED
    # Every mart and every mart column carries its dbt description as a COMMENT (persist_docs), as BI tools show it.
    undescribed = _run_json(
        [
            python,
            script,
            snapshot,
            """
        select table_name, column_name from duckdb_columns()
        where schema_name in ('marts', 'meta') and (comment is null or comment = '')
        union all
        select table_name, null from duckdb_tables() where schema_name in ('marts', 'meta') and (comment is null or comment = '')""",
        ]
    )
    assert undescribed["rows"] == []
    status = _run_json(
        [
            python,
            script,
            snapshot,
            "select comment from duckdb_columns() where table_name = 'mart_indicator_progress' and column_name = 'status'",
        ]
    )
    assert status["rows"][0]["comment"].startswith("Headline status: target_achieved")


def test_the_snapshot_holds_the_marts_meta_and_a_view_of_each_mart_in_main(snapshot):
    with duckdb.connect(str(snapshot), read_only=True) as con:
        catalog = con.execute("select current_database()").fetchone()[0]
        objects = con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = ? "
            "union all select schema_name, view_name from duckdb_views() where database_name = ? and not internal",
            [catalog, catalog],
        ).fetchall()
    assert {schema for schema, _ in objects} == {"marts", "meta", "main"}
    assert sorted(t for s, t in objects if s == "marts") == MARTS
    assert sorted(t for s, t in objects if s == "meta") == ["release", "release_tables"]
    assert sorted(t for s, t in objects if s == "main") == MARTS  # one view per mart, for unqualified names
    with duckdb.connect(str(snapshot), read_only=True) as con:
        for mart in MARTS:
            assert (
                con.execute(f"select count(*) from {mart}").fetchone()
                == con.execute(f"select count(*) from marts.{mart}").fetchone()
            )
        described = con.execute(
            "select count(*) from duckdb_columns() where schema_name = 'main' and (comment is null or comment = '') "
            f"and table_name in ({', '.join(repr(m) for m in MARTS)})"
        ).fetchone()[0]
    assert described == 0


def test_duckdb_1_4_refuses_a_file_in_duckdb_2s_default_format(tmp_path):
    """The control: without the storage version the client fails, so the tests above can fail."""
    python = _client(PYTHON_CLIENT, "DuckDB 1.4 for Python")
    default = tmp_path / "default.duckdb"
    with duckdb.connect(str(default)) as con:
        con.execute("create table t as select 1 as x")
    out = subprocess.run(
        [python, HERE / "clients" / "open_snapshot.py", default, "select * from t"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode != 0 and "version number 999" in out.stderr


def test_node_client_opens_the_snapshot(snapshot):
    modules = _client(CLIENTS / "node_modules" / "@duckdb" / "node-api", "@duckdb/node-api")
    node = shutil.which("node") or shutil.which("nodejs")
    assert node, "node is required by the Node client"
    script = CLIENTS / "open_snapshot.mjs"  # beside node_modules, where Node resolves the package from
    shutil.copyfile(HERE / "clients" / "open_snapshot.mjs", script)
    assert _run_json([node, script, snapshot, QUERY]) == EXPECTED
    assert json.loads((modules / "package.json").read_text())["version"].startswith("1.5.")


def _assert_reflects(seen: dict) -> None:
    assert seen["errors"] == {}
    assert {"snapshot.marts", "snapshot.meta"} <= set(seen["schemas"])  # the schema to pick is snapshot.marts
    assert seen["tables"] == MARTS and seen["meta_tables"] == ["release", "release_tables"]
    columns = seen["columns"]
    assert [c["name"] for c in columns][:3] == ["indicator_code", "region_code", "period_label"]
    assert all(c["comment"] for c in columns), [c["name"] for c in columns if not c["comment"]]
    assert seen["table_comment"].startswith("The latest published value")
    assert seen["autoload"] == [c["name"] for c in columns]
    assert seen["read_sql_table_rows"] == seen["count"] > 80


def test_sqlalchemy_1_4_reflects_the_snapshot_as_superset_does(snapshot):
    python = _client(PYTHON_CLIENT, "SQLAlchemy 1.4 + duckdb-engine")
    seen = _run_json([python, HERE / "clients" / "reflect_snapshot.py", snapshot, "fct_observation"])
    assert seen["sqlalchemy"].startswith("1.4.")
    _assert_reflects(seen)


def test_sqlalchemy_2_0_cannot_reflect_columns_on_duckdb_1_4(snapshot):
    """The combination docs/operations.md says cannot work, and why: SQLAlchemy 2.0's reflection reads
    pg_catalog.pg_collation, which DuckDB 1.4 does not emulate."""
    python = _client(CLIENTS / "sqlalchemy2-duckdb14" / "bin" / "python", "SQLAlchemy 2.0 on DuckDB 1.4")
    seen = _run_json([python, HERE / "clients" / "reflect_snapshot.py", snapshot, "fct_observation"])
    assert seen["sqlalchemy"].startswith("2.0.") and seen["tables"] == MARTS
    assert set(seen["errors"]) == {"columns", "autoload", "read_sql_table_rows"}
    assert all("pg_collation does not exist" in e for e in seen["errors"].values())


def test_duckdb_cli_1_4_reads_the_marts_by_their_unqualified_names(snapshot):
    cli = _client(CLIENTS / "python" / "bin" / "duckdb", "the DuckDB CLI 1.4 (duckdb-cli)")
    version = subprocess.run([cli, "--version"], capture_output=True, text=True, timeout=60, check=True).stdout
    assert version.startswith("v1.4.")
    unqualified = QUERY.replace("marts.", "")  # main has each mart as a view
    out = subprocess.run(
        [cli, "-readonly", "-json", snapshot, "-c", unqualified], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(out.stdout) == EXPECTED


def test_duckdb_1_4_for_python_needs_pytz_for_the_release_time(snapshot):
    python = _client(PYTHON_CLIENT, "DuckDB 1.4 for Python")
    script = HERE / "clients" / "open_snapshot.py"
    release = _run_json([python, script, snapshot, "select release_id, published_at from meta.release"])
    assert release["duckdb"].startswith("1.4.") and release["rows"][0]["published_at"].startswith("20")
    without = subprocess.run(
        [
            python,
            "-c",
            f"import sys; sys.modules['pytz'] = None; sys.argv = ['x', {str(snapshot)!r}, 'select published_at from meta.release']; exec(open({str(script)!r}).read())",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert without.returncode != 0 and "pytz" in without.stderr


def test_sqlalchemy_2_0_reflects_the_snapshot(snapshot):
    seen = _run_json([sys.executable, HERE / "clients" / "reflect_snapshot.py", snapshot, "fct_observation"])
    assert seen["sqlalchemy"].startswith("2.0.")
    _assert_reflects(seen)


def test_the_documented_example_queries_return_rows(snapshot):
    text = (settings.REPO_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    block = text.split("Typical questions", 1)[1].split("```sql", 1)[1].split("```", 1)[0]
    queries = [
        q.strip() for q in block.split(";") if q.strip() and not all(line.startswith("--") for line in q.strip().splitlines())
    ]
    assert len(queries) == 3
    with duckdb.connect(str(snapshot), read_only=True) as con:
        for query in queries:
            assert len(con.execute(query).fetchall()) >= 2, query


def test_the_served_marts_keep_their_dbt_contract(snapshot):
    """Names, order and types of every mart column are those of its dbt YAML (contract enforced), and the
    grain columns are NOT NULL in the snapshot too."""
    import yaml

    declared: dict[str, list[tuple[str, str, bool]]] = {}
    for path in sorted((settings.DBT_PROJECT_DIR / "models" / "marts").glob("*.yml")):
        for model in yaml.safe_load(path.read_text(encoding="utf-8")).get("models", []):
            declared[model["name"]] = [
                (
                    c["name"],
                    DUCKDB_NAMES.get(c["data_type"].upper(), c["data_type"].upper()),  # `string` is DuckDB's VARCHAR
                    not any(k.get("type") == "not_null" for k in c.get("constraints", [])),
                )
                for c in model["columns"]
            ]
    assert sorted(declared) == MARTS
    with duckdb.connect(str(snapshot), read_only=True) as con:
        for mart, columns in declared.items():
            served = con.execute(
                "select column_name, data_type, is_nullable = 'YES' from information_schema.columns "
                "where table_schema = 'marts' and table_name = ? order by ordinal_position",
                [mart],
            ).fetchall()
            assert served == columns, mart
