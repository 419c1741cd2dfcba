"""Revisions: every published version is kept; the latest publication is served, whatever the load order."""

import shutil

import duckdb
import pytest
from conftest import REPO_RAW, write_obs
from dagster import DagsterInstance

from orchestration.commands.refresh import run_refresh

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
    write_obs(
        raw, "test-newer-revision.csv", "330800,URBANISATION,2021,58.2,%,level,normal,exact,58.2%,test-newer-revision,revised"
    )
    assert run_refresh(data, raw, instance).success
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
    return latest, versions


def test_the_latest_publication_is_served_even_when_an_older_one_is_loaded_later(served):
    latest, _ = served
    assert latest == (58.2, "test-newer-revision", 3)


def test_every_version_is_kept_with_its_revision_history(served):
    _, versions = served
    assert versions == [
        ("test-newer-revision", 58.2, 1, True, True, 58.1),
        ("zjrb-2022-quzhou-decade", 58.1, 2, False, True, 57.9),
        ("test-older-publication", 57.9, 3, False, False, None),
    ]
