"""The bulk (columnar) typing of a file gives exactly what typing it row by row gives: values, types, issues.

reading._parse_rows types plain figures, parsed periods and catalogue units column by column and sends every
other row through _parse_row; `columnar=False` is the row-by-row reference. Compared on every file the project
ships or tests with, on a synthetic national file, and on generated rows mixing plain and odd cells.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO_RAW
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestration.domain.families import OBSERVATIONS
from orchestration.domain.issues import ROW_COLUMN
from orchestration.read.reading import _parse_rows, read_batch
from tests.benchmarks.generate import generate

TESTS = Path(__file__).parent
UNITS = {"URBANISATION": "%", "GDP": "亿元", "POP_RESIDENT": "万人", "PM25": "μg/m³", "SYN_001": "亿元", "SYN_002": "%"}
HEADER = OBSERVATIONS.column_names


def both_ways(rows: list[tuple[int, list[str]]], header: list[str] = HEADER, units=UNITS):
    stored = [name for name, _ in OBSERVATIONS.stored_columns()] + [ROW_COLUMN]
    results = []
    for columnar in (True, False):
        columns, issues = _parse_rows(OBSERVATIONS, header, rows, "f.csv", units, columnar=columnar)
        results.append((pd.DataFrame(columns, columns=stored), issues))
    (bulk, bulk_issues), (reference, reference_issues) = results
    pd.testing.assert_frame_equal(bulk, reference)
    assert bulk_issues == reference_issues
    return bulk, bulk_issues


def csv_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    reader = csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline=""))
    rows = [(reader.line_num, cells) for cells in reader]
    header = [h.strip() for h in rows[0][1]]
    return header, [(line, cells) for line, cells in rows[1:] if len(cells) == len(header) and any(c.strip() for c in cells)]


def shipped_and_test_files() -> list[Path]:
    files = sorted((REPO_RAW / "observations").glob("*.csv")) + sorted((TESTS / "malformed").glob("*.csv"))
    return [f for f in files if _readable(f)]


def _readable(path: Path) -> bool:
    try:
        header = csv_rows(path)[0]
    except (UnicodeDecodeError, csv.Error, IndexError):
        return False
    return set(header) <= set(HEADER) and {"region_code", "indicator_code", "period", "value", "unit"} <= set(header)


@pytest.mark.parametrize("path", shipped_and_test_files(), ids=lambda p: p.name)
def test_every_shipped_and_malformed_file_types_the_same_in_bulk(path):
    header, rows = csv_rows(path)
    units = {**UNITS, **{cells[header.index("indicator_code")].strip(): "%" for _, cells in rows[:3]}}
    both_ways(rows, header, units)


def test_a_synthetic_national_file_is_typed_in_bulk(tmp_path):
    generate(tmp_path / "raw", 2_000)
    path = next((tmp_path / "raw" / "observations").glob("synthetic-bulletin-*.csv"))
    header, rows = csv_rows(path)
    units = {f"SYN_{i:03d}": "%" if i % 2 == 0 else "亿元" for i in range(1, 301)}
    frame, issues = both_ways(rows, header, units)
    assert issues == [] and frame["value"].notna().all() and len(frame) == len(rows)
    # the whole file through read_batch: line numbers and values as in the file
    batch = read_batch(OBSERVATIONS, path, path.name, units)
    assert list(batch.frame[ROW_COLUMN]) == [line for line, _ in rows]
    assert batch.frame["value"].tolist() == frame["value"].tolist()


CELLS = {
    "region_code": st.sampled_from(["330800", " 330802 ", "", "33080X"]),
    "indicator_code": st.sampled_from(["URBANISATION", "GDP", "POP_RESIDENT", "UNKNOWN_CODE", ""]),
    "period": st.sampled_from(["2021", " 2022H1", "2022年", "2012-2021", "2022M03", "20X1", "", "十年", "1850"]),
    "value": st.one_of(
        st.from_regex(r"-?[0-9]{1,6}(\.[0-9]{1,3})?", fullmatch=True),
        st.sampled_from(["15.5万", "约40", "Ⅲ类", "４５．７", "45.7%", "—", "", "1,876", "+3", "1e5", " 7.10 ", "2400余"]),
    ),
    "unit": st.sampled_from(["%", "亿元", "万人", "人", "", " % ", "万元", "μg/m³"]),
    "value_type": st.sampled_from(["level", "rank", ""]),
    "obs_status": st.sampled_from(["normal", "forecast"]),
    "qualifier": st.sampled_from(["", "exact", "approximate", " lower_bound "]),
    "as_published": st.text(max_size=8),
    "source_id": st.sampled_from(["zjrb-2022-quzhou-decade", ""]),
    "note": st.sampled_from(["", "note", "  "]),
    "source_cell": st.sampled_from(["", "主要指标!E5"]),
}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.fixed_dictionaries(CELLS), min_size=1, max_size=12))
def test_generated_rows_mixing_plain_and_odd_cells_type_the_same_in_bulk(rows):
    both_ways([(line, [row.get(name, "") for name in HEADER]) for line, row in enumerate(rows, start=2)])


def all_test_files() -> list[Path]:
    """Every file the project ships or tests with, well-formed or not (encodings, quotes, field counts, xlsx)."""
    folders = [REPO_RAW / "observations", TESTS / "malformed", TESTS / "formats"]
    return sorted(p for folder in folders if folder.is_dir() for p in folder.iterdir() if p.is_file())


def test_a_file_read_in_chunks_gives_what_it_gives_read_whole(monkeypatch, tmp_path):
    """read_batch types a file READ_CHUNK_ROWS rows at a time (memory follows the typed file): with chunks of 2
    rows, every file gives the same rows, types and issues, line numbers included, as read in one chunk."""
    from orchestration.read import reading

    generate(tmp_path / "raw", 2_000)
    national = sorted((tmp_path / "raw" / "observations").glob("synthetic-bulletin-*.csv"))[0]
    files = [*all_test_files(), national]
    whole = {path: read_batch(OBSERVATIONS, path, path.name, UNITS) for path in files}
    monkeypatch.setattr(reading, "READ_CHUNK_ROWS", 2)
    compared = 0
    for path in files:
        chunked = read_batch(OBSERVATIONS, path, path.name, UNITS)
        assert [str(i) for i in chunked.issues] == [str(i) for i in whole[path].issues], path.name
        assert chunked.rows_read == whole[path].rows_read
        pd.testing.assert_frame_equal(chunked.frame, whole[path].frame)
        compared += chunked.rows_read > 2
    assert compared >= 5  # files of several chunks
