"""The national data service's exports as downloaded: .xls under Chinese names, title rows, notes, 当季值 / 累计值 rows,
partial tables and responses; the sheet checks the layout (a period or unit slip is refused naming the cell that says
otherwise); plausibility by region level; and a table its layout cannot read keeps its last accepted reading served.

Fixtures are ours, in the shapes of tests/support/bureau_tables.py; no real export is read here."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import pytest
from support.bureau_tables import (
    EASYQUERY_MONTHLY,
    NBS_MONTHS,
    NBS_PROVINCES,
    NBS_QUARTERS,
    SOURCE,
    Fixture,
)
from test_ingest import ingest_all
from test_layouts import catalogue_of, through_layout

from orchestration.domain.families import OBSERVATIONS
from orchestration.domain.ranges import RangeError, parse_range_by_level
from orchestration.read import sheet_grid, workbook_guard
from orchestration.read.file_names import check_file_name
from orchestration.read.file_snapshot import wait_until_settled
from orchestration.read.layouts import parse_layout
from orchestration.read.reading import read_batch
from orchestration.read.stated import from_january, stated_period, stated_unit
from orchestration.reconcile.listing import same_names
from orchestration.store.load_outcomes import KEPT_NOTE
from orchestration.store.warehouse import Warehouse

PROVINCES_BY_LETTER = f"""layout: 1
files: [observations/分省年度数据*.xls]
sheet: 分省年度数据
dialect: {{headerRows: [4]}}
rows: {{first: 5, label: A, means: region}}
columns:
  B: {{header: 2022年, period: "2022"}}
  C: {{header: 2021年, period: "2021"}}
  D: {{header: 2020年, period: "2020"}}
