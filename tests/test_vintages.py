"""Revisions: every published version is kept; the latest publication is served, whatever the load order."""

import csv
import shutil

import duckdb
import pytest
from conftest import REPO_RAW, write_obs
from dagster import DagsterInstance
from test_sdmx import mart_rows, rows_read_back

from orchestration.commands import sdmx as sdmx_command
from orchestration.commands.refresh import run_refresh
from orchestration.sdmx import check

pytestmark = pytest.mark.slow  # the slow lane: subprocesses, faults, repeated refreshes


OLDER = "test-older-publication,衢州统计年鉴2021 (test),衢州市统计局,2022-01-01,day,test citation,official,"
NEWER = "test-newer-revision,衢州统计年鉴2022 (test),衢州市统计局,2023-06-01,day,test citation,official,"


@pytest.fixture(scope="module")
def served(tmp_path_factory, restore_environ):
    root = tmp_path_factory.mktemp("vintages")
    raw, data = root / "raw", root / "data"
    shutil.copytree(REPO_RAW, raw)
    with (raw / "catalogue" / "sources.csv").open("a", encoding="utf-8") as sources:
        sources.write(OLDER + "\n" + NEWER + "\n")
    instance = DagsterInstance.ephemeral()
    assert run_refresh(data, raw, instance).success
    # A newer publication revises 2021 urbanisation, then an older one is loaded late.
    first_release = published_at(data)
    write_obs(
        raw,
        "test-newer-revision.csv",
        "330800,URBANISATION,2021,58.2,%,level,normal,exact,58.2%,test-newer-revision,revised",
        "330800,URBANISATION,2023,60.1,%,level,normal,exact,60.1%,test-newer-revision,",
        "330800,URBANISATION,2019,…,%,level,normal,exact,…,test-newer-revision,not published for 2019",
    )
    assert run_refresh(data, raw, instance).success
    revised_release = published_at(data)
    write_obs(
        raw, "test-older-publication.csv", "330800,URBANISATION,2021,57.9,%,level,provisional,exact,57.9%,test-older-publication,"
    )
    summary = run_refresh(data, raw, instance)
    assert summary.success and summary.files["loaded"] == 1
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        latest = con.execute(
            "select value, source_id, vintage_count from marts.fct_observation "
            "where indicator_code = 'URBANISATION' and region_code = '330800' and period_label = '2021'"
        ).fetchone()
        versions = con.execute(
            "select source_id, value, vintage_rank, is_latest, is_revision, previous_value from marts.fct_observation_vintage "
            "where indicator_code = 'URBANISATION' and region_code = '330800' and period_label = '2021' order by vintage_rank"
        ).fetchall()
    # The newer publication is deleted: its 2023 figure is withdrawn, 2021 goes back to the article's 58.1.
    (raw / "observations" / "test-newer-revision.csv").unlink()
    assert run_refresh(data, raw, instance).success
    return latest, versions, {"data": data, "first": first_release, "revised": revised_release, "root": root}


def published_at(data):
    with duckdb.connect(str(data / "serving" / "current" / "snapshot.duckdb"), read_only=True) as con:
        return con.execute("select published_at from meta.release").fetchone()[0]


def sdmx_rows(data, out, *args) -> dict[tuple, dict]:
    """The observations `make sdmx` writes with these arguments, by (ACTION, INDICATOR, REF_AREA, TIME_PERIOD)."""
    assert sdmx_command.main(["--data-dir", str(data), "--out", str(out), "--read-back", *args]) == 0
    name = "DF_OBSERVATIONS.changes.csv" if "--updated-after" in args else "DF_OBSERVATIONS.csv"
    with (out / name).open(encoding="utf-8", newline="") as f:
        return {(r["ACTION"], r["INDICATOR"], r["REF_AREA"], r["TIME_PERIOD"]): r for r in csv.DictReader(f)}


def test_the_latest_publication_is_served_even_when_an_older_one_is_loaded_later(served):
    latest, _, _ = served
    assert latest == (58.2, "test-newer-revision", 3)


def test_every_version_is_kept_with_its_revision_history(served):
    _, versions, _ = served
    assert versions == [
        ("test-newer-revision", 58.2, 1, True, True, 58.1),
        ("zjrb-2022-quzhou-decade", 58.1, 2, False, True, 57.9),
        ("test-older-publication", 57.9, 3, False, False, None),
    ]


def test_a_revision_and_a_withdrawal_are_sdmx_changes_and_absent_as_of_before(served):
    _, _, sdmx = served
    data, root = sdmx["data"], sdmx["root"]
    urbanisation = ("330800", "URBANISATION")
    since_first = sdmx_rows(
        data, root / "a", "--updated-after", sdmx["first"].isoformat(), "--as-of", sdmx["revised"].isoformat()
    )
    assert since_first[("R", "URBANISATION", *urbanisation[:1], "2021")]["OBS_VALUE"] == "58.2"
    assert since_first[("A", "URBANISATION", *urbanisation[:1], "2023")]["OBS_VALUE"] == "60.1"
    assert {k[0] for k in since_first} == {"R", "A"} and len(since_first) == 3
    since_revised = sdmx_rows(data, root / "b", "--updated-after", sdmx["revised"].isoformat())
    assert since_revised[("R", "URBANISATION", "330800", "2021")]["OBS_VALUE"] == "58.1"
    assert since_revised[("D", "URBANISATION", "330800", "2023")]["OBS_VALUE"] == ""
    # As of the first release: the revision and the new figure are not there; as of the revision, both are.
    then = sdmx_rows(data, root / "c", "--as-of", sdmx["first"].isoformat())
    assert then[("I", "URBANISATION", "330800", "2021")]["OBS_VALUE"] == "58.1"
    assert ("I", "URBANISATION", "330800", "2023") not in then
    revised = sdmx_rows(data, root / "d", "--as-of", sdmx["revised"].isoformat())
    assert revised[("I", "URBANISATION", "330800", "2021")]["SOURCE"] == "test-newer-revision"
    assert revised[("I", "URBANISATION", "330800", "2023")]["OBS_VALUE"] == "60.1"
    missing = revised[("I", "URBANISATION", "330800", "2019")]  # published as not available: status M, no value
    assert (missing["OBS_STATUS"], missing["OBS_VALUE"], missing["AS_PUBLISHED"]) == ("M", "", "…")
    assert ("D", "URBANISATION", "330800", "2019") in since_revised  # withdrawn with its file


def test_the_served_sdmx_file_is_the_observation_mart_both_ways(served):
    """Every row of the SDMX-CSV file the release serves is a row of fct_observation, and every row of it is there."""
    _, _, sdmx = served
    data = sdmx["data"]
    folder = data / "serving" / "current" / "sdmx"
    assert check.xsd_problems(folder / "structure.xml") == []
    with duckdb.connect(str(data / "serving" / "current" / "snapshot.duckdb"), read_only=True) as con:
        expected = mart_rows(con)
    read = rows_read_back(folder)
    assert read == expected and len(expected) > 80
