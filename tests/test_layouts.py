"""Bureau tables through declared layouts: each shape loads the figures a hand-written long file of the same figures
gives, cell references included; a table that no longer matches its layout is quarantined naming the cell, and the
rest of the refresh publishes; a bad layout is refused with its reasons and the previous one stays in force."""

from __future__ import annotations

import copy
import csv
import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from support.bureau_tables import (
    EASYQUERY_QUARTERLY,
    EASYQUERY_YEARLY,
    FIXTURES,
    INDICATORS_BY_YEARS,
    QUARTERLY_YTD,
    REGIONS_BY_INDICATORS,
    TWO_LEVEL_HEADER,
    Fixture,
    Sheet,
)
from test_ingest import ingest_all

from orchestration.domain.families import OBSERVATIONS
from orchestration.domain.issues import ROW_COLUMN
from orchestration.read.layouts import LayoutError, parse_layout
from orchestration.read.reading import read_batch
from orchestration.read.table_layout import Labels
from orchestration.store.files import sha256_of
from orchestration.store.warehouse import Warehouse

COMPARED = [name for name, _ in OBSERVATIONS.stored_columns()]


def catalogue_of(raw: Path) -> tuple[Labels, dict[str, str]]:
    def rows(name: str) -> list[dict[str, str]]:
        with (raw / "catalogue" / name).open(encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    indicators, regions, parts = rows("indicators.csv"), rows("regions.csv"), rows("breakdowns.csv")
    labels = Labels.build(
        [(r["indicator_code"], r["name_zh"], r.get("aliases", ""), r["value_type"]) for r in indicators],
        [(r["region_code"], r["name_zh"], r.get("aliases", "")) for r in regions],
        [(r["dimension"], r["code"], r["name_zh"], r.get("aliases", "")) for r in parts],
    )
    return labels, {r["indicator_code"]: r["unit"] for r in indicators}


def through_layout(fixture: Fixture, raw: Path):
    path = fixture.write(raw)
    layout = parse_layout(fixture.layout, f"catalogue/layouts/{fixture.name}.yaml")
    labels, units = catalogue_of(raw)
    rel = f"observations/{path.name}"
    return read_batch(OBSERVATIONS, path, rel, units, layout=layout, labels=labels)


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.name for f in FIXTURES])
def test_each_shape_loads_what_its_long_file_says(fixture, raw_copy, tmp_path):
    batch = through_layout(fixture, raw_copy)
    assert batch.issues == []
    long_file = tmp_path / "long.csv"
    long_file.write_text(fixture.long_header + "\n" + fixture.long.strip() + "\n", encoding="utf-8")
    _, units = catalogue_of(raw_copy)
    expected = read_batch(OBSERVATIONS, long_file, "long.csv", units)
    assert expected.issues == []

    def rows(frame: pd.DataFrame) -> list[dict]:
        records = frame[COMPARED].astype(object).where(frame[COMPARED].notna(), None).to_dict("records")
        return sorted(records, key=lambda r: r["source_cell"])

    assert rows(batch.frame) == rows(expected.frame)
    assert batch.frame[ROW_COLUMN].is_unique  # the history joins on (load, row)


def test_periods_and_symbols_are_what_the_bureau_means(raw_copy):
    ytd = through_layout(QUARTERLY_YTD, raw_copy).frame
    assert dict(zip(ytd["period_label"], ytd["period_kind"], strict=False)) == {
        "2023Q1": "quarter",
        "2023H1": "half_year",
        "2023M01-09": "year_to_date",
        "2023": "year",  # 全年: the annual figure
    }
    regions = through_layout(REGIONS_BY_INDICATORS, raw_copy).frame.set_index("source_cell")
    assert pd.isna(regions.loc["表3-1!B7", "value"]) and regions.loc["表3-1!B7", "as_published"] == "…"  # not available
    assert "表3-1!D7" not in regions.index  # "-" declared skip: no row
    assert regions.loc["表3-1!B6", "obs_status"] == "provisional"  # footnote ①
    quarters = through_layout(EASYQUERY_YEARLY, raw_copy).frame
    assert sorted(quarters["period_label"]) == ["2020", "2021"]  # 2019 has hasdata false: no figure, never 0
    assert 0 not in set(quarters["value"])


