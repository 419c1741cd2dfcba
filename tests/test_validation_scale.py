"""A national batch (Arrow-backed text, markup escaped in one vectorised pass) is validated cell by cell: the bad
cells of a 20,000-row batch get exactly the issues they get in a batch of their own."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestration.domain.catalogue import Catalogue
from orchestration.domain.families import ALL_FAMILIES, OBSERVATIONS
from orchestration.domain.issues import ROW_COLUMN
from orchestration.domain.spreadsheet_cells import FORMULA_LIKE
from orchestration.read.reading import read_batch
from orchestration.reconcile.family import ingest_family
from orchestration.store.warehouse import Warehouse
from orchestration.validate import distinct_rows
from orchestration.validate.validation import FILE_COLUMN, _batch_definition, build_suite, validate_files
from tests.benchmarks.generate import generate


def _national_batch(tmp_path: Path) -> tuple[Catalogue, pd.DataFrame]:
    """The synthetic national catalogue loaded, and its 20,000-row publication parsed against it."""
    generate(tmp_path / "raw", 20_000)
    warehouse = Warehouse(tmp_path / "data")
    warehouse.ensure_schema()
    for family in ALL_FAMILIES:
        if family.catalogue:
            ingest_family(family, tmp_path / "raw", warehouse, "scale", data_docs=False)
    with warehouse.connect(read_only=True) as con:
        catalogue = warehouse.catalogue(con)
    units = dict(zip(catalogue.indicators["indicator_code"], catalogue.indicators["unit"], strict=False))
    path = sorted((tmp_path / "raw" / "observations").glob("synthetic-bulletin-*.csv"))[0]
    return catalogue, read_batch(OBSERVATIONS, path, path.name, units).frame


def test_bad_cells_in_a_national_batch_get_the_issues_they_get_alone(tmp_path: Path):
    catalogue, frame = _national_batch(tmp_path)
    assert len(frame) >= 20_000
    bad = {  # line -> (column, cell): an unknown region, a formula, a value type against the catalogue, no source
        100: ("region_code", "999999"),
        2_000: ("as_published", "=HYPERLINK(1)"),
        15_000: ("value_type", "rank"),
        19_000: ("obs_status", "guessed"),
        19_500: ("note", "<script>alert(1)</script>"),  # kept as published, escaped only for GX's pages
    }
    for line, (column, cell) in bad.items():
        frame.loc[frame[ROW_COLUMN] == line, column] = cell
    assert isinstance(frame["region_code"].dtype, pd.StringDtype) and frame["region_code"].dtype.storage == "pyarrow"
    big = validate_files(OBSERVATIONS, catalogue, {"big.csv": frame.copy()})["big.csv"].issues
    alone = validate_files(OBSERVATIONS, catalogue, {"big.csv": frame[frame[ROW_COLUMN].isin(bad)].copy()})["big.csv"].issues
    assert sorted(map(str, big)) == sorted(map(str, alone))
    assert {(i.row, i.column) for i in big} == {(line, column) for line, (column, _) in bad.items() if column != "note"}


@pytest.mark.parametrize("worth_reducing", [1.0, 0.0], ids=["reduced", "kept-as-it-stands"])
def test_gx_on_distinct_values_refuses_exactly_the_rows_gx_on_every_row_refuses(tmp_path: Path, monkeypatch, worth_reducing):
    """The oracle is the same suite run by GX over every row of the batch: each rule must refuse the same rows of
    the same files, for faults of every kind scattered over two files (one rule per fault kind at least), whether
    the batch is reduced to its distinct values or (nearly all distinct) kept as it stands."""
    monkeypatch.setattr(distinct_rows, "WORTH_REDUCING", worth_reducing)
    catalogue, parsed = _national_batch(tmp_path)
    frames = {"a.csv": parsed.iloc[:5_000].reset_index(drop=True), "b.csv": parsed.iloc[5_000:10_000].reset_index(drop=True)}
    rng = random.Random(11)
    faults = [
        ("region_code", "999999"),
        ("region_code", None),
        ("indicator_code", "NOT_IN_CATALOGUE"),
        ("indicator_code", "bad code"),
        ("as_published", "=HYPERLINK(1)"),
        ("as_published", "@SUM(A1)"),
        ("note", "+cmd|' /C calc'!A0"),
        ("value_type", "rank"),
        ("obs_status", "guessed"),
        ("source_id", "no-such-source"),
        ("value", 1e12),
        ("value", -1e12),
        ("qualifier", "roughly"),
        ("unit", None),
    ]
    for frame in frames.values():
        for column, cell in faults:
            for row in rng.sample(range(len(frame)), 3):
                frame.loc[row, column] = cell
        future = rng.sample(range(len(frame)), 3)  # a period after its source's publication (not a forecast)
        frame.loc[future, "period_start"] = date(2199, 1, 1)
        for column in OBSERVATIONS.key:  # rows 10-13 repeat the keys of rows 20-23
            cells = frame[column].to_numpy(copy=True)
            cells[10:14] = cells[20:24]
            frame[column] = pd.Series(cells, index=frame.index, dtype=frame[column].dtype)

    outcomes = validate_files(OBSERVATIONS, catalogue, {name: frame.copy() for name, frame in frames.items()})

    combined = pd.concat([f.assign(**{FILE_COLUMN: n}) for n, f in frames.items()], ignore_index=True)
    suite = build_suite(OBSERVATIONS, catalogue, combined)
    every_row = (
        _batch_definition(OBSERVATIONS.name)
        .get_batch(batch_parameters={"dataframe": combined})
        .validate(suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_COLUMN, FILE_COLUMN]})
    )
    expected: Counter = Counter()
    for result in every_row.results:
        column = result.expectation_config.kwargs.get("column") or result.expectation_config.kwargs.get("column_A")
        for entry in result.result.get("unexpected_index_list") or []:
            expected[(entry[FILE_COLUMN], result.expectation_config.type, column)] += 1
    found: Counter = Counter()
    for name, outcome in outcomes.items():
        for r in outcome.results:
            if r["unexpected_count"]:
                found[(name, r["expectation_type"], r["column_name"])] += r["unexpected_count"]
    assert found == expected
    assert len(expected) >= 15 * len(frames)  # each kind of fault refused in each file
    assert sum(len(o.issues) for o in outcomes.values()) == sum(expected.values())
    duplicates = {(i.row, i.rule) for i in outcomes["a.csv"].issues if i.rule == "duplicate_key"}
    lines = frames["a.csv"][ROW_COLUMN]
    assert duplicates == {(int(lines[r]), "duplicate_key") for r in [*range(10, 14), *range(20, 24)]}


LOOK_AHEAD_FORM = r"^(?![+\-－＋]?[0-9０-９.,．，]+[%％‰]?$)(?![+\-＋－]+$)[=+\-@\t\r＝＋－＠]"


@settings(max_examples=500, deadline=None)
@given(st.lists(st.text(alphabet=list("=+-@\t\r\n＝＋－＠0１.,．，%％‰a |"), max_size=8), min_size=1, max_size=50))
def test_the_formula_rule_runs_on_arrow_and_refuses_what_the_look_ahead_form_refuses(cells):
    """validation.FORMULA_LIKE is written for RE2 (pandas runs it on Arrow text in bulk); it must refuse exactly
    the cells its readable look-ahead form refuses, with Python's re and with Arrow's RE2."""
    text = pd.Series(cells, dtype="str")
    assert not text.array._needs_python_regex(FORMULA_LIKE)  # else pandas falls back to re, cell by cell
    expected = [bool(re.search(LOOK_AHEAD_FORM, cell)) for cell in cells]
    assert [bool(re.search(FORMULA_LIKE, cell)) for cell in cells] == expected
    assert text.str.contains(FORMULA_LIKE).tolist() == expected
