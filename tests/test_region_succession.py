"""Region successions are data (行政区划调整): a retired code keeps its figures, its targets pass to the successor
from the date, and a trend spanning the change is flagged, never joined."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import REPO_RAW, write_obs
from dagster import DagsterInstance
from test_ingest import ingest_all

from orchestration.commands.refresh import run_refresh
from orchestration.store.warehouse import Warehouse

SOURCE = "qzct-2025-12-08-qz-15fyp"
NEW_DISTRICT = "330899,衢州测试新区,Quzhou test district,county,330800,"  # no aliases


def with_successions(raw: Path, successions: dict[str, tuple[str, str]], extra: str | None = NEW_DISTRICT) -> None:
    """Rewrite the region catalogue with the two succession columns; `successions`: code -> (successor, date)."""
    path = raw / "catalogue" / "regions.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    out = [lines[0] + ",successor_code,retired_on"]
    for line in [*lines[1:], *([extra] if extra else [])]:
        successor, date = successions.get(line.split(",")[0], ("", ""))
        out.append(f"{line},{successor},{date}")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def test_a_succession_must_name_successor_and_date_and_never_loop(raw_copy, tmp_path):
    with_successions(raw_copy, {"330824": ("330899", ""), "330825": ("330881", "2023-01-01"), "330881": ("330825", "2023-01-01")})
    outcome = ingest_all(raw_copy, Warehouse(tmp_path / "data"))["catalogue/regions.csv"]
    assert outcome.status == "quarantined"
    found = {(i.row, i.column, i.rule) for i in outcome.issues}
    line = {
        code: n
        for n, code in enumerate(
            [r.split(",")[0] for r in (raw_copy / "catalogue" / "regions.csv").read_text(encoding="utf-8").splitlines()], 1
        )
    }
    assert (line["330824"], "successor_code", "expect_column_values_to_be_in_set") in found  # incomplete: no date
    assert outcome.issues and all(i.rule in ("expect_column_values_to_be_in_set", "region_succession") for i in outcome.issues)


def test_successors_that_loop_are_refused(raw_copy, tmp_path):
    with_successions(raw_copy, {"330825": ("330881", "2023-01-01"), "330881": ("330825", "2023-01-01")})
    outcome = ingest_all(raw_copy, Warehouse(tmp_path / "data"))["catalogue/regions.csv"]
    assert {(i.column, i.rule) for i in outcome.issues} == {("successor_code", "region_succession")}
    assert "loop back" in outcome.issues[0].message


@pytest.mark.slow
def test_a_retired_county_keeps_its_figures_and_its_progress_passes_to_the_successor_flagged(tmp_path, restore_environ):
    raw, data = tmp_path / "raw", tmp_path / "data"
    shutil.copytree(REPO_RAW, raw)
    with_successions(raw, {"330824": ("330899", "2023-01-01")})
    write_obs(
        raw,
        "succession.csv",
        *(f"330824,RD_INTENSITY,{y},{v},%,level,normal,exact,{v}%,{SOURCE}," for y, v in ((2021, 1.5), (2022, 1.6))),
        *(f"330899,RD_INTENSITY,{y},{v},%,level,normal,exact,{v}%,{SOURCE}," for y, v in ((2023, 1.8), (2024, 1.9))),
    )
    summary = run_refresh(data, raw, DagsterInstance.ephemeral())
    assert summary.success and summary.files["quarantined"] == 0

    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        # the retired code's figures stay served under it
        served = con.execute(
            "select region_code, period_label, value from marts.fct_observation where indicator_code = 'RD_INTENSITY' "
            "and region_code in ('330824', '330899') order by all"
        ).fetchall()
        assert served == [("330824", "2021", 1.5), ("330824", "2022", 1.6), ("330899", "2023", 1.8), ("330899", "2024", 1.9)]
        region = con.execute(
            "select successor_code, cast(retired_on as varchar), current_region_code from marts.dim_region where region_code = '330824'"
        ).fetchone()
        assert region == ("330899", "2023-01-01", "330899")
        progress = con.execute(
            "select region_code, n_points, base_year, region_change from marts.mart_indicator_progress "
            "where target_id = 'ZJ-15PPC-2027-RD' and region_code in ('330824', '330899')"
        ).fetchall()
    # one row, for the successor; its trend is its own figures only (2023, 2024), never joined with 330824's
    assert progress == [("330899", 2, None, "330824 → 330899 (2023-01-01)")]