def _edited(fixture: Fixture, **cells) -> Fixture:
    sheet = copy.deepcopy(fixture.sheet)
    for ref, value in cells.items():
        if value is None:
            sheet.cells.pop(ref, None)
        else:
            sheet.cells[ref] = value
    return replace(fixture, sheet=sheet)


def _shift_columns(sheet: Sheet, at: str) -> Sheet:
    """A column inserted before `at`: every cell from that column on moves one right."""
    moved = {}
    for ref, value in sheet.cells.items():
        col, row = ref.rstrip("0123456789"), ref[len(ref.rstrip("0123456789")) :]
        moved[(chr(ord(col) + 1) if col >= at else col) + row] = value
    return replace(sheet, cells=moved)


def _shift_rows(sheet: Sheet) -> Sheet:
    """A blank row inserted at the top: every cell one row down."""
    moved = {}
    for ref, value in sheet.cells.items():
        col = ref.rstrip("0123456789")
        moved[f"{col}{int(ref[len(col) :]) + 1}"] = value
    return replace(sheet, cells=moved)


SHIFTED = {
    "inserted column": (
        replace(REGIONS_BY_INDICATORS, sheet=_shift_columns(REGIONS_BY_INDICATORS.sheet, "B")),
        "表3-1!B3",
        "layout_header",
    ),
    "renamed header": (_edited(TWO_LEVEL_HEADER, C3="乡村"), "表5!C3", "layout_header"),
    "swapped headers": (_edited(TWO_LEVEL_HEADER, C3="农村", D3="城镇"), "表5!C3", "layout_header"),
    "unknown row label": (_edited(REGIONS_BY_INDICATORS, A6="丽水市辖区"), "表3-1!A6", "layout_label"),
    "changed unit row": (_edited(REGIONS_BY_INDICATORS, A2="单位：万元"), "表3-1!A2", "layout_check"),
    "shifted data": (replace(INDICATORS_BY_YEARS, sheet=_shift_rows(INDICATORS_BY_YEARS.sheet)), "主要指标!C2", "layout_header"),
    "merged header split differently": (
        replace(TWO_LEVEL_HEADER, sheet=replace(TWO_LEVEL_HEADER.sheet, merged=("A2:A3", "B2:C2", "D2:F2"))),
        "表5!D3",
        "layout_header",
    ),
    "column appended": (_edited(INDICATORS_BY_YEARS, F2="2023", F3=(2125, "0")), "主要指标!F2", "layout_column"),
    "hidden row": (
        replace(INDICATORS_BY_YEARS, sheet=replace(INDICATORS_BY_YEARS.sheet, hidden_rows=(4,))),
        "主要指标!A4",
        "layout_hidden",
    ),
    "unit changed in the response": (
        replace(
            EASYQUERY_YEARLY,
            response=json.loads(json.dumps(EASYQUERY_YEARLY.response, ensure_ascii=False).replace('"亿元"', '"万元"')),
        ),
        "returndata.wdnodes[0].nodes[0]",
        "layout_unit",
    ),
    "an indicator the layout does not map": (
        replace(
            EASYQUERY_QUARTERLY,
            response=json.loads(json.dumps(EASYQUERY_QUARTERLY.response, ensure_ascii=False).replace("A010102", "A010103")),
        ),
        "returndata.datanodes[0]",
        "layout_label",
    ),
}


@pytest.mark.parametrize("case", list(SHIFTED), ids=list(SHIFTED))
def test_a_table_that_no_longer_matches_is_refused_naming_the_cell(case, raw_copy):
    fixture, cell, rule = SHIFTED[case]
    batch = through_layout(fixture, raw_copy)
    assert batch.rows_read == 0  # nothing of it, never a shifted column under the wrong indicator
    assert any(i.column == cell and i.rule == rule for i in batch.issues), [str(i) for i in batch.issues]
    assert f"cell {cell}" in str(next(i for i in batch.issues if i.column == cell))


