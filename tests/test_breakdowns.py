"""Breakdowns (sex, age group, urban / rural): read from a table's header or row labels and from a long file's
columns, one key per figure, checked against the breakdown catalogue; a split indicator declared a part of another."""

from __future__ import annotations

import pytest
from conftest import OBS_HEADER, append_catalogue_rows
from support.bureau_tables import Fixture, Sheet
from test_ingest import SRC, ingest_all
from test_layouts import through_layout

from orchestration.domain.breakdowns import breakdown_key, parse_breakdown
from orchestration.store.warehouse import Warehouse

# A census table: regions in rows, 常住人口 merged over 合计 / 男 / 女.
CENSUS_LAYOUT = """layout: 1
files: [observations/census-sex-2020.xlsx]
sheet: 表2-3
dialect: {headerRows: [3, 4]}
checks: {A2: 单位：万人}
rows: {first: 5, label: A, means: region}
columns:
  B: {header: 常住人口 / 合计, indicator_code: POP_RESIDENT}
  C: {header: 常住人口 / 男, indicator_code: POP_RESIDENT}
  D: {header: 常住人口 / 女, indicator_code: POP_RESIDENT%s}
fixed: {period: "2020", unit: 万人, source_id: test-bureau-tables}
"""
CENSUS_SHEET = Sheet(
    "表2-3",
    {
        "A1": "表2-3 各县（市、区）常住人口（2020年）",
        "A2": "单位：万人",
        "A3": "地区",
        "B3": "常住人口",
        "B4": "合计",
        "C4": "男",
        "D4": "女",
        "A5": "柯城区",
        "B5": 50.1,
        "C5": 25.4,
        "D5": 24.7,
        "A6": "衢江区",
        "B6": 40.2,
        "C6": 20.6,
        "D6": 19.6,
    },
    merged=("B3:D3",),
)


def census(women: str = "") -> Fixture:
    return Fixture("census-sex-2020", ".xlsx", CENSUS_LAYOUT % women, "", sheet=CENSUS_SHEET)


def test_a_breakdown_key_names_each_part_once_in_column_order():
    assert breakdown_key({"sex": "_T", "age": "_T", "urbanisation": "_T"}) == "_T"
    assert breakdown_key({"urbanisation": "R", "sex": "F", "age": None}) == "sex=F;urbanisation=R"
    assert parse_breakdown("urbanisation=U") == {"urbanisation": "U"}
    for wrong in ("colour=RED", "sex=_T", "sex=F;sex=M", ""):
        with pytest.raises(ValueError):
            parse_breakdown(wrong)


def test_a_two_level_header_with_men_and_women_is_read_as_a_breakdown(raw_copy):
    batch = through_layout(census(), raw_copy)
    assert batch.issues == []
    read = {(r.source_cell, r.region_code, r.sex, r.breakdown): r.value for r in batch.frame.itertuples()}
    assert read == {
        ("表2-3!B5", "330802", "_T", "_T"): 50.1,
        ("表2-3!C5", "330802", "M", "sex=M"): 25.4,
        ("表2-3!D5", "330802", "F", "sex=F"): 24.7,
        ("表2-3!B6", "330803", "_T", "_T"): 40.2,
        ("表2-3!C6", "330803", "M", "sex=M"): 20.6,
        ("表2-3!D6", "330803", "F", "sex=F"): 19.6,
    }


def test_a_header_naming_women_where_the_layout_says_men_refuses_the_table(raw_copy):
    batch = through_layout(census(women=", sex: M"), raw_copy)
    assert batch.rows_read == 0  # never the women's figures served as the men's
    (issue,) = batch.issues
    assert (issue.column, issue.rule) == ("表2-3!D4", "layout_breakdown")
    assert "names the sex F (女) where the layout gives 'M'" in issue.message


def test_men_and_women_rows_under_their_indicator_are_its_parts(raw_copy):
    layout = """layout: 1
files: [observations/population-by-sex.xlsx]
sheet: 人口
dialect: {headerRows: [2]}
rows: {first: 3, label: A, means: indicator, unit: B}
columns:
  C: {header: "2022", period: "2022"}
fixed: {region_code: "330800", source_id: test-bureau-tables}
"""
    sheet = Sheet(
        "人口",
        {"A1": "衢州市人口", "A2": "指标", "B2": "单位", "C2": "2022", "A3": "年末常住人口", "B3": "万人", "C3": 229.0}
        | {"A4": "  其中：男", "B4": "万人", "C4": 116.2, "A5": "        女", "B5": "万人", "C5": 112.8},
    )
    batch = through_layout(Fixture("population-by-sex", ".xlsx", layout, "", sheet=sheet), raw_copy)
    assert batch.issues == []
    assert sorted(zip(batch.frame.indicator_code, batch.frame.breakdown, batch.frame.value, strict=True)) == [
        ("POP_RESIDENT", "_T", 229.0),
        ("POP_RESIDENT", "sex=F", 112.8),
        ("POP_RESIDENT", "sex=M", 116.2),
    ]


