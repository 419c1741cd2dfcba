"""Files read and parsed by a pool of processes come back in order and equal to reading them one by one."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from orchestration import settings
from orchestration.domain.families import OBSERVATIONS
from orchestration.read import parallel_read
from orchestration.read.parallel_read import Deferred, ReadJob, read_in_order
from orchestration.store.files import sha256_of
from tests.benchmarks.generate import generate

UNITS = {f"SYN_{i:03d}": ("%" if i % 2 == 0 else "亿元") for i in range(1, 300)}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    raw = tmp_path_factory.mktemp("parallel") / "raw"
    generate(raw, 160_000)  # four files of at most 50,000 rows and the revision files
    return sorted((raw / "observations").glob("*.csv"))


def jobs_of(paths) -> list[ReadJob]:
    return [ReadJob(p, p.name, sha256_of(p), datetime.now(), None, p.stat().st_size) for p in paths]


def test_a_pool_reads_the_files_in_order_and_as_one_process_does(files, monkeypatch):
    monkeypatch.setenv(settings.WORKERS_ENV, "1")
    serial = list(read_in_order(jobs_of(files), OBSERVATIONS, UNITS, None))
    monkeypatch.setenv(settings.WORKERS_ENV, "2")
    monkeypatch.setattr(parallel_read, "POOL_MIN_BYTES", 0)
    pooled = list(read_in_order(jobs_of(files), OBSERVATIONS, UNITS, None))
    assert [job.rel for job, _ in pooled] == [p.name for p in files] == [job.rel for job, _ in serial]
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) - 1 for p in files)  # rows under each header
    assert sum(batch.rows_read for _, (batch, _size) in pooled) == lines > 160_000
    for (_, (one, one_size)), (_, (other, other_size)) in zip(serial, pooled, strict=True):
        assert (one.rows_read, one.issues, one.encoding, one_size) == (other.rows_read, other.issues, other.encoding, other_size)
        pd.testing.assert_frame_equal(one.frame, other.frame)


def test_a_file_changed_after_it_was_listed_is_deferred_by_the_pool_too(files, tmp_path, monkeypatch):
    copies = []
    for path in files[:3]:
        copies.append(tmp_path / path.name)
        copies[-1].write_bytes(path.read_bytes())
    jobs = jobs_of(copies)
    with copies[1].open("a", encoding="utf-8") as handle:  # appended to after the folder was listed and hashed
        handle.write("330802,SYN_001,2020,1.0,亿元,level,normal,exact,1.0亿元,synthetic-bulletin-00001,\n")
    monkeypatch.setenv(settings.WORKERS_ENV, "2")
    monkeypatch.setattr(parallel_read, "POOL_MIN_BYTES", 0)
    results = {job.rel: read for job, read in read_in_order(jobs, OBSERVATIONS, UNITS, None)}
    assert isinstance(results[copies[1].name], Deferred)
    assert "changed" in results[copies[1].name].reason or "written" in results[copies[1].name].reason
    assert [isinstance(results[c.name], Deferred) for c in copies] == [False, True, False]


def test_files_are_read_ahead_within_a_byte_budget_and_a_large_one_alone():
    from orchestration.read.parallel_read import READ_AHEAD_BYTES, may_read_ahead

    mib = 1024 * 1024
    assert may_read_ahead([], 267 * mib, workers=2)  # nothing waits: even a file over the budget is read
    assert not may_read_ahead([267 * mib], 5 * mib, workers=2)  # ... but nothing beside it
    assert may_read_ahead([5 * mib] * 3, 5 * mib, workers=2)
    assert not may_read_ahead([5 * mib] * 4, 5 * mib, workers=2)  # two per worker
    assert not may_read_ahead([READ_AHEAD_BYTES - mib], 2 * mib, workers=4)