def test_a_shifted_table_is_quarantined_and_the_rest_of_the_refresh_publishes(raw_copy, tmp_path):
    fixture, cell, _ = SHIFTED["inserted column"]
    fixture.write(raw_copy)
    INDICATORS_BY_YEARS.write(raw_copy)
    warehouse = Warehouse(tmp_path / "data")
    outcomes = ingest_all(raw_copy, warehouse)
    refused = outcomes[f"observations/{fixture.name}{fixture.suffix}"]
    assert refused.status == "quarantined" and cell in {i.column for i in refused.issues}
    assert {o.status for p, o in outcomes.items() if p != refused.file_path} == {"loaded"}
    with warehouse.connect(read_only=True) as con:
        served = con.execute(
            "select count(*) from raw.observations where _file_path = ? and _superseded_by_load is null", [refused.file_path]
        ).fetchone()[0]
        reasons = con.execute(
            "select column_name, rule from audit.load_issues where file_path = ?", [refused.file_path]
        ).fetchall()
    assert served == 0 and (cell, "layout_header") in reasons  # the reason is kept where the report reads it


def test_a_parse_problem_in_a_table_names_its_cell(raw_copy, tmp_path):
    _edited(INDICATORS_BY_YEARS, D4="二百二十八点七万").write(raw_copy)
    outcome = ingest_all(raw_copy, Warehouse(tmp_path / "data"))["observations/yearbook-indicators-quzhou.xlsx"]
    assert outcome.status == "quarantined"
    assert [i.column for i in outcome.issues] == ["主要指标!D4"] and outcome.issues[0].message.startswith("value:")


@pytest.mark.slow
def test_a_figure_a_layout_places_outside_the_catalogue_range_is_refused_at_its_cell(raw_copy, tmp_path):
    _edited(INDICATORS_BY_YEARS, E5=(159.3, "0.0")).write(raw_copy)  # an urbanisation rate of 159.3 %
    outcome = ingest_all(raw_copy, Warehouse(tmp_path / "data"))["observations/yearbook-indicators-quzhou.xlsx"]
    assert outcome.status == "quarantined"
    assert "主要指标!E5" in {i.column for i in outcome.issues}


