"""What is served is verified: each release and the raw zone carry checksums; a damaged file is found by the
reader's check (`make verify`) and by the next refresh, which rewrites it and says so in its verdict."""

from __future__ import annotations

import shutil

import pytest
from conftest import REPO_RAW
from dagster import DagsterInstance
from test_raw_zone import assert_zone_is_raw

from orchestration.commands.refresh import run_refresh
from orchestration.commands.verify import verify
from orchestration.publish.serving import published_run_id, serving_root
from orchestration.store.warehouse import Warehouse

pytestmark = pytest.mark.slow


def test_a_zeroed_raw_zone_file_and_a_truncated_release_file_are_found_and_rewritten(tmp_path, restore_environ):
    raw, data = tmp_path / "raw", tmp_path / "data"
    shutil.copytree(REPO_RAW, raw)
    instance = DagsterInstance.ephemeral()
    first = run_refresh(data, raw, instance)
    assert first.success and verify(data) == [] and first.repaired == []

    zone_file = sorted((data / "raw_zone" / "observations").glob("load_id=*/part-0.parquet"))[0]
    zone_file.write_bytes(b"\0" * zone_file.stat().st_size)  # zeroed in place: same size
    release_file = serving_root(data) / "current" / "fct_observation.parquet"
    release_file.write_bytes(release_file.read_bytes()[: release_file.stat().st_size // 2])
    found = verify(data)
    zone_name = f"raw_zone/observations/{zone_file.parent.name}/part-0.parquet"
    assert found == ["serving/current/fct_observation.parquet", zone_name]

    second = run_refresh(data, raw, instance)  # nothing new in raw/: it still rewrites and republishes
    assert second.success and not second.unchanged
    assert sorted(second.repaired) == sorted(
        ["serving/current/fct_observation.parquet", f"raw_zone/observations/{zone_file.parent.name}"]
    )
    assert "repaired 2 damaged file(s)" in second.verdict
    assert verify(data) == [] and published_run_id(data) == second.run_id
    assert_zone_is_raw(Warehouse(data))
    assert run_refresh(data, raw, instance).unchanged  # intact again: nothing to do