def test_a_long_file_gives_its_figures_parts_and_a_code_not_in_the_catalogue_is_refused(raw_copy, tmp_path):
    header = OBS_HEADER.strip() + ",sex,urbanisation\n"
    good = raw_copy / "observations" / "by-sex.csv"
    good.write_text(
        header
        + f"330800,POP_RESIDENT,2022,116.2,万人,level,normal,exact,116.2万人,{SRC},,M,\n"
        + f"330800,POP_RESIDENT,2022,112.8,万人,level,normal,exact,112.8万人,{SRC},,F,\n",
        encoding="utf-8",
    )
    bad = raw_copy / "observations" / "by-colour.csv"
    bad.write_text(header + f"330800,POP_RESIDENT,2022,100,万人,level,normal,exact,100万人,{SRC},,X,\n", encoding="utf-8")
    warehouse = Warehouse(tmp_path / "data")
    outcomes = ingest_all(raw_copy, warehouse)
    assert outcomes["observations/by-sex.csv"].status == "loaded"
    refused = outcomes["observations/by-colour.csv"]
    assert refused.status == "quarantined"
    assert [(i.row, i.column, i.value) for i in refused.issues] == [(2, "sex", "X")]
    with warehouse.connect(read_only=True) as con:
        served = con.execute(
            "select sex, age, urbanisation, breakdown, value from raw.observations where _file_path = 'observations/by-sex.csv' "
            "order by sex"
        ).fetchall()
    assert served == [("F", "_T", "_T", "sex=F", 112.8), ("M", "_T", "_T", "sex=M", 116.2)]


def test_a_split_indicator_must_name_a_total_and_a_part_the_catalogue_has(raw_copy, tmp_path):
    warehouse = Warehouse(tmp_path / "data")
    ingest_all(raw_copy, warehouse)
    indicators = raw_copy / "catalogue" / "indicators.csv"
    row = "TEST_SPLIT,测试分项,Test part,income,元,level,higher_better,1000,1000000,,,,nominal,,,{of},{part},"
    append_catalogue_rows(indicators, row.format(of="INCOME_ALL", part="urbanisation=X"))
    refused = ingest_all(raw_copy, warehouse, "again")["catalogue/indicators.csv"]
    assert refused.status == "quarantined"
    assert [(i.column, i.rule, i.value) for i in refused.issues] == [("breakdown", "breakdown_of", "urbanisation=X")]
    assert "urbanisation=X is not in the breakdown catalogue" in refused.issues[0].message
    text = indicators.read_text(encoding="utf-8").replace("urbanisation=X", "urbanisation=U").replace(",INCOME_ALL,", ",GDP,")
    indicators.write_text(text, encoding="utf-8")
    refused = ingest_all(raw_copy, warehouse, "third")["catalogue/indicators.csv"]
    assert {(i.column, i.rule) for i in refused.issues} == {("unit", "breakdown_of")}  # 元 is not GDP's 亿元


def test_a_footnote_can_mark_a_cell_confidential(raw_copy):
    sheet = Sheet(CENSUS_SHEET.title, {**CENSUS_SHEET.cells, "D6": "19.6①", "A8": "注：①涉密数据，不公开。"}, CENSUS_SHEET.merged)
    layout = CENSUS_LAYOUT % "" + "footnotes:\n  ①: {conf_status: C, note: 涉密数据}\n"
    batch = through_layout(Fixture("census-sex-2020", ".xlsx", layout, "", sheet=sheet), raw_copy)
    assert batch.issues == []
    marked = {r.source_cell: r.conf_status for r in batch.frame.itertuples()}
    assert marked.pop("表2-3!D6") == "C" and set(marked.values()) == {"F"}


def test_rows_loaded_before_breakdowns_existed_are_free_totals(raw_copy, tmp_path):
    """A warehouse made by an earlier version: its raw rows gain the new columns as totals, free to publish, so that
    the next reading of a file finds the same figures (not every one withdrawn and a new one added)."""
    warehouse = Warehouse(tmp_path / "data")
    ingest_all(raw_copy, warehouse)
    with warehouse.session() as con:
        for column in ("sex", "age", "urbanisation", "conf_status", "breakdown"):
            con.execute(f"alter table raw.observations drop column {column}")
    warehouse.ensure_schema()
    with warehouse.connect(read_only=True) as con:
        seen = con.execute(
            "select distinct sex, age, urbanisation, breakdown, conf_status, count(*) > 50 from raw.observations group by all"
        ).fetchall()
    assert seen == [("_T", "_T", "_T", "_T", "F", True)]
    (raw_copy / "observations" / "zjol-qz-income-2014.csv").write_text(
        (raw_copy / "observations" / "zjol-qz-income-2014.csv").read_text(encoding="utf-8") + "\n", encoding="utf-8"
    )  # a new version with the same figures
    again = ingest_all(raw_copy, warehouse, "again")["observations/zjol-qz-income-2014.csv"]
    assert again.status == "loaded"
    with warehouse.connect(read_only=True) as con:
        assert con.execute("select count(*) from audit.figure_changes").fetchone() == (0,)


def test_a_split_indicator_given_another_part_is_refused(raw_copy, tmp_path):
    header = OBS_HEADER.strip() + ",urbanisation\n"
    (raw_copy / "observations" / "clash.csv").write_text(
        header + f"330800,INCOME_RURAL,2021,33000,元,level,normal,exact,33000元,{SRC},,U\n", encoding="utf-8"
    )
    refused = ingest_all(raw_copy, Warehouse(tmp_path / "data"))["observations/clash.csv"]
    assert refused.status == "quarantined"
    ((row, column, message),) = [(i.row, i.column, i.message) for i in refused.issues]
    assert (row, column) == (2, "indicator_code") and "a part of another (breakdown_of" in message
