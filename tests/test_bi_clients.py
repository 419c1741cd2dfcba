"""The serving snapshot opens in the DuckDB clients BI tools embed (DuckDB 1.4 for Python, @duckdb/node-api 1.5).

The clients are installed by `make bi-clients` into .bi-clients/ (`make test` does it first). Without them the
client tests are skipped locally, but fail under CI, where a skipped check would prove nothing.
"""

import datetime
import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import duckdb
import pytest

from orchestration import settings
from orchestration.serving import current_snapshot, publish
from orchestration.warehouse import Warehouse

CLIENTS = settings.REPO_ROOT / ".bi-clients"
PYTHON_CLIENT = CLIENTS / "python" / "bin" / "python"
HERE = Path(__file__).parent
QUERY = ("select r.name_zh, o.period_label, o.value, o.period_start from marts.fct_observation as o "
         "join marts.dim_region as r using (region_code) order by o.period_label")


def _client(path: Path, what: str) -> Path:
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{what} is not installed: run `make bi-clients`")
        pytest.skip(f"{what} is not installed: run `make bi-clients`")
    return path


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> Path:
    """A published release of small marts holding what BI readers meet: CJK text, decimals, dates."""
    warehouse = Warehouse(tmp_path_factory.mktemp("bi") / "data")
    warehouse.ensure_schema()
    with warehouse.connect() as con:
        con.execute("create schema marts")
        con.execute("create table marts.dim_region as select * from (values ('330800', '衢州市'), ('330000', '浙江省')) as t(region_code, name_zh)")
        con.execute("""create table marts.fct_observation as select * from (values
            ('330800', '2012', 45.7::double, date '2012-01-01'), ('330800', '2021', 58.1, date '2021-01-01'),
            ('330000', '2023', 74.2, date '2023-01-01')) as t(region_code, period_label, value, period_start)""")
    publish(warehouse, "bi-test")
    return current_snapshot(warehouse.data_dir)


def _storage_number(path: Path) -> int:
    header = path.read_bytes()[:20]
    assert header[8:12] == b"DUCK"
    return struct.unpack("<Q", header[12:20])[0]


def test_snapshot_is_written_in_the_storage_format_of_duckdb_1_4(snapshot):
    assert _storage_number(snapshot) == 67  # v1.4.0; DuckDB 2's own default is 999, which 1.x refuses
    with duckdb.connect(str(snapshot), read_only=True) as con:
        assert con.execute(QUERY).fetchall()[0] == ("衢州市", "2012", 45.7, datetime.date(2012, 1, 1))


def _expected_rows() -> list[dict]:
    return [
        {"name_zh": "衢州市", "period_label": "2012", "value": 45.7, "period_start": "2012-01-01"},
        {"name_zh": "衢州市", "period_label": "2021", "value": 58.1, "period_start": "2021-01-01"},
        {"name_zh": "浙江省", "period_label": "2023", "value": 74.2, "period_start": "2023-01-01"},
    ]


def test_duckdb_1_4_opens_the_snapshot(snapshot):
    python = _client(PYTHON_CLIENT, "DuckDB 1.4 for Python")
    out = subprocess.run([python, HERE / "clients" / "open_snapshot.py", snapshot, QUERY],
                         capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(out.stdout)
    assert result["duckdb"].startswith("1.4.")
    assert result["rows"] == _expected_rows()


def test_duckdb_1_4_refuses_a_file_in_duckdb_2s_default_format(tmp_path):
    """The control: without the storage version the client fails, so the test above can fail."""
    python = _client(PYTHON_CLIENT, "DuckDB 1.4 for Python")
    default = tmp_path / "default.duckdb"
    with duckdb.connect(str(default)) as con:
        con.execute("create table t as select 1 as x")
    out = subprocess.run([python, HERE / "clients" / "open_snapshot.py", default, "select * from t"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "version number 999" in out.stderr


def test_node_client_opens_the_snapshot(snapshot):
    modules = _client(CLIENTS / "node_modules" / "@duckdb" / "node-api", "@duckdb/node-api")
    node = shutil.which("node") or shutil.which("nodejs")
    assert node, "node is required by the Node client"
    script = CLIENTS / "open_snapshot.mjs"  # beside node_modules, where Node resolves the package from
    shutil.copyfile(HERE / "clients" / "open_snapshot.mjs", script)
    out = subprocess.run([node, script, snapshot, QUERY.replace("o.period_start", "cast(o.period_start as varchar) as period_start")],
                         capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(out.stdout) == _expected_rows()
    version = json.loads((modules / "package.json").read_text())["version"]
    assert version.startswith("1.5.")