@pytest.mark.slow
def test_a_bad_layout_is_refused_with_reasons_and_the_previous_one_stays_in_force(raw_copy, tmp_path):
    warehouse = Warehouse(tmp_path / "data")
    INDICATORS_BY_YEARS.write(raw_copy)
    layout_path = raw_copy / "catalogue" / "layouts" / f"{INDICATORS_BY_YEARS.name}.yaml"
    rel = "observations/yearbook-indicators-quzhou.xlsx"
    assert ingest_all(raw_copy, warehouse)[rel].status == "loaded"

    layout_path.write_text(
        INDICATORS_BY_YEARS.layout.replace("means: indicator", "means: sector").replace("NOPE", ""), encoding="utf-8"
    )
    outcomes = ingest_all(raw_copy, warehouse, "second")
    refused = outcomes["catalogue/layouts/yearbook-indicators-quzhou.yaml"]
    assert refused.status == "quarantined" and "rows.means" in refused.issues[0].message
    assert "last accepted version still reads" in refused.note
    assert outcomes[rel].status == "skipped"  # still served through the previous layout

    # a valid edit (the 2022 column now read as 2021's revision is not the point: a new layout reads the file again)
    edited = INDICATORS_BY_YEARS.layout.replace('E: {header: "2022", period: "2022"}', "")
    layout_path.write_text(
        edited.replace('fixed: {region_code: "330800"', 'ignore_columns: [E]\nfixed: {region_code: "330800"'), encoding="utf-8"
    )
    outcomes = ingest_all(raw_copy, warehouse, "third")
    assert outcomes[rel].status == "held" and "make confirm" in outcomes[rel].note  # it would withdraw 3 of 9 figures
    warehouse.confirm(rel, sha256_of(raw_copy / rel), "steward", "the 2022 column is read from the release instead")
    assert ingest_all(raw_copy, warehouse, "fourth")[rel].status == "loaded"
    with warehouse.connect(read_only=True) as con:
        periods = con.execute(
            "select distinct period_label from raw.observations where _file_path = ? and _superseded_by_load is null", [rel]
        ).fetchall()
        withdrawn = con.execute(
            """select f.source_cell from audit.figure_changes f join audit.loads l using (load_id)
               where f.file_path = ? and f.change = 'withdrawn' and l.status = 'loaded'""",
            [rel],
        ).fetchall()
    assert sorted(p for (p,) in periods) == ["2020", "2021"]
    assert sorted(c for (c,) in withdrawn) == ["主要指标!E3", "主要指标!E4", "主要指标!E5"]  # the report lists each cell


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("layout: 1\nfiles: [observations/x.xlsx]\n", "dialect.headerRows"),
        ("layout: 2\n", "layout format's version"),
        ("- a list\n", "YAML mapping"),
        ("layout: 1\nfiles: [../etc/passwd]\n", "directly in observations/"),
        ("layout: 1\nfiles: [observations/x.xlsx]\ncolumns: {B: {header: x, colour: red}}\n", "unknown key 'colour'"),
        (
            "layout: 1\nfiles: [observations/x.xlsx]\ndialect: {headerRows: [5]}\nrows: {first: 4, label: A, means: region}\n",
            "must come after the header rows",
        ),
        (
            "layout: 1\nfiles: [observations/x.xlsx]\ndialect: {headerRows: [1]}\nrows: {first: 2, label: A, means: region}\n"
            "columns: {B: {header: x, indicator_code: GDP}}\n",
            "get no period, unit, source_id",
        ),
        ("layout: 1\nformat: easyquery\nfiles: [observations/x.json]\nindicators: {A01: {unit: '%'}}\n", "indicator_code"),
        ("layout: 1\nfiles: [observations/x.xlsx]\nfoo: !!python/object:os.system {}\n", "not valid YAML"),
        ("layout: 1\nfiles: [observations/a.xls\n", "not valid YAML at line 3, column 1"),
        ('layout: 1\nfiles: [observations/a.xls]\ncolumns:\n  "D:B": {}\n', "the range runs backwards"),
        ('layout: 1\nfiles: [observations/a.xls]\ncolumns:\n  "B:": {period: "2020"}\n', "from its header"),
        ("layout: 1\nfiles: [observations/a.xls]\npartial: yes please\n", "partial must be true or false"),
    ],
)
def test_layout_mistakes_are_named(text, reason):
    with pytest.raises(LayoutError) as refused:
        parse_layout(text, "catalogue/layouts/x.yaml")
    assert any(reason in r for r in refused.value.reasons), refused.value.reasons


