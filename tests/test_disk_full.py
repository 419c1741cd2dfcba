"""Out of space is a verdict: "Refresh FAILED: no space left on the data folder's disk (N MB free)", exit 1, and
readers keep the release they had. The data folder is put on a small tmpfs (root only; skipped elsewhere): 64 MB,
about twice what the first refresh writes (28 MB: warehouse, its backup, release, report, Dagster home)."""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import duckdb
import pytest
from conftest import refresh_process, write_obs

from orchestration.store.disk_space import is_no_space


def test_no_space_is_recognised_in_every_layer_s_words(tmp_path):
    assert is_no_space(OSError(errno.ENOSPC, "No space left on device"))
    assert is_no_space('IO Error: Could not write file "warehouse.duckdb": No space left on device')
    assert is_no_space("(sqlite3.OperationalError) database or disk is full")
    wrapped = RuntimeError("step failed")
    wrapped.__cause__ = OSError(errno.EDQUOT, "Disk quota exceeded")
    assert is_no_space(wrapped)
    assert not is_no_space(ValueError("a bug"), tmp_path) and not is_no_space("Catalog Error: table not found")


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)], capture_output=True).returncode
    ):
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def release_of(data: Path) -> str | None:
    snapshot = data / "serving" / "current" / "snapshot.duckdb"
    if not snapshot.exists():
        return None
    with duckdb.connect(str(snapshot), read_only=True) as con:
        return con.execute("select release_id from meta.release").fetchone()[0]


@pytest.mark.slow
def test_a_full_disk_is_a_verdict_and_readers_keep_their_release(small_disk, raw_copy):
    data = small_disk / "data"
    first = refresh_process(data, raw_copy)
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, out + err
    published = release_of(data)
    assert published

    filler = small_disk / "filler"
    with filler.open("wb") as handle:  # leave about a megabyte
        free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
        handle.write(b"\0" * max(free - 1_000_000, 0))
    write_obs(raw_copy, "new.csv", "330802,URBANISATION,2021,70.1,%,level,normal,exact,70.1%,zjrb-2022-quzhou-decade,")
    full = refresh_process(data, raw_copy)
    out, err = full.communicate(timeout=600)
    assert full.returncode == 1, out + err
    verdict = next(line for line in out.splitlines() if line.startswith("Refresh "))
    assert verdict.startswith("Refresh FAILED: no space left on the data folder's disk (") and "MB free" in verdict
    assert "Traceback" not in out
    assert release_of(data) == published  # nothing half-published

    filler.unlink()
    again = refresh_process(data, raw_copy)
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, out + err
    assert release_of(data) != published
