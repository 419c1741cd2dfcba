"""A lost or damaged warehouse is rebuilt from the raw zone with its history: the same marts and the same vintages
as before the damage, after revisions, withdrawals and a conflict; a refresh never erases the zone's history."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import MARTS, REPO_RAW, write_obs
from dagster import DagsterInstance

from orchestration.commands.refresh import run_refresh
from orchestration.commands.restore import restore
from orchestration.publish.audit_zone import zone_loads
from orchestration.publish.raw_zone import zone_dir

pytestmark = pytest.mark.slow
SRC = "zjrb-2022-quzhou-decade"


def state(data: Path) -> dict[str, list[tuple]]:
    """Every mart (the vintage mart with its history) and the audit of every load, as a reader would compare them."""
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        tables = {m: con.execute(f"select * from marts.{m} order by all").fetchall() for m in MARTS}
        tables["audit.loads"] = con.execute("select * exclude (run_id) from audit.loads order by load_id").fetchall()
        tables["audit.figure_changes"] = con.execute("select * from audit.figure_changes order by all").fetchall()
        tables["raw.observations"] = con.execute("select * from raw.observations order by all").fetchall()
        # what was served when (the SDMX ledger), taken back from the current release's copy
        tables["audit.sdmx_history_observations"] = con.execute(
            "select * from audit.sdmx_history_observations order by all"
        ).fetchall()
        tables["audit.sdmx_structures"] = con.execute("select * from audit.sdmx_structures order by all").fetchall()
        return tables


def test_a_damaged_warehouse_is_restored_with_its_history(tmp_path, restore_environ):
    raw, data = tmp_path / "raw", tmp_path / "data"
    shutil.copytree(REPO_RAW, raw)
    instance = DagsterInstance.ephemeral()
    assert run_refresh(data, raw, instance).success
    # a revision in place, a withdrawal, a same-date conflict and a refused file: history of every kind
    income = raw / "observations" / "zjol-qz-income-2014.csv"
    income.write_text(
        income.read_text(encoding="utf-8").replace(
            '22436,元,level,normal,exact,"22,436元"', '22536,元,level,normal,exact,"22,536元"'
        ),
        encoding="utf-8",
    )
    (raw / "observations" / "chinadaily-2023-02-24-qz-pop.csv").unlink()
    write_obs(raw, "conflict.csv", f"330800,URBANISATION,2021,58.3,%,level,normal,exact,58.3%,{SRC},")
    write_obs(raw, "refused.csv", f"330800,NOPE,2021,1,%,level,normal,exact,1%,{SRC},")
    assert run_refresh(data, raw, instance).success
    before = state(data)
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        history = con.execute(
            "select count(*) filter (is_replaced), count(*) filter (is_withdrawn) from marts.fct_observation_vintage"
        ).fetchone()
    assert history[0] >= 1 and history[1] >= 1  # there is history to keep: a replaced value, withdrawn figures

    warehouse = data / "warehouse.duckdb"
    warehouse.write_bytes(warehouse.read_bytes()[: warehouse.stat().st_size // 2])
    damaged = run_refresh(data, raw, instance)
    assert not damaged.success and any("make restore" in f for f in damaged.failures), damaged.failures

    restored = restore(data)
    assert restored.set_aside is not None and restored.set_aside.exists()  # set aside, never deleted
    after_restore = run_refresh(data, raw, instance)
    assert after_restore.success and after_restore.files["loaded"] == 0 and after_restore.files["still_quarantined"] == 1
    after = state(data)
    for table, rows in before.items():
        assert after[table] == rows, table


def test_a_new_empty_warehouse_beside_the_raw_zone_stops_the_refresh_and_keeps_the_zone(tmp_path, restore_environ):
    raw, data = tmp_path / "raw", tmp_path / "data"
    shutil.copytree(REPO_RAW, raw)
    instance = DagsterInstance.ephemeral()
    assert run_refresh(data, raw, instance).success
    partitions = sorted(p.name for p in (zone_dir(data) / "observations").iterdir())
    (data / "warehouse.duckdb").rename(tmp_path / "elsewhere.duckdb")  # moved away by hand

    refused = run_refresh(data, raw, instance)
    assert not refused.success and any("make restore" in f and "erase" in f for f in refused.failures)
    assert sorted(p.name for p in (zone_dir(data) / "observations").iterdir()) == partitions
    assert zone_loads(data) == 14


def test_a_backup_is_kept_after_each_publication_and_can_be_put_back(tmp_path, restore_environ):
    from orchestration.store.backups import backups_dir, put_back
    from orchestration.store.warehouse import Warehouse

    raw, data = tmp_path / "raw", tmp_path / "data"
    shutil.copytree(REPO_RAW, raw)
    instance = DagsterInstance.ephemeral()
    for n in range(3):
        write_obs(raw, f"new-{n}.csv", f"33080{2 + n},URBANISATION,2021,6{n}.1,%,level,normal,exact,6{n}.1%,{SRC},")
        assert run_refresh(data, raw, instance).success
    copies = sorted(backups_dir(data).glob("warehouse-*.duckdb"))
    assert len(copies) == 2  # the newest QZ_BACKUPS_KEPT
    before = {m: rows for m, rows in state(data).items() if not m.startswith(("audit", "raw"))}

    warehouse = data / "warehouse.duckdb"
    warehouse.write_bytes(b"\0" * 4096)  # overwritten by mistake
    set_aside = put_back(Warehouse(data), copies[-1])
    assert set_aside is not None and set_aside.read_bytes() == b"\0" * 4096
    again = run_refresh(data, raw, instance)
    assert again.success and again.files["loaded"] == 0
    assert {m: rows for m, rows in state(data).items() if m in before} == before


# --- operator commands under attack (issue 33) ------------------------------------------------------------------------


def test_a_restore_checks_its_backup_and_the_raw_zones_audit_before_touching_the_warehouse(tmp_path, restore_environ):
    from orchestration.commands.verify import verify
    from orchestration.store.backups import put_back
    from orchestration.store.warehouse import Warehouse

    raw, data = tmp_path / "raw", tmp_path / "data"
    shutil.copytree(REPO_RAW, raw)
    assert run_refresh(data, raw, DagsterInstance.ephemeral()).success
    warehouse = data / "warehouse.duckdb"
    before = warehouse.read_bytes()
    not_a_backup = tmp_path / "notes.duckdb"
    not_a_backup.write_text("a steward's notes, saved with the wrong name", encoding="utf-8")
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    snapshot = data / "serving" / "current" / "snapshot.duckdb"  # the marts readers open: no audit, not a backup
    for backup, words in (
        (warehouse, "is the warehouse itself"),
        (not_a_backup, "not a warehouse backup"),
        (empty, "not a warehouse backup"),
        (snapshot, "not a warehouse backup"),
    ):
        with pytest.raises(RuntimeError, match=words):
            put_back(Warehouse(data), backup)
        assert warehouse.read_bytes() == before and not list(data.glob("warehouse.damaged-*"))
    # the raw zone's audit files are under checksums: make verify names a damaged one, and a restore refuses to use it
    loads = zone_dir(data) / "_audit" / "audit.loads.parquet"
    loads.write_bytes(loads.read_bytes()[:-64] + b"\0" * 64)
    assert "raw_zone/_audit/audit.loads.parquet" in verify(data)
    with pytest.raises(RuntimeError, match="differ from their checksums"):
        restore(data)
    assert warehouse.read_bytes() == before


def test_a_restore_waits_for_a_refresh_under_way(tmp_path, restore_environ, monkeypatch):
    import threading
    import time

    from orchestration import settings
    from orchestration.commands import restore as restore_module
    from orchestration.store.locks import exclusive_lock

    raw, data = tmp_path / "raw", tmp_path / "data"
    shutil.copytree(REPO_RAW, raw)
    assert run_refresh(data, raw, DagsterInstance.ephemeral()).success
    monkeypatch.setenv(settings.DATA_DIR_ENV, str(data))
    monkeypatch.setenv(settings.RAW_DIR_ENV, str(raw))
    monkeypatch.setattr("orchestration.commands.refresh.run_refresh", lambda: run_refresh(data, raw, DagsterInstance.ephemeral()))
    codes: list[int] = []
    with exclusive_lock(data / settings.REFRESH_LOCK_FILE):  # a `make run` under way
        worker = threading.Thread(target=lambda: codes.append(restore_module.main([])))
        worker.start()
        time.sleep(2)
        assert worker.is_alive() and not list(data.glob("warehouse.damaged-*"))  # waiting, nothing moved yet
    worker.join(timeout=300)
    assert codes == [0] and list(data.glob("warehouse.damaged-*"))  # then restored (the old file set aside)