def test_an_xls_or_json_without_a_layout_is_refused_with_what_to_do(raw_copy, tmp_path):
    (raw_copy / "observations" / "yearbook-2019.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    (raw_copy / "observations" / "query.json").write_text("{}", encoding="utf-8")
    outcomes = ingest_all(raw_copy, Warehouse(tmp_path / "data"))
    refused = outcomes["observations/yearbook-2019.xls"].issues[0]
    assert refused.rule == "layout_missing" and "through a layout" in refused.message
    assert "through a layout" in outcomes["observations/query.json"].issues[0].message


@pytest.mark.slow
def test_a_file_two_layouts_match_is_refused(raw_copy, tmp_path):
    INDICATORS_BY_YEARS.write(raw_copy)
    (raw_copy / "catalogue" / "layouts" / "second.yaml").write_text(INDICATORS_BY_YEARS.layout, encoding="utf-8")
    outcome = ingest_all(raw_copy, Warehouse(tmp_path / "data"))["observations/yearbook-indicators-quzhou.xlsx"]
    assert outcome.status == "quarantined" and outcome.issues[0].rule == "layout_ambiguous"


def test_the_shipped_workbook_loads_through_its_layout_and_no_figure_twice(tmp_path):
    from conftest import REPO_RAW

    outcomes = ingest_all(REPO_RAW, Warehouse(tmp_path / "data"))
    assert outcomes["observations/zj-qz-main-indicators.xlsx"].status == "loaded"
    with Warehouse(tmp_path / "data").connect(read_only=True) as con:
        rows = con.execute(
            "select count(*), count(source_cell) from raw.observations where _file_path = 'observations/zj-qz-main-indicators.xlsx'"
        ).fetchone()
        twice = con.execute(  # a figure of the workbook that a long file also gives
            """select w.indicator_code, w.region_code, w.period_label, o._file_path
               from raw.observations w join raw.observations o using (indicator_code, region_code, period_label)
               where w._file_path = 'observations/zj-qz-main-indicators.xlsx' and o._file_path <> w._file_path"""
        ).fetchall()
    assert rows[0] >= 20 and rows[0] == rows[1]
    assert twice == []


# --- hostile layouts and responses: bounded before anything expands (issue 33) ---------------------------------------


def test_a_layout_that_would_expand_or_nest_is_refused_before_it_is_built():
    import time

    laughs = "layout: 1\nfiles: [observations/x.xlsx]\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9)
    )  # ~600 bytes that safe_load would build into 9^10 (3.5 billion) strings
    started = time.perf_counter()
    with pytest.raises(LayoutError) as refused:
        parse_layout(laughs, "catalogue/layouts/laughs.yaml")
    assert "anchors and aliases" in refused.value.reasons[0] and time.perf_counter() - started < 2
    deep = "layout: 1\nfiles: [observations/x.xlsx]\nrows: " + "[" * 100_000 + "]" * 100_000 + "\n"
    with pytest.raises(LayoutError) as refused:
        parse_layout(deep, "catalogue/layouts/deep.yaml")
    assert "nested deeper than" in refused.value.reasons[0]


def test_a_declared_last_row_far_beyond_the_sheet_reads_to_the_sheets_end(raw_copy):
    import tracemalloc

    huge = replace(INDICATORS_BY_YEARS, layout=INDICATORS_BY_YEARS.layout.replace("first: 3,", "first: 3, last: 100000000,"))
    tracemalloc.start()
    batch = through_layout(huge, raw_copy)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert batch.issues == [] and batch.rows_read == 9 and peak < 50 * 2**20


def test_a_response_nested_beyond_the_parsers_depth_is_refused_as_that_files_problem(raw_copy):
    path = raw_copy / "observations" / "easyquery-zj-deep.json"
    path.write_text('{"returndata": ' + "[" * 200_000 + "]" * 200_000 + "}", encoding="utf-8")
    layout = parse_layout(EASYQUERY_YEARLY.layout, "catalogue/layouts/easyquery-zj-gdp.yaml")
    labels, units = catalogue_of(raw_copy)
    batch = read_batch(OBSERVATIONS, path, "observations/easyquery-zj-deep.json", units, layout=layout, labels=labels)
    assert batch.rows_read == 0 and [i.rule for i in batch.issues] == ["json"]


def test_a_layouts_labels_never_give_a_catalogue_name_another_meaning(raw_copy):
    # 城镇 and 农村 swapped under labels: refused naming the cells, never served swapped with a green run
    swapped = replace(
        TWO_LEVEL_HEADER,
        layout=TWO_LEVEL_HEADER.layout.replace("fixed:", 'labels: {衢州市: "330822"}\nfixed:'),
    )
    batch = through_layout(swapped, raw_copy)
    assert batch.rows_read == 0
    assert [(i.column, i.rule) for i in batch.issues] == [("表5!A4", "layout_label")]
    assert "the catalogue's name of 330800" in batch.issues[0].message
    # two keys that are one label once read: refused naming both
    with pytest.raises(LayoutError) as refused:
        parse_layout(
            REGIONS_BY_INDICATORS.layout.replace(
                'labels: {全市: "330800", 市区: "330801"}', 'labels: {全市: "330800", "全  市": "330801"}'
            ),
            "catalogue/layouts/x.yaml",
        )
    assert any("'全市' and '全  市' are the same label" in r for r in refused.value.reasons), refused.value.reasons
