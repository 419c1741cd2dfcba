"""A file still being written is never loaded in part: one read per file, a settle time, and a hash of the bytes
parsed. Deferred files are listed, keep serving what they served, and are taken by the next refresh."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from conftest import OBS_HEADER, write_obs
from test_ingest import SRC, ingest_all

from orchestration.domain.families import OBSERVATIONS
from orchestration.read.file_snapshot import StillBeingWritten, read_whole
from orchestration.reconcile.family import ingest_family
from orchestration.settings import SETTLE_SECONDS_ENV
from orchestration.store import hash_cache
from orchestration.store.files import sha256_hex
from orchestration.store.warehouse import Warehouse

REGIONS = ("330800", "330802", "330803", "330822", "330824")


def rows(n: int, value: float = 58.1) -> list[str]:
    """n distinct figures (five regions, 2001-2020)."""
    return [f"{REGIONS[i % 5]},URBANISATION,{2001 + i // 5},{value},%,level,normal,exact,{value}%,{SRC}," for i in range(n)]


def served_rows(warehouse: Warehouse, path: str) -> list[tuple]:
    with warehouse.connect(read_only=True) as con:
        return con.execute(
            "select period, value from raw.observations where _file_path = ? and _superseded_by_load is null order by period",
            [path],
        ).fetchall()


def age(path: Path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_a_file_younger_than_the_settle_time_is_deferred_and_its_old_version_still_served(raw_copy, tmp_path, monkeypatch):
    warehouse = Warehouse(tmp_path / "data")
    path = write_obs(raw_copy, "arriving.csv", *rows(3))
    ingest_all(raw_copy, warehouse)
    assert len(served_rows(warehouse, "observations/arriving.csv")) == 3

    monkeypatch.setenv(SETTLE_SECONDS_ENV, "60")
    write_obs(raw_copy, "arriving.csv", *rows(1))  # being re-copied: only its first row so far
    for other in (raw_copy / "observations").iterdir():
        if other != path:
            age(other, 3600)
    outcomes = ingest_all(raw_copy, warehouse, "while-copying")
    deferred = outcomes["observations/arriving.csv"]
    assert deferred.status == "deferred" and "still being written — will retry" in deferred.note
    assert len(served_rows(warehouse, "observations/arriving.csv")) == 3  # not withdrawn, not half-replaced
    with warehouse.connect(read_only=True) as con:
        assert con.execute("select count(*) from audit.loads where run_id = 'while-copying'").fetchone()[0] == 0

    write_obs(raw_copy, "arriving.csv", *rows(5))  # the copy completes, and settles
    age(path, 120)
    taken = ingest_all(raw_copy, warehouse, "after")["observations/arriving.csv"]
    assert (taken.status, taken.rows) == ("loaded", 5)
    assert len(served_rows(warehouse, "observations/arriving.csv")) == 5


def test_a_new_file_still_being_written_is_neither_loaded_nor_quarantined(raw_copy, tmp_path, monkeypatch):
    monkeypatch.setenv(SETTLE_SECONDS_ENV, "60")
    for other in raw_copy.rglob("*.csv"):
        age(other, 3600)
    write_obs(raw_copy, "new.csv", *rows(2))
    outcomes = ingest_all(raw_copy, Warehouse(tmp_path / "data"))
    assert outcomes["observations/new.csv"].status == "deferred"
    assert {o.status for p, o in outcomes.items() if p != "observations/new.csv"} == {"loaded"}


def test_a_file_that_changes_while_it_is_read_is_deferred(tmp_path, monkeypatch):
    path = tmp_path / "f.csv"
    path.write_bytes(b"a,b\n1,2\n")
    real_read = Path.read_bytes

    def read_then_append(self: Path) -> bytes:
        data = real_read(self)
        with self.open("ab") as handle:  # the copier writes more while we read
            handle.write(b"3,4\n")
        return data

    monkeypatch.setattr(Path, "read_bytes", read_then_append)
    with pytest.raises(StillBeingWritten, match="changed while it was read"):
        read_whole(path)


def test_a_file_that_changed_between_listing_and_reading_is_deferred_not_recorded_under_the_old_hash(
    raw_copy, tmp_path, monkeypatch
):
    """The hash of the listing and the bytes parsed must be the same bytes: rows appended in between are not
    loaded under the old hash (which would make every later refresh skip the file as unchanged)."""
    warehouse = Warehouse(tmp_path / "data")
    path = write_obs(raw_copy, "growing.csv", *rows(2))
    real_hash = hash_cache.sha256_of

    def hash_then_grow(p: Path) -> str:
        digest = real_hash(p)
        if p == path and len(p.read_text(encoding="utf-8").splitlines()) == 3:
            write_obs(raw_copy, "growing.csv", *rows(4))
        return digest

    monkeypatch.setattr(hash_cache, "sha256_of", hash_then_grow)
    outcome = ingest_all(raw_copy, warehouse)["observations/growing.csv"]
    assert outcome.status == "deferred" and "changed between the listing" in outcome.note
    monkeypatch.setattr(hash_cache, "sha256_of", real_hash)
    again = ingest_all(raw_copy, warehouse, "next")["observations/growing.csv"]
    assert (again.status, again.rows) == ("loaded", 4)
    with warehouse.connect(read_only=True) as con:
        recorded = con.execute(
            "select file_sha256, file_bytes from audit.loads where file_path = 'observations/growing.csv'"
        ).fetchall()
    assert recorded == [(sha256_hex(path.read_bytes()), path.stat().st_size)]


def test_a_file_that_vanishes_while_the_folder_is_read_is_deferred_and_an_unreadable_one_refused(raw_copy, tmp_path, monkeypatch):
    write_obs(raw_copy, "vanishing.csv", *rows(1))
    real_hash = hash_cache.sha256_of

    def vanish(p: Path) -> str:
        if p.name == "vanishing.csv":
            raise FileNotFoundError(p)
        if p.name == "locked.csv":
            raise PermissionError(13, "Permission denied")
        return real_hash(p)

    write_obs(raw_copy, "locked.csv", *rows(1))
    monkeypatch.setattr(hash_cache, "sha256_of", vanish)
    outcomes = ingest_all(raw_copy, Warehouse(tmp_path / "data"))
    assert outcomes["observations/vanishing.csv"].status == "deferred"
    locked = outcomes["observations/locked.csv"]
    assert locked.status == "quarantined" and "Permission denied" in locked.issues[0].message


@pytest.mark.slow
def test_a_file_copied_slowly_during_refreshes_is_loaded_whole_or_deferred_never_half(raw_copy, tmp_path, monkeypatch):
    """A copier writes a 100-row publication in 20 pieces over ~3 s while ingests run back to back: every load of
    it holds all 100 rows, and once the copy has settled it is loaded."""
    monkeypatch.setenv(SETTLE_SECONDS_ENV, "2")  # well above the copier's pauses, even on a loaded machine
    for other in raw_copy.rglob("*.csv"):
        age(other, 3600)
    warehouse = Warehouse(tmp_path / "data")
    ingest_all(raw_copy, warehouse)
    target = raw_copy / "observations" / "slow-copy.csv"
    text = (OBS_HEADER + "".join(r + "\n" for r in rows(100))).encode()

    def copy_slowly() -> None:
        with target.open("wb") as handle:
            for i in range(20):
                handle.write(text[i * len(text) // 20 : (i + 1) * len(text) // 20])
                handle.flush()
                time.sleep(0.15)

    copier = threading.Thread(target=copy_slowly)
    copier.start()
    statuses = []
    while copier.is_alive():
        outcome = {o.file_path: o for o in ingest_family(OBSERVATIONS, raw_copy, warehouse, "during")}
        statuses.append(outcome["observations/slow-copy.csv"].status if "observations/slow-copy.csv" in outcome else "absent")
    copier.join()
    time.sleep(2.2)
    final = {o.file_path: o for o in ingest_family(OBSERVATIONS, raw_copy, warehouse, "after")}["observations/slow-copy.csv"]
    assert "deferred" in statuses and "loaded" not in statuses[:-1]
    assert (final.status, final.rows) in {("loaded", 100), ("skipped", 0)}
    with warehouse.connect(read_only=True) as con:
        loads = con.execute(
            "select status, rows_loaded, file_bytes from audit.loads where file_path = 'observations/slow-copy.csv'"
        ).fetchall()
    assert loads == [("loaded", 100, len(text))]
    assert len(served_rows(warehouse, "observations/slow-copy.csv")) == 100
