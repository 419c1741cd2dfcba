"""A national batch (Arrow-backed text, markup escaped in one vectorised pass) is validated cell by cell: the bad
cells of a 20,000-row batch get exactly the issues they get in a batch of their own."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestration.ingest.families import ALL_FAMILIES, OBSERVATIONS
from orchestration.ingest.loop import ingest_family
from orchestration.ingest.reading import ROW_COLUMN, read_batch
from orchestration.ingest.validation import FORMULA_LIKE, validate_files
from orchestration.store.warehouse import Warehouse
from tests.benchmarks.generate import generate


def test_bad_cells_in_a_national_batch_get_the_issues_they_get_alone(tmp_path: Path):
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
    frame = read_batch(OBSERVATIONS, path, path.name, units).frame
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