partial: true
fixed: {{indicator_code: GDP, unit: 亿元, source_id: {SOURCE}}}
"""


def _with_layout(fixture: Fixture, text: str) -> Fixture:
    return replace(fixture, layout=text)


def _cells(fixture: Fixture, **cells) -> Fixture:
    sheet = copy.deepcopy(fixture.sheet)
    sheet.cells.update(cells)
    return replace(fixture, sheet=sheet)


# --- what a table states ------------------------------------------------------------------------------------------


def test_what_a_header_or_title_states():
    assert [stated_period(t) for t in ("2019年", "2019年第四季度", "2020年3月", "2023年1-9月", "2020")] == [
        "2019",
        "2019Q4",
        "2020M03",
        "2023M01-09",
        "2020",
    ]
    assert [stated_period(t) for t in ("地区", "衢州统计年鉴2023", "时间：最近5年", "")] == [None] * 4
    units = frozenset({"亿元", "万人", "%"})
    assert stated_unit("指标：地区生产总值(亿元)", units) == "亿元"
    assert stated_unit("单位：万元", units) == "万元"  # 单位： always states a unit
    assert stated_unit("常住人口（万人）", units) == "万人"
    assert stated_unit("工业增加值同比增长(％)", units) == "%"
    assert stated_unit("3-1 各县（市、区）主要指标（2022年）", units) is None  # a year in brackets is no unit
    assert stated_unit("农村居民（不含农户）", units) is None
    assert stated_unit("单位：万元、%", units) is None  # names no one unit: each column's header says its own
    # a 累计 figure under its column's period runs from January to that period's end
    assert [from_january(p) for p in ("2019Q1", "2019Q2", "2019Q3", "2019Q4", "2020M02", "2020M01", "2019")] == [
        "2019Q1",
        "2019H1",
        "2019M01-09",
        "2019",
        "2020M01-02",
        "2020M01",
        "2019",
    ]


# --- the sheet checks the layout ------------------------------------------------------------------------------------


def test_the_columns_by_letter_load_what_the_range_loads(raw_copy):
    by_range = through_layout(NBS_PROVINCES, raw_copy)
    by_letter = through_layout(_with_layout(NBS_PROVINCES, PROVINCES_BY_LETTER), raw_copy)
    assert by_letter.issues == [] and by_range.issues == []
    assert (
        sorted(by_letter.frame["source_cell"])
        == sorted(by_range.frame["source_cell"])
        == [
            "分省年度数据!B6",
            "分省年度数据!C6",
            "分省年度数据!D6",
        ]
    )


@pytest.mark.parametrize(
    ("edit", "cell", "words"),
    [
        # a one-key slip: the column headed 2022年 declared 2021
        ('B: {header: 2022年, period: "2021"}', "分省年度数据!B4", "states the period 2022 where the layout gives '2021'"),
        # two columns' periods swapped (their headers left as the sheet shows them)
        ('C: {header: 2021年, period: "2020"}', "分省年度数据!C4", "states the period 2021"),
    ],
)
def test_a_period_slip_is_refused_naming_the_header(raw_copy, edit, cell, words):
    key = edit.split(":", 1)[0]
    lines = [f"  {edit}" if line.strip().startswith(f"{key}:") else line for line in PROVINCES_BY_LETTER.splitlines()]
    batch = through_layout(_with_layout(NBS_PROVINCES, "\n".join(lines) + "\n"), raw_copy)
    assert batch.rows_read == 0
    assert [(i.column, i.rule) for i in batch.issues] == [(cell, "layout_period")]
    assert words in batch.issues[0].message


def test_a_unit_slip_is_refused_naming_the_cell_that_states_the_unit(raw_copy):
    slip = PROVINCES_BY_LETTER.replace("unit: 亿元", "unit: 万元")
    batch = through_layout(_with_layout(NBS_PROVINCES, slip), raw_copy)
    assert batch.rows_read == 0
    (issue,) = batch.issues  # one refusal for the title, not one per figure
    assert (issue.column, issue.rule, issue.value) == ("分省年度数据!A2", "layout_unit", "指标：地区生产总值(亿元)")
    assert "states the unit '亿元' where the layout gives '万元' to 3 figure(s)" in issue.message
    # a row label's unit is the row's: 地区生产总值当季值(亿元) against a layout saying 万元
    quarters = through_layout(_with_layout(NBS_QUARTERS, NBS_QUARTERS.layout.replace("unit: 亿元", "unit: 万元")), raw_copy)
    assert {(i.column, i.rule) for i in quarters.issues} == {("季度数据!A4", "layout_unit"), ("季度数据!A5", "layout_unit")}


def test_a_title_unit_covers_the_columns_that_measure_the_same_thing(raw_copy):
    from support.bureau_tables import REGIONS_BY_INDICATORS

    # 单位：亿元 above the table: a share column without a unit in its header is in % (not the title's subject) …
    with_share = _cells(REGIONS_BY_INDICATORS, E3="城镇化率", E4=59.3, E5=70.1, E6=80.2)
    d_line = next(line for line in REGIONS_BY_INDICATORS.layout.splitlines() if line.startswith("  D:"))
    layout = REGIONS_BY_INDICATORS.layout.replace(
        d_line, d_line + '\n  E: {header: 城镇化率, indicator_code: URBANISATION, unit: "%"}'
    )
    batch = through_layout(replace(with_share, layout=layout), raw_copy)
    assert batch.issues == [] and {"表3-1!E4", "表3-1!B4"} <= set(batch.frame["source_cell"])
    # … while a money column declared in 万元 under it is a slip, refused naming the title
    slip = layout.replace("indicator_code: GDP, unit: 亿元", "indicator_code: GDP, unit: 万元")
    refused = through_layout(replace(with_share, layout=slip), raw_copy)
    assert [(i.column, i.rule) for i in refused.issues] == [("表3-1!A2", "layout_unit")]


def test_a_column_of_a_range_must_state_its_period(raw_copy):
    blank_header = _cells(NBS_PROVINCES, C4="GDP")
    batch = through_layout(blank_header, raw_copy)
    assert [(i.column, i.rule) for i in batch.issues] == [("分省年度数据!C4", "layout_header")]
    assert "states no period" in batch.issues[0].message


def test_year_to_date_rows_that_disagree_with_the_periods_own_are_refused(raw_copy):
    # Q1's 累计值 is Q1's 当季值: two different figures for one figure cannot both be right
    batch = through_layout(_cells(NBS_QUARTERS, E5=18000.9), raw_copy)
    assert batch.rows_read == 0
    assert [(i.column, i.rule) for i in batch.issues] == [("季度数据!E5", "layout_period")]
    assert "季度数据!E4" in batch.issues[0].message


def test_a_partial_table_counts_what_it_passes_over_and_data_source_ends_the_table(raw_copy):
    batch = through_layout(NBS_PROVINCES, raw_copy)
    assert batch.note and "5 figure(s) under 2 label(s)" in batch.note and "北京市 (3)" in batch.note
    # not partial: the unknown region is refused, once per row, and 数据来源 is the notes (not a region)
    strict = through_layout(_with_layout(NBS_PROVINCES, NBS_PROVINCES.layout.replace("partial: true\n", "")), raw_copy)
    assert sorted(i.column for i in strict.issues) == ["分省年度数据!A5", "分省年度数据!A7"]
    # a notes row the defaults do not know is refused with the key that fixes it named
    unknown_note = _cells(NBS_QUARTERS, A6="附：地区生产总值按现价计算，增速按不变价计算。")
    refused = through_layout(unknown_note, raw_copy)
    assert any("rows.notes_start" in i.message for i in refused.issues)


# --- data-query responses -------------------------------------------------------------------------------------------


def _response(edit) -> Fixture:
    response = copy.deepcopy(EASYQUERY_MONTHLY.response)
    edit(response["returndata"])
    return replace(EASYQUERY_MONTHLY, response=response)


def _zb(body: dict, code: str) -> dict:
    return next(n for n in body["wdnodes"][0]["nodes"] if n["code"] == code)


@pytest.mark.parametrize(
    ("case", "edit", "rule", "words"),
    [
        ("blank unit", lambda b: _zb(b, "A060101").update(unit=""), "layout_unit", "states no unit"),
        ("no indicator names", lambda b: b.update(wdnodes=[]), "layout_unit", "names no indicators"),
        (
            "another unit",
            lambda b: _zb(b, "A060101").update(unit="万元"),
            "layout_unit",
            "'万元' where the layout expects '亿元'",
        ),
        ("strdata against data", lambda b: b["datanodes"][0]["data"].update(data=1234.0), "layout_value", "different figures"),
        (
            "time name against code",
            lambda b: b["wdnodes"][1]["nodes"][0].update(cname="2023年10月"),
            "layout_period",
            "names it '2023年10月'",
        ),
        (
            "累计 without cumulative",
            lambda b: _zb(b, "A060105").update(cname="房地产投资_累计值"),
            "layout_period",
            "runs from January",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_response_is_checked_against_itself(raw_copy, case, edit, rule, words):
    batch = through_layout(_response(edit), raw_copy)
    assert batch.rows_read == 0, case
    assert any(i.rule == rule and words in i.message for i in batch.issues), [i.message for i in batch.issues]


def test_a_response_spelling_its_dimensions_in_capitals_loads_the_same(raw_copy):
    def capitals(body):
        for node in body["datanodes"]:
            for wd in node["wds"]:
                wd["wdcode"] = wd["wdcode"].upper()
        for dimension in body["wdnodes"]:
            dimension["wdcode"] = dimension["wdcode"].upper()

    assert through_layout(_response(capitals), raw_copy).frame["source_cell"].tolist() == (
        through_layout(EASYQUERY_MONTHLY, raw_copy).frame["source_cell"].tolist()
    )


def test_an_unmapped_code_is_reported_once_with_its_count(raw_copy):
    strict = _with_layout(EASYQUERY_MONTHLY, EASYQUERY_MONTHLY.layout.replace("partial: true\n", ""))
    more = copy.deepcopy(strict.response)
    more["returndata"]["datanodes"] += [copy.deepcopy(more["returndata"]["datanodes"][3]) for _ in range(8)]
    batch = through_layout(replace(strict, response=more), raw_copy)
    assert [(i.column, i.value) for i in batch.issues] == [("returndata.datanodes[3]", "A060103")]
    assert "8 more data node(s)" in batch.issues[0].message and "partial: true" in batch.issues[0].message
    assert "A060103 (1)" in through_layout(EASYQUERY_MONTHLY, raw_copy).note


# --- .xls as downloaded, file names as bureaus write them -------------------------------------------------------------


def _read_xls(raw: Path, data: bytes):
    path = raw / "observations" / "分省年度数据.xls"
    NBS_PROVINCES.write(raw)
    path.write_bytes(data)
    layout = parse_layout(NBS_PROVINCES.layout, "catalogue/layouts/分省年度数据.yaml")
    labels, units = catalogue_of(raw)
    return read_batch(OBSERVATIONS, path, "observations/分省年度数据.xls", units, layout=layout, labels=labels)


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (b"<html><body><table><tr><td>2022</td></tr></table></body></html>", "xls_html"),
        (b"PK\x03\x04" + b"\0" * 200, "xls_renamed"),
        (b"region_code,indicator_code\n330800,GDP\n", "xls"),
        (workbook_guard.OLE2_MAGIC + b"\0" * 600, "xls"),  # an OLE2 container, but no workbook in it
    ],
    ids=["html page", "xlsx named xls", "csv named xls", "damaged"],
)
def test_what_is_not_an_xls_workbook_is_refused_with_what_to_do(raw_copy, data, rule):
    batch = _read_xls(raw_copy, data)
    assert batch.rows_read == 0 and [i.rule for i in batch.issues] == [rule]


def test_an_xls_sheet_beyond_the_cell_bound_is_refused_before_its_cells_are_read(raw_copy, monkeypatch):
    monkeypatch.setattr(sheet_grid, "MAX_LEGACY_CELLS", 20)
    batch = through_layout(NBS_PROVINCES, raw_copy)
    assert [i.rule for i in batch.issues] == ["xlsx_too_large"] and "limit 20" in batch.issues[0].message


def test_an_xls_date_cell_and_a_hidden_sheet_are_refused(raw_copy, tmp_path):
    import datetime

    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("分省年度数据")
    sheet.write(3, 0, "地区")
    sheet.write(3, 1, "2022年")
    sheet.write(5, 0, "浙江省")
    sheet.write(5, 1, datetime.datetime(2022, 1, 1), xlwt.easyxf(num_format_str="yyyy-mm-dd"))
    book.save(str(tmp_path / "dated.xls"))
    batch = _read_xls(raw_copy, (tmp_path / "dated.xls").read_bytes())
    assert [i.rule for i in batch.issues] == ["xlsx_format"] and "分省年度数据!B6" in batch.issues[0].message
    hidden = xlwt.Workbook()
    hidden.add_sheet("封面")
    hidden.add_sheet("分省年度数据").visibility = 1
    hidden.save(str(tmp_path / "hidden.xls"))
    batch = _read_xls(raw_copy, (tmp_path / "hidden.xls").read_bytes())
    assert [i.rule for i in batch.issues] == ["xlsx_sheets"] and "hidden" in batch.issues[0].message


@pytest.mark.parametrize("name", ["分省年度数据.xls", "分省年度数据 (1).xls", "2023年统计公报-衢州.csv", "月度数据（2023）.xls"])
def test_file_names_as_bureaus_write_them_are_taken(name):
    assert check_file_name(name) is None


@pytest.mark.parametrize(
    "name",
    [
        ".分省年度数据.xls",  # hidden
        "-rf.csv",  # read as an option by a shell command
        "a..b.csv",
        "数据\u202egpj.xls",  # a right-to-left override hides the real ending
        "数据\u200b.csv",  # zero-width space
        "数据\t.csv",
        "$(reboot).csv",
        "a;b.csv",
        "a*.csv",
        "数据  .csv",
        "数据.csv ",
    ],
)
def test_dangerous_file_names_are_refused(name):
    refused = check_file_name(name)
    assert refused is not None and refused[0] == "file_name"


def test_a_layout_matches_a_name_saved_with_decomposed_characters():
    import unicodedata

    layout = parse_layout(NBS_PROVINCES.layout.replace("分省年度数据*.xls", "données-*.xls"), "catalogue/layouts/données.yaml")
    assert layout.matches(unicodedata.normalize("NFD", "observations/données-2023.xls"))


def test_two_names_a_person_cannot_tell_apart_are_both_refused(tmp_path):
    paths = [tmp_path / "ＧＤＰ-2023.csv", tmp_path / "gdp-2023.csv", tmp_path / "other.csv"]
    refused = same_names(paths)
    assert set(refused) == set(paths[:2]) and "gdp-2023.csv" in refused[paths[0]]


# --- layouts ----------------------------------------------------------------------------------------------------------


def test_ranges_by_level_read_and_refuse_what_cannot_be_meant():
    assert parse_range_by_level("county 1..6000; province 100..150000") == {
        "county": (1.0, 6000.0),
        "province": (100.0, 150000.0),
    }
    for text in ("town 1..5", "county 5..1", "county 1..2; county 1..3", "county 1-6000"):
        with pytest.raises(RangeError):
            parse_range_by_level(text)


def test_a_person_started_refresh_waits_for_a_file_copied_in_a_moment_ago(tmp_path):
    path = tmp_path / "分省年度数据.xls"
    path.write_bytes(b"x")
    now = [path.stat().st_mtime + 1.0]  # written one second ago
    told: list[tuple[str, float]] = []

    def sleep(seconds: float) -> None:
        now[0] += seconds

    left = wait_until_settled([path], lambda p, s: told.append((p.name, s)), settle=5, clock=lambda: now[0], sleep=sleep)
    assert left == [] and told and told[0][0] == "分省年度数据.xls" and 3.9 < told[0][1] <= 4.0
    assert now[0] - path.stat().st_mtime >= 5
    # a copy that never settles is given up on after the limit: the refresh defers it, as a scheduled one does
    growing = tmp_path / "growing.xls"
    growing.write_bytes(b"x")
    start = growing.stat().st_mtime

    def still_writing(seconds: float) -> None:
        now[0] += seconds
        import os

        os.utime(growing, (now[0], now[0]))

    now[0] = start
    left = wait_until_settled([growing], lambda p, s: None, settle=5, limit=30, clock=lambda: now[0], sleep=still_writing)
    assert left == [growing] and now[0] - start >= 30


# --- through the refresh: plausibility by level, the last good reading stays served --------------------------------


def _served(warehouse: Warehouse, rel: str) -> dict[str, float]:
    with warehouse.session() as con:
        rows = con.execute(
            "select source_cell, value from raw.observations where _file_path = ? and _superseded_by_load is null", [rel]
        ).fetchall()
    return dict(rows)


@pytest.mark.slow
def test_plausibility_is_judged_at_the_regions_level(raw_copy, tmp_path):
    (raw_copy / "observations" / "levels.csv").write_text(
        "region_code,indicator_code,period,value,unit,value_type,obs_status,qualifier,as_published,source_id,note\n"
        "330000,GDP,2022,77715.4,亿元,level,normal,,77715.4,zjrb-2022-quzhou-decade,\n"
        "100000,GDP,2022,1204724,亿元,level,normal,,1204724,zjrb-2022-quzhou-decade,\n",
        encoding="utf-8",
    )
    # a county's GDP of a province's size: inside GDP's widest range, outside a county's
    (raw_copy / "observations" / "county-slip.csv").write_text(
        "region_code,indicator_code,period,value,unit,value_type,obs_status,qualifier,as_published,source_id,note\n"
        "330822,GDP,2022,20003.4,亿元,level,normal,,20003.4,zjrb-2022-quzhou-decade,\n",
        encoding="utf-8",
    )
    warehouse = Warehouse(tmp_path / "data")
    outcomes = ingest_all(raw_copy, warehouse)
    assert outcomes["observations/levels.csv"].status == "loaded"
    slip = outcomes["observations/county-slip.csv"]
    assert slip.status == "quarantined"
    assert any("plausible range for its region's level" in i.message and "6000" in i.message for i in slip.issues), [
        i.message for i in slip.issues
    ]
    # a catalogue edit whose county range would exclude a served county figure is refused naming it
    (raw_copy / "observations" / "county.csv").write_text(
        "region_code,indicator_code,period,value,unit,value_type,obs_status,qualifier,as_published,source_id,note\n"
        "330822,GDP,2022,200.1,亿元,level,normal,,200.1,zjrb-2022-quzhou-decade,\n",
        encoding="utf-8",
    )
    assert ingest_all(raw_copy, warehouse, "county")["observations/county.csv"].status == "loaded"
    indicators = raw_copy / "catalogue" / "indicators.csv"
    indicators.write_text(indicators.read_text(encoding="utf-8").replace("county 1..6000;", "county 1..100;"), encoding="utf-8")
    edited = ingest_all(raw_copy, warehouse, "narrowed")["catalogue/indicators.csv"]
    assert edited.status == "quarantined"
    assert any("new range excludes" in i.message and "county.csv" in i.message for i in edited.issues), edited.issues


@pytest.mark.slow
def test_a_table_its_layout_cannot_read_keeps_its_last_accepted_reading(raw_copy, tmp_path):
    NBS_PROVINCES.write(raw_copy)
    layout = raw_copy / "catalogue" / "layouts" / "分省年度数据.yaml"
    rel = "observations/分省年度数据.xls"
    warehouse = Warehouse(tmp_path / "data")
    assert ingest_all(raw_copy, warehouse, "first")[rel].status == "loaded"
    served = _served(warehouse, rel)
    assert served == {"分省年度数据!B6": 77715.4, "分省年度数据!C6": 73515.8, "分省年度数据!D6": 64613.3}

    # the layout edited with a period slip, then with a unit slip: refused naming the cell, the reading before served
    slips = [
        (PROVINCES_BY_LETTER.replace('period: "2021"', 'period: "2020"', 1), "layout_period"),
        (PROVINCES_BY_LETTER.replace("unit: 亿元", "unit: 万元"), "layout_unit"),
    ]
    for n, (text, rule) in enumerate(slips):
        layout.write_text(text, encoding="utf-8")
        outcome = ingest_all(raw_copy, warehouse, f"slip-{n}")[rel]
        assert (outcome.status, outcome.note) == ("quarantined", KEPT_NOTE) and outcome.issues[0].rule == rule
        assert _served(warehouse, rel) == served
        again = ingest_all(raw_copy, warehouse, f"slip-{n}-again")[rel]  # unchanged: not read again, still said
        assert again.status == "still_quarantined" and again.note == KEPT_NOTE and again.issues
        assert _served(warehouse, rel) == served

    # a new download the layout refuses (its title now says 万元) keeps the reading before served too
    layout.write_text(NBS_PROVINCES.layout, encoding="utf-8")
    _cells(NBS_PROVINCES, A2="指标：地区生产总值(万元)").write(raw_copy)
    outcome = ingest_all(raw_copy, warehouse, "new-download")[rel]
    assert outcome.status == "quarantined" and outcome.note == KEPT_NOTE and _served(warehouse, rel) == served

    # the layout deleted: the file cannot be read at all, and still what it served stays served
    NBS_PROVINCES.write(raw_copy)
    layout.unlink()
    outcome = ingest_all(raw_copy, warehouse, "deleted")[rel]
    assert outcome.status == "quarantined" and outcome.note == KEPT_NOTE and _served(warehouse, rel) == served

    # an accepted edit that reads fewer figures is a re-reading: beyond the shrink guard's share it is held
    layout.write_text(
        PROVINCES_BY_LETTER.replace('  C: {header: 2021年, period: "2021"}\n', "")
        .replace('  D: {header: 2020年, period: "2020"}\n', "")
        .replace("partial: true", "ignore_columns: [C, D]\npartial: true"),
        encoding="utf-8",
    )
    outcome = ingest_all(raw_copy, warehouse, "narrowed")[rel]
    assert outcome.status == "held" and "make confirm" in outcome.note and _served(warehouse, rel) == served

    # the file deleted: withdrawn as any file, the kept reading included
    (raw_copy / rel).unlink()
    assert ingest_all(raw_copy, warehouse, "gone")[rel].status == "withdrawn"
    assert _served(warehouse, rel) == {}


@pytest.mark.slow
def test_the_exports_load_through_a_refresh_with_their_year_to_date_figures_apart(raw_copy, tmp_path):
    for fixture in (NBS_PROVINCES, NBS_QUARTERS, NBS_MONTHS, EASYQUERY_MONTHLY):
        fixture.write(raw_copy)
    warehouse = Warehouse(tmp_path / "data")
    outcomes = ingest_all(raw_copy, warehouse)
    for fixture in (NBS_PROVINCES, NBS_QUARTERS, NBS_MONTHS, EASYQUERY_MONTHLY):
        rel = f"observations/{fixture.name}{fixture.suffix}"
        assert outcomes[rel].status == "loaded", (rel, outcomes[rel].issues)
    with warehouse.session() as con:
        kinds = dict(
            con.execute(
                "select period_label, period_kind from raw.observations where indicator_code = 'GDP' and region_code = '330000' "
                "and _superseded_by_load is null and _file_path like '%季度数据%'"
            ).fetchall()
        )
    assert kinds == {
        "2023Q1": "quarter",
        "2023Q2": "quarter",
        "2023Q3": "quarter",
        "2023Q4": "quarter",
        "2023H1": "half_year",
        "2023M01-09": "year_to_date",
        "2023": "year",  # Q4's 累计值: the year's figure, the one the comparable series takes
    }
    assert outcomes["observations/分省年度数据.xls"].note.startswith("partial:")


@pytest.mark.slow
def test_a_catalogue_edit_respects_the_figures_a_kept_reading_serves(raw_copy, tmp_path):
    NBS_MONTHS.write(raw_copy)
    rel = "observations/月度数据-zj-industry-2023.xls"
    warehouse = Warehouse(tmp_path / "data")
    assert ingest_all(raw_copy, warehouse, "first")[rel].status == "loaded"
    # a new download whose row label the layout does not know: refused, its last accepted reading still served
    _cells(NBS_MONTHS, A4="工业增加值同比增长(%)").write(raw_copy)
    assert ingest_all(raw_copy, warehouse, "relabelled")[rel].note == KEPT_NOTE
    # the indicator those served figures are under cannot be removed from the catalogue meanwhile
    indicators = raw_copy / "catalogue" / "indicators.csv"
    indicators.write_text(
        "".join(
            line
            for line in indicators.read_text(encoding="utf-8").splitlines(keepends=True)
            if not line.startswith("IND_VA_GROWTH,")
        ),
        encoding="utf-8",
    )
    edited = ingest_all(raw_copy, warehouse, "removed")["catalogue/indicators.csv"]
    assert edited.status == "quarantined" and any("IND_VA_GROWTH" in i.message for i in edited.issues), edited.issues
    assert len(_served(warehouse, rel)) == 5


# --- names (issue 33): one name, one code; a name edit reads the tables again ----------------------------------------


@pytest.mark.slow
def test_a_catalogue_name_taken_twice_is_refused_and_a_name_edit_reads_the_tables_again(raw_copy, tmp_path):
    from support.bureau_tables import TWO_LEVEL_HEADER

    TWO_LEVEL_HEADER.write(raw_copy)
    rel = "observations/yearbook-incomes-2022.xlsx"
    warehouse = Warehouse(tmp_path / "data")
    assert ingest_all(raw_copy, warehouse, "first")[rel].status == "loaded"
    served = _served(warehouse, rel)
    regions = raw_copy / "catalogue" / "regions.csv"
    original = regions.read_text(encoding="utf-8")
    # 开化县 given 常山县 as an alias: a table's 常山县 row could go under either code; the catalogue is refused
    regions.write_text(
        original.replace("330800,钱江源国家公园", "330800,钱江源国家公园|常山县"),
        encoding="utf-8",
    )
    outcomes = ingest_all(raw_copy, warehouse, "alias")
    refused = outcomes["catalogue/regions.csv"]
    assert refused.status == "quarantined" and [i.rule for i in refused.issues] == ["name_taken"]
    assert "already names 330822" in refused.issues[0].message
    assert outcomes[rel].status == "skipped" and _served(warehouse, rel) == served  # the names in force did not change
    # 常山县 renamed: the table relies on the old name, so it is read again, refused, and its reading kept
    regions.write_text(original.replace("330822,常山县,", "330822,常山县城,"), encoding="utf-8")
    outcomes = ingest_all(raw_copy, warehouse, "renamed")
    assert outcomes["catalogue/regions.csv"].status == "loaded"
    assert (outcomes[rel].status, outcomes[rel].note) == ("quarantined", KEPT_NOTE)
    assert any(i.rule == "layout_label" and "常山县" in i.message for i in outcomes[rel].issues)
    assert _served(warehouse, rel) == served


@pytest.mark.slow
def test_a_steward_can_let_a_refused_table_stop_serving(raw_copy, tmp_path, monkeypatch):
    from orchestration import settings
    from orchestration.commands.confirm import confirm

    NBS_PROVINCES.write(raw_copy)
    rel = "observations/分省年度数据.xls"
    warehouse = Warehouse(tmp_path / "data")
    ingest_all(raw_copy, warehouse, "first")
    (raw_copy / "catalogue" / "layouts" / "分省年度数据.yaml").unlink()  # the table is no longer wanted this way
    assert ingest_all(raw_copy, warehouse, "deleted")[rel].note == KEPT_NOTE and _served(warehouse, rel)
    monkeypatch.setenv(settings.DATA_DIR_ENV, str(tmp_path / "data"))
    monkeypatch.setenv(settings.RAW_DIR_ENV, str(raw_copy))
    assert "stops serving the last accepted reading" in confirm(rel)
    outcome = ingest_all(raw_copy, warehouse, "confirmed")[rel]
    assert outcome.status == "quarantined" and outcome.note is None and _served(warehouse, rel) == {}
