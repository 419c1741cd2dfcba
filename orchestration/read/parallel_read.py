"""Read and parse a family's files in parallel, handing them back in order to the single writer.

Files are independent until they are committed: reading one (its bytes checked against the hash taken when the
folder was listed), decoding, splitting and typing it (reading.read_batch) needs nothing of the warehouse. That is
the part of the ingest that costs Python per cell, so it is spread over a pool of worker processes; validation (one
Great Expectations run per slice) and the commits stay in the refresh's process, in the same order as before, so
what is loaded and how it is recorded does not depend on the pool. The pool is only started where it pays: two
files or more and enough bytes (a process starts in ~1 s); QZ_INGEST_WORKERS=1 turns it off.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from orchestration import settings
from orchestration.domain.families import Family
from orchestration.read.file_snapshot import StillBeingWritten, read_whole
from orchestration.read.layouts import Layout
from orchestration.read.reading import Labels, ParsedBatch, read_batch

log = logging.getLogger(__name__)

MAX_DEFAULT_WORKERS = 4
POOL_MIN_BYTES = 16 * 1024 * 1024  # below this a family is read in the refresh's process (a pool costs ~1 s)
# Files read ahead of the writer, in bytes as listed: a parsed file waits in the refresh's process (with its pickle
# while it arrives), so a 267 MiB publication read ahead beside the slice being validated doubled the peak.
READ_AHEAD_BYTES = 64 * 1024 * 1024


def workers() -> int:
    """QZ_INGEST_WORKERS, else the machine's cores (at most MAX_DEFAULT_WORKERS)."""
    given = settings.current().ingest_workers
    return given if given > 0 else min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS)


@dataclass(frozen=True)
class ReadJob:
    path: Path
    rel: str
    sha256: str
    started: datetime
    layout: Layout | None
    size: int  # as listed; the bytes read are checked against sha256


@dataclass(frozen=True)
class Deferred:
    """The file changed or vanished between listing and reading: the next refresh takes it."""

    reason: str


def read_one(
    job: ReadJob, family: Family, units: Mapping[str, str] | None, labels: Labels | None
) -> tuple[ParsedBatch, int] | Deferred:
    try:
        data = read_whole(job.path, job.sha256)  # the bytes hashed when listed are the bytes parsed and recorded
    except StillBeingWritten as exc:
        return Deferred(str(exc))
    except FileNotFoundError:
        return Deferred("disappeared while the refresh read it")
    return read_batch(family, job.path, job.rel, units, data=data, layout=job.layout, labels=labels), len(data)


def may_read_ahead(waiting: list[int], size: int, workers: int) -> bool:
    """Whether one more file of `size` bytes may be read while files of `waiting` bytes wait for the writer: two per
    worker at most, within READ_AHEAD_BYTES, and always one (a file larger than the budget is read alone)."""
    return not waiting or (len(waiting) < 2 * workers and sum(waiting) + size <= READ_AHEAD_BYTES)


def read_in_order(
    jobs: list[ReadJob], family: Family, units: Mapping[str, str] | None, labels: Labels | None
) -> Iterator[tuple[ReadJob, tuple[ParsedBatch, int] | Deferred]]:
    """Each job with what reading it gave, in the jobs' order; few read ahead (may_read_ahead: memory)."""
    count = min(workers(), len(jobs))  # a process per file at most: each costs ~1 s to start
    if count <= 1 or sum(job.size for job in jobs) < POOL_MIN_BYTES:
        for job in jobs:
            yield job, read_one(job, family, units, labels)
        return
    # spawn, not fork: the refresh's process holds threads (Dagster) and an open warehouse connection
    with ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn")) as pool:

        def submit(job: ReadJob) -> Future | None:
            try:
                return pool.submit(read_one, job, family, units, labels)
            except BrokenProcessPool:  # a worker died earlier: the rest is read here
                return None

        upcoming = deque(jobs)
        ahead: deque[tuple[ReadJob, Future | None]] = deque()
        while upcoming or ahead:
            while upcoming and may_read_ahead([j.size for j, _ in ahead], upcoming[0].size, count):
                following = upcoming.popleft()
                ahead.append((following, submit(following)))
            job, future = ahead.popleft()
            try:
                result = future.result() if future is not None else read_one(job, family, units, labels)
            except Exception:  # the worker died (memory, a signal): this file is read here instead
                log.exception("reading %s in a worker process failed: reading it in the refresh's process", job.rel)
                result = read_one(job, family, units, labels)
            yield job, result
