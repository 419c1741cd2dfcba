"""A raw file's hash is taken from the cache only while nothing about the file says it changed."""

import json
import os
import time

import pytest

from orchestration.store import hash_cache
from orchestration.store.files import sha256_of
from orchestration.store.hash_cache import CACHE_FILE, HashCache


@pytest.fixture
def hashed(monkeypatch):
    """Counts the files actually read and hashed."""
    calls = []

    def counting(path):
        calls.append(path.name)
        return sha256_of(path)

    monkeypatch.setattr(hash_cache, "sha256_of", counting)
    return calls


def _age(path, seconds=3600):
    os.utime(path, (time.time() - seconds, time.time() - seconds))


def test_an_unchanged_file_is_not_read_again(tmp_path, hashed, monkeypatch):
    monkeypatch.setattr(hash_cache, "RACY_SECONDS", 0.0)
    data, raw = tmp_path / "data", tmp_path / "a.csv"
    data.mkdir()
    raw.write_text("330800,GDP,2023,2100\n")
    _age(raw)
    time.sleep(0.05)
    first = HashCache(data)
    assert first.sha256(raw) == sha256_of(raw)
    first.save()
    assert HashCache(data).sha256(raw) == sha256_of(raw)
    assert hashed == ["a.csv"]  # the second pass trusted the recorded hash


def test_same_size_and_modification_time_do_not_hide_an_edit(tmp_path, hashed, monkeypatch):
    """A publisher who rewrites a figure in place and sets the modification time back still moves the change time."""
    monkeypatch.setattr(hash_cache, "RACY_SECONDS", 0.0)
    raw = tmp_path / "a.csv"
    raw.write_text("330800,GDP,2023,2100\n")
    _age(raw)
    stat = raw.stat()
    time.sleep(0.05)
    cache = HashCache(tmp_path)
    cache.sha256(raw)
    cache.save()
    time.sleep(0.05)
    raw.write_text("330800,GDP,2023,2900\n")  # same size
    os.utime(raw, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (raw.stat().st_size, raw.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    assert HashCache(tmp_path).sha256(raw) == sha256_of(raw) != json.loads((tmp_path / CACHE_FILE).read_text())[str(raw)][5]
    assert hashed == ["a.csv", "a.csv"]


def test_a_file_changed_moments_ago_is_not_recorded(tmp_path, hashed):
    """Within RACY_SECONDS of its last change a file could change again in the same clock tick: hashed every time."""
    raw = tmp_path / "a.csv"
    raw.write_text("330800,GDP,2023,2100\n")
    _age(raw)  # an old modification time, but the change time is now
    for _ in range(2):
        cache = HashCache(tmp_path)
        assert cache.sha256(raw) == sha256_of(raw)
        cache.save()
    assert hashed == ["a.csv", "a.csv"]
    assert not (tmp_path / CACHE_FILE).exists()


@pytest.mark.parametrize("damage", ["{not json", '["a list"]', '{"x": [1, 2]}', ""])
def test_a_damaged_cache_costs_only_a_hashing(tmp_path, hashed, damage, monkeypatch):
    monkeypatch.setattr(hash_cache, "RACY_SECONDS", 0.0)
    raw = tmp_path / "a.csv"
    raw.write_text("330800,GDP,2023,2100\n")
    time.sleep(0.05)
    (tmp_path / CACHE_FILE).write_text(damage)
    cache = HashCache(tmp_path)
    assert cache.sha256(raw) == sha256_of(raw)
    cache.save()
    assert json.loads((tmp_path / CACHE_FILE).read_text())[str(raw)][5] == sha256_of(raw)


def test_entries_of_removed_files_are_forgotten_and_other_passes_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(hash_cache, "RACY_SECONDS", 0.0)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("a\n")
    b.write_text("b\n")
    time.sleep(0.05)
    for path in (a, b):  # two passes, as two families list their folders
        cache = HashCache(tmp_path)
        cache.sha256(path)
        cache.save()
    assert set(json.loads((tmp_path / CACHE_FILE).read_text())) == {str(a), str(b)}
    a.unlink()
    time.sleep(0.05)
    b.write_text("b2\n")
    cache = HashCache(tmp_path)
    cache.sha256(b)
    cache.save()
    assert set(json.loads((tmp_path / CACHE_FILE).read_text())) == {str(b)}
