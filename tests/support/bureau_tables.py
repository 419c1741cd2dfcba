"""Fixtures shaped like what bureaus publish, built at test time: yearbook sheets of each common shape, a quarterly
year-to-date release and data-query (easyquery) responses, each with its layout and a hand-written long file of the
same figures (with their cells) to compare the load with.

The figures are test data in the bureaus' shapes, under the test source `test-bureau-tables` (added to the test
catalogue by `add_test_source`): none of them is presented as something a bureau published.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from conftest import append_catalogue_rows
from openpyxl import Workbook

SOURCE = "test-bureau-tables"
SOURCE_ROW = (
    f"{SOURCE},Bureau-shaped test tables,the test suite,2024-03-01,day,tests/support/bureau_tables.py,official,Test data only.\n"
)
LONG_HEADER = (
    "region_code,indicator_code,period,value,unit,value_type,obs_status,qualifier,as_published,source_id,note,source_cell"
)


# Indicators the national data service's tables give that the shipped catalogue does not have (test rows).
TEST_INDICATOR_ROWS = (
    "IND_VA_GROWTH,规模以上工业增加值增长率,Growth of industrial value added,economy,%,avg_annual_growth,higher_better,-50,100,"
    "Test row.,,,real,,\n",
    "RE_INVEST,房地产开发投资,Real estate investment,economy,亿元,level,neutral,0,200000,Test row.,,,nominal,,\n",
    "RE_INVEST_GROWTH,房地产开发投资增长率,Growth of real estate investment,economy,%,avg_annual_growth,neutral,-100,200,"
    "Test row.,,,nominal,,\n",
)


def add_test_source(raw: Path) -> None:
    """The test source, and the test indicators, in the raw folder's catalogue."""
    sources = raw / "catalogue" / "sources.csv"
    text = sources.read_text(encoding="utf-8")
    if SOURCE not in text:
        sources.write_text(text.rstrip("\n") + "\n" + SOURCE_ROW, encoding="utf-8")
    indicators = raw / "catalogue" / "indicators.csv"
    text = indicators.read_text(encoding="utf-8")
    missing = [row for row in TEST_INDICATOR_ROWS if "\n" + row.split(",", 1)[0] + "," not in text]
    if missing:
        append_catalogue_rows(indicators, *(row.rstrip("\n") for row in missing))


@dataclass
class Sheet:
    """A sheet by its cells: {"A1": value or (value, number format)}, merged ranges, hidden rows."""

    title: str
    cells: dict[str, object]
    merged: tuple[str, ...] = ()
    hidden_rows: tuple[int, ...] = ()

    def save(self, path: Path, extra_sheets: tuple[str, ...] = ()) -> Path:
        book = Workbook()
        ws = book.active
        ws.title = self.title
        for ref, value in self.cells.items():
            if isinstance(value, tuple):
                ws[ref] = value[0]
                ws[ref].number_format = value[1]
            else:
                ws[ref] = value
        for rng in self.merged:
            ws.merge_cells(rng)
        for row in self.hidden_rows:
            ws.row_dimensions[row].hidden = True
        for name in extra_sheets:
            book.create_sheet(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        book.save(path)
        return path

    def save_xls(self, path: Path) -> Path:
        """The same sheet as an Excel 97-2003 workbook, as the national data service gives it (xlwt writes BIFF8)."""
        import xlwt
        from openpyxl.utils.cell import column_index_from_string as col_of
        from openpyxl.utils.cell import coordinate_from_string, range_boundaries

        book = xlwt.Workbook(encoding="utf-8")
        ws = book.add_sheet(self.title)
        merged = [range_boundaries(rng) for rng in self.merged]  # (min_col, min_row, max_col, max_row)
        for ref, value in self.cells.items():
            letters, row = coordinate_from_string(ref)
            value = value[0] if isinstance(value, tuple) else value
            span = next((m for m in merged if (m[0], m[1]) == (col_of(letters), row)), None)
            if span:
                ws.write_merge(span[1] - 1, span[3] - 1, span[0] - 1, span[2] - 1, value)
            else:
                ws.write(row - 1, col_of(letters) - 1, value)
        path.parent.mkdir(parents=True, exist_ok=True)
        book.save(str(path))
        return path


@dataclass
class Fixture:
    name: str  # the file stem; the layout is catalogue/layouts/<name>.yaml
    suffix: str
    layout: str  # YAML text
    long: str  # the same figures as a long file (the observation columns plus source_cell)
    sheet: Sheet | None = None
    response: dict | None = None
    long_header: str = LONG_HEADER  # with the breakdown columns where the table has parts

    def write(self, raw: Path) -> Path:
        add_test_source(raw)
        (raw / "catalogue" / "layouts").mkdir(parents=True, exist_ok=True)
        (raw / "catalogue" / "layouts" / f"{self.name}.yaml").write_text(self.layout, encoding="utf-8")
        path = raw / "observations" / f"{self.name}{self.suffix}"
        if self.sheet is not None:
            return self.sheet.save_xls(path) if self.suffix == ".xls" else self.sheet.save(path)
        path.write_text(json.dumps(self.response, ensure_ascii=False), encoding="utf-8")
        return path

    def long_rows(self) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(self.long_header + "\n" + self.long.strip() + "\n")))


def _long(rows: list[str]) -> str:
    return "\n".join(rows)


# 1. Regions in rows × indicators in columns, one year per sheet: a unit row, "#" (of which) rows, symbols, a
# footnote, notes at the foot.
REGIONS_BY_INDICATORS = Fixture(
    name="yearbook-regions-2022",
    suffix=".xlsx",
    sheet=Sheet(
        "表3-1",
        {
            "A1": "3-1 各县（市、区）主要指标（2022年）",
            "A2": "单位：亿元",
            "A3": "地区",
            "B3": "地区生产总值",
            "C3": "第一产业增加值",
            "D3": "常住人口（万人）",
            "A4": "全市",
            "B4": ("2003.4", "@"),
            "C4": "…",
            "D4": (229.0, "0.0"),
            "A5": "#市区",
            "B5": (1000.5, "0.0"),
            "C5": "-",
            "D5": (100.2, "0.0"),
            "A6": "  柯城区",
            "B6": "480.1①",
            "D6": (55.1, "0.0"),
            "A7": "江山市",
            "B7": "…",
            "D7": "-",
            "A8": "注：① 初步数。",
            "A9": "资料来源：测试数据。",
        },
    ),
    layout=f"""layout: 1
description: regions × indicators, one year
files: [observations/yearbook-regions-*.xlsx]
sheet: 表3-1
dialect: {{headerRows: [3]}}
checks: {{A2: 单位：亿元}}
rows: {{first: 4, label: A, means: region}}
columns:
  B: {{header: 地区生产总值, indicator_code: GDP, unit: 亿元}}
  D: {{header: 常住人口（万人）, indicator_code: POP_RESIDENT, unit: 万人}}
ignore_columns: [C]
labels: {{全市: "330800", 市区: "330801"}}
symbols: {{"-": skip}}
fixed: {{period: "2022", source_id: {SOURCE}}}
footnotes:
  ①: {{obs_status: provisional, note: 初步数}}
""",
    long=_long(
        [
            f"330800,GDP,2022,2003.4,亿元,level,normal,,2003.4,{SOURCE},,表3-1!B4",
            f"330800,POP_RESIDENT,2022,229.0,万人,level,normal,,229.0,{SOURCE},,表3-1!D4",
            f"330801,GDP,2022,1000.5,亿元,level,normal,,1000.5,{SOURCE},,表3-1!B5",
            f"330801,POP_RESIDENT,2022,100.2,万人,level,normal,,100.2,{SOURCE},,表3-1!D5",
            f"330802,GDP,2022,480.1,亿元,level,provisional,,480.1①,{SOURCE},初步数,表3-1!B6",
            f"330802,POP_RESIDENT,2022,55.1,万人,level,normal,,55.1,{SOURCE},,表3-1!D6",
            f"330881,GDP,2022,…,亿元,level,normal,,…,{SOURCE},published as '…': not available,表3-1!B7",
        ]
    ),
)

# 2. Indicators in rows × years in columns, with a unit column and an "其中" row.
INDICATORS_BY_YEARS = Fixture(
    name="yearbook-indicators-quzhou",
    suffix=".xlsx",
    sheet=Sheet(
        "主要指标",
        {
            "A1": "衢州市主要指标",
            "A2": "指标",
            "B2": "单位",
            "C2": "2020",
            "D2": "2021",
            "E2": "2022",
            "A3": "地区生产总值",
            "B3": "亿元",
            "C3": (1639, "#,##0"),
            "D3": (1876, "#,##0"),
            "E3": "2,003.4",
            "A4": "常住人口",
            "B4": "万人",
            "C4": (227.6, "0.0"),
            "D4": (228.7, "0.0"),
            "E4": (229.0, "0.0"),
            "A5": "  其中：城镇化率",
            "B5": "%",
            "C5": (57.5, "0.0"),
            "D5": (58.1, "0.0"),
            "E5": (59.3, "0.0"),
        },
    ),
    layout=f"""layout: 1
files: [observations/yearbook-indicators-quzhou.xlsx]
sheet: 主要指标
dialect: {{headerRows: [2]}}
rows: {{first: 3, label: A, means: indicator, unit: B}}
columns:
  C: {{header: "2020", period: "2020"}}
  D: {{header: "2021", period: "2021"}}
  E: {{header: "2022", period: "2022"}}
fixed: {{region_code: "330800", source_id: {SOURCE}}}
""",
    long=_long(
        [
            f'330800,GDP,2020,"1,639",亿元,level,normal,,"1,639",{SOURCE},,主要指标!C3',
            f'330800,GDP,2021,"1,876",亿元,level,normal,,"1,876",{SOURCE},,主要指标!D3',
            f'330800,GDP,2022,"2,003.4",亿元,level,normal,,"2,003.4",{SOURCE},,主要指标!E3',
            f"330800,POP_RESIDENT,2020,227.6,万人,level,normal,,227.6,{SOURCE},,主要指标!C4",
            f"330800,POP_RESIDENT,2021,228.7,万人,level,normal,,228.7,{SOURCE},,主要指标!D4",
            f"330800,POP_RESIDENT,2022,229.0,万人,level,normal,,229.0,{SOURCE},,主要指标!E4",
            f"330800,URBANISATION,2020,57.5,%,level,normal,,57.5,{SOURCE},,主要指标!C5",
            f"330800,URBANISATION,2021,58.1,%,level,normal,,58.1,{SOURCE},,主要指标!D5",
            f"330800,URBANISATION,2022,59.3,%,level,normal,,59.3,{SOURCE},,主要指标!E5",
        ]
    ),
)

# 3. A two-level merged header (incomes by 全体 / 城镇 / 农村; population and its urban share), regions in rows.
TWO_LEVEL_HEADER = Fixture(
    name="yearbook-incomes-2022",
    suffix=".xlsx",
    sheet=Sheet(
        "表5",
        {
            "A1": "各县（市、区）居民收入和人口（2022年）",
            "A2": "地区",
            "B2": "居民人均可支配收入（元）",
            "B3": "全体",
            "C3": "城镇",
            "D3": "农村",
            "E2": "常住人口",
            "E3": "人口数（万人）",
            "F3": "城镇化率（%）",
            "A4": "衢州市",
            "B4": (45276, "0"),
            "C4": (57465, "0"),
            "D4": (31468, "0"),
            "E4": (229.0, "0.0"),
            "F4": (59.3, "0.0"),
            "A5": "常山县",
            "B5": (35000, "0"),
            "C5": (50000, "0"),
            "D5": (26000, "0"),
            "E5": (25.4, "0.0"),
            "F5": (50.1, "0.0"),
        },
        merged=("A2:A3", "B2:D2", "E2:F2"),
    ),
    layout=f"""layout: 1
files: [observations/yearbook-incomes-2022.xlsx]
sheet: 表5
dialect: {{headerRows: [2, 3], headerJoin: " / "}}
rows: {{first: 4, label: A, means: region}}
columns:
  B: {{header: 居民人均可支配收入（元） / 全体, indicator_code: INCOME_ALL, unit: 元}}
  C: {{header: 居民人均可支配收入（元） / 城镇, indicator_code: INCOME_URBAN, unit: 元}}
  D: {{header: 居民人均可支配收入（元） / 农村, indicator_code: INCOME_RURAL, unit: 元}}
  E: {{header: 常住人口 / 人口数（万人）, indicator_code: POP_RESIDENT, unit: 万人}}
  F: {{header: 常住人口 / 城镇化率（%）, indicator_code: URBANISATION, unit: "%"}}
fixed: {{period: "2022", source_id: {SOURCE}}}
""",
    long=_long(
        [
            f"{region},{code},2022,{value},{unit},level,normal,,{value},{SOURCE},,表5!{col}{row},{part}"
            for row, region, values in (
                (4, "330800", ("45276", "57465", "31468", "229.0", "59.3")),
                (5, "330822", ("35000", "50000", "26000", "25.4", "50.1")),
            )
            for col, code, unit, part, value in zip(
                "BCDEF",
                ("INCOME_ALL", "INCOME_URBAN", "INCOME_RURAL", "POP_RESIDENT", "URBANISATION"),
                ("元", "元", "元", "万人", "%"),
                ("", "U", "R", "", ""),  # 城镇 and 农村 in the header: the parts (the codes say so too)
                values,
                strict=True,
            )
        ]
    ),
    long_header=LONG_HEADER + ",urbanisation",
)

# 4. A quarterly release, cumulative from January: periods in rows (一季度, 上半年, 前三季度, 全年) with the
# year-on-year growth beside each level.
QUARTERLY_YTD = Fixture(
    name="release-gdp-2023",
    suffix=".xlsx",
    sheet=Sheet(
        "GDP",
        {
            "A1": "2023年衢州市地区生产总值（累计）",
            "A2": "时期",
            "B2": "地区生产总值（亿元）",
            "C2": "比上年同期增长（%）",
            "A3": "一季度",
            "B3": (480.2, "0.0"),
            "C3": (6.1, "0.0"),
            "A4": "上半年",
            "B4": (1000.3, "0.0"),
            "C4": (6.5, "0.0"),
            "A5": "1-9月",
            "B5": (1550.7, "0.0"),
            "C5": (6.8, "0.0"),
            "A6": "全年",
            "B6": (2125.2, "0.0"),
            "C6": (6.4, "0.0"),
        },
    ),
    layout=f"""layout: 1
files: [observations/release-gdp-2023.xlsx]
sheet: GDP
dialect: {{headerRows: [2]}}
rows: {{first: 3, label: A, means: period, period_prefix: 2023年}}
columns:
  B: {{header: 地区生产总值（亿元）, indicator_code: GDP, unit: 亿元}}
  C: {{header: 比上年同期增长（%）, indicator_code: GDP_GROWTH, unit: "%"}}
fixed: {{region_code: "330800", source_id: {SOURCE}}}
""",
    long=_long(
        [
            f"330800,GDP,2023Q1,480.2,亿元,level,normal,,480.2,{SOURCE},,GDP!B3",
            f"330800,GDP_GROWTH,2023Q1,6.1,%,avg_annual_growth,normal,,6.1,{SOURCE},,GDP!C3",
            f"330800,GDP,2023H1,1000.3,亿元,level,normal,,1000.3,{SOURCE},,GDP!B4",
            f"330800,GDP_GROWTH,2023H1,6.5,%,avg_annual_growth,normal,,6.5,{SOURCE},,GDP!C4",
            f"330800,GDP,2023M01-09,1550.7,亿元,level,normal,,1550.7,{SOURCE},,GDP!B5",
            f"330800,GDP_GROWTH,2023M01-09,6.8,%,avg_annual_growth,normal,,6.8,{SOURCE},,GDP!C5",
            f"330800,GDP,2023,2125.2,亿元,level,normal,,2125.2,{SOURCE},,GDP!B6",
            f"330800,GDP_GROWTH,2023,6.4,%,avg_annual_growth,normal,,6.4,{SOURCE},,GDP!C6",
        ]
    ),
)


def easyquery_response(
    nodes: list[tuple[str, str, str, float | None, int]], names: dict[str, tuple[str, str]], times: dict[str, str] | None = None
) -> dict:
    """A response in the service's shape: nodes are (zb, sj, reg, value or None for hasdata false, dotcount); names
    the zb codes' (cname, unit), times the sj codes' cname (the service names every time code it answers for)."""
    datanodes = []
    for zb, sj, reg, value, dotcount in nodes:
        shown = "" if value is None else f"{value:.{dotcount}f}"
        wds = [{"valuecode": zb, "wdcode": "zb"}, {"valuecode": sj, "wdcode": "sj"}]
        if reg:
            wds.append({"valuecode": reg, "wdcode": "reg"})
        datanodes.append(
            {
                "code": f"zb.{zb}_sj.{sj}" + (f"_reg.{reg}" if reg else ""),
                "data": {"data": value or 0, "dotcount": dotcount, "hasdata": value is not None, "strdata": shown},
                "wds": wds,
            }
        )
    zb_nodes = [{"cname": cname, "code": code, "unit": unit, "memo": "", "dotcount": 1} for code, (cname, unit) in names.items()]
    return {
        "returncode": 200,
        "returndata": {
            "datanodes": datanodes,
            "freshsort": 0,
            "hasdatacount": sum(1 for n in nodes if n[3] is not None),
            "wdnodes": [{"nodes": zb_nodes, "wdcode": "zb", "wdname": "指标"}]
            + (
                [{"nodes": [{"cname": n, "code": c, "unit": ""} for c, n in times.items()], "wdcode": "sj", "wdname": "时间"}]
                if times
                else []
            ),
        },
    }


# 5. Data-query responses: yearly regional figures (one year without data), and quarterly cumulative growth.
EASYQUERY_YEARLY = Fixture(
    name="easyquery-zj-gdp",
    suffix=".json",
    response=easyquery_response(
        [
            ("A020101", "2021", "330000", 73516.0, 0),
            ("A020101", "2020", "330000", 64613.0, 0),
            ("A020101", "2019", "330000", None, 0),
        ],
        {"A020101": ("地区生产总值", "亿元")},
    ),
    layout=f"""layout: 1
format: easyquery
files: [observations/easyquery-zj-*.json]
indicators:
  A020101: {{indicator_code: GDP, unit: 亿元, name: 地区生产总值}}
fixed: {{source_id: {SOURCE}}}
""",
    long=_long(
        [
            f"330000,GDP,2021,73516,亿元,level,normal,,73516,{SOURCE},,returndata.datanodes[0] (zb.A020101_sj.2021_reg.330000)",
            f"330000,GDP,2020,64613,亿元,level,normal,,64613,{SOURCE},,returndata.datanodes[1] (zb.A020101_sj.2020_reg.330000)",
        ]
    ),
)

EASYQUERY_QUARTERLY = Fixture(
    name="easyquery-qz-growth",
    suffix=".json",
    response=easyquery_response(
        [("A010102", f"2023{q}", "", v, 1) for q, v in (("A", 6.1), ("B", 6.5), ("C", 6.8), ("D", 6.4))],  # cumulative
        {"A010102": ("地区生产总值累计增长", "%")},
    ),
    layout=f"""layout: 1
format: easyquery
files: [observations/easyquery-qz-growth.json]
cumulative: true
indicators:
  A010102: {{indicator_code: GDP_GROWTH, unit: "%"}}
fixed: {{region_code: "330800", source_id: {SOURCE}}}
""",
    long=_long(
        [
            f"330800,GDP_GROWTH,{p},{v},%,avg_annual_growth,normal,,{v},{SOURCE},,returndata.datanodes[{i}] (zb.A010102_sj.2023{q})"
            for i, (q, p, v) in enumerate(
                (("A", "2023Q1", "6.1"), ("B", "2023H1", "6.5"), ("C", "2023M01-09", "6.8"), ("D", "2023", "6.4"))
            )
        ]
    ),
)

# 6. The national data service's downloads as they come (.xls, Chinese file names, title rows above the header, notes
# and 数据来源 under the table): regions × years (分省年度数据), 当季值 / 累计值 rows × quarters (季度数据), 同比 /
# 累计增长 rows × months (月度数据). Regions the catalogue does not have are passed over (partial: true).
NBS_PROVINCES = Fixture(
    name="分省年度数据",
    suffix=".xls",
    sheet=Sheet(
        "分省年度数据",
        {
            "A1": "数据库：分省年度数据",
            "A2": "指标：地区生产总值(亿元)",
            "A3": "时间：最近3年",
            "A4": "地区",
            "B4": "2022年",
            "C4": "2021年",
            "D4": "2020年",
            "A5": "北京市",
            "B5": 41610.9,
            "C5": 40269.6,
            "D5": 35943.3,
            "A6": "浙江省",
            "B6": 77715.4,
            "C6": 73515.8,
            "D6": 64613.3,
            "A7": "江苏省",
            "B7": 122875.6,
            "C7": 116364.2,
            "A8": "注：本表按当年价格计算。",
            "A9": "数据来源：国家统计局",
        },
    ),
    layout=f"""layout: 1
files: [observations/分省年度数据*.xls]
sheet: 分省年度数据
dialect: {{headerRows: [4]}}
rows: {{first: 5, label: A, means: region}}
columns:
  "B:": {{indicator_code: GDP, unit: 亿元}}
partial: true
fixed: {{source_id: {SOURCE}}}
""",
    long=_long(
        [
            f"330000,GDP,2022,77715.4,亿元,level,normal,,77715.4,{SOURCE},,分省年度数据!B6",
            f"330000,GDP,2021,73515.8,亿元,level,normal,,73515.8,{SOURCE},,分省年度数据!C6",
            f"330000,GDP,2020,64613.3,亿元,level,normal,,64613.3,{SOURCE},,分省年度数据!D6",
        ]
    ),
)

NBS_QUARTERS = Fixture(
    name="季度数据-zj-gdp-2023",
    suffix=".xls",
    sheet=Sheet(
        "季度数据",
        {
            "A1": "数据库：季度数据",
            "A2": "时间：最近4季度",
            "A3": "指标",
            "B3": "2023年第四季度",
            "C3": "2023年第三季度",
            "D3": "2023年第二季度",
            "E3": "2023年第一季度",
            "A4": "地区生产总值当季值(亿元)",
            "B4": 22000.1,
            "C4": 20000.2,
            "D4": 19500.3,
            "E4": 18000.4,
            "A5": "地区生产总值累计值(亿元)",
            "B5": 79501.2,
            "C5": 57500.9,
            "D5": 37500.7,
            "E5": 18000.4,
            "A6": "注：1.地区生产总值按现价计算。",
            "A7": "数据来源：测试数据",
        },
    ),
    layout=f"""layout: 1
files: [observations/季度数据-*.xls]
dialect: {{headerRows: [3]}}
rows: {{first: 4, label: A, means: indicator, year_to_date: ["*累计值*"]}}
columns:
  "B:": {{}}
labels: {{地区生产总值当季值(亿元): GDP, 地区生产总值累计值(亿元): GDP}}
fixed: {{region_code: "330000", unit: 亿元, source_id: {SOURCE}}}
""",
    long=_long(
        [
            f"330000,GDP,2023Q4,22000.1,亿元,level,normal,,22000.1,{SOURCE},,季度数据!B4",
            f"330000,GDP,2023Q3,20000.2,亿元,level,normal,,20000.2,{SOURCE},,季度数据!C4",
            f"330000,GDP,2023Q2,19500.3,亿元,level,normal,,19500.3,{SOURCE},,季度数据!D4",
            f"330000,GDP,2023Q1,18000.4,亿元,level,normal,,18000.4,{SOURCE},,季度数据!E4",
            f"330000,GDP,2023,79501.2,亿元,level,normal,,79501.2,{SOURCE},,季度数据!B5",  # Q4's 累计值: the year
            f"330000,GDP,2023M01-09,57500.9,亿元,level,normal,,57500.9,{SOURCE},,季度数据!C5",
            f"330000,GDP,2023H1,37500.7,亿元,level,normal,,37500.7,{SOURCE},,季度数据!D5",
            # Q1's 累计值 is Q1's own figure (E4): kept once
        ]
    ),
)

NBS_MONTHS = Fixture(
    name="月度数据-zj-industry-2023",
    suffix=".xls",
    sheet=Sheet(
        "月度数据",
        {
            "A1": "数据库：月度数据",
            "A2": "时间：最近3个月",
            "A3": "指标",
            "B3": "2023年12月",
            "C3": "2023年11月",
            "D3": "2023年2月",
            "A4": "规模以上工业增加值同比增长(%)",
            "B4": 6.8,
            "C4": 6.6,
            "A5": "规模以上工业增加值累计增长(%)",
            "B5": 4.6,
            "C5": 4.3,
            "D5": 2.4,
            "A6": "注：1-2月份数据一起调查，一起发布。",
            "A7": "数据来源：测试数据",
        },
    ),
    layout=f"""layout: 1
files: [observations/月度数据-*.xls]
dialect: {{headerRows: [3]}}
rows: {{first: 4, label: A, means: indicator, year_to_date: ["*累计增长*"]}}
columns:
  "B:D": {{unit: "%"}}
labels: {{规模以上工业增加值同比增长(%): IND_VA_GROWTH, 规模以上工业增加值累计增长(%): IND_VA_GROWTH}}
fixed: {{region_code: "330000", source_id: {SOURCE}}}
""",
    long=_long(
        [
            f"330000,IND_VA_GROWTH,2023M12,6.8,%,avg_annual_growth,normal,,6.8,{SOURCE},,月度数据!B4",
            f"330000,IND_VA_GROWTH,2023M11,6.6,%,avg_annual_growth,normal,,6.6,{SOURCE},,月度数据!C4",
            f"330000,IND_VA_GROWTH,2023,4.6,%,avg_annual_growth,normal,,4.6,{SOURCE},,月度数据!B5",  # 12月's 累计: the year
            f"330000,IND_VA_GROWTH,2023M01-11,4.3,%,avg_annual_growth,normal,,4.3,{SOURCE},,月度数据!C5",
            f"330000,IND_VA_GROWTH,2023M01-02,2.4,%,avg_annual_growth,normal,,2.4,{SOURCE},,月度数据!D5",
        ]
    ),
)

# 7. A monthly data-query response as the service answers it: 累计值 and 累计增长 codes (from January), a 当期值 code
# (the month alone), a code the layout does not name (passed over: partial), a month without data.
EASYQUERY_MONTHLY = Fixture(
    name="easyquery-house-zj-2023",
    suffix=".json",
    response=easyquery_response(
        [
            ("A060101", "202309", "", 9800.55, 2),
            ("A060101", "202308", "", None, 2),
            ("A060102", "202309", "", -5.1, 1),
            ("A060103", "202309", "", 6800.12, 2),
            ("A060105", "202309", "", 1100.25, 2),
        ],
        {
            "A060101": ("房地产投资_累计值", "亿元"),
            "A060102": ("房地产投资_累计增长", "%"),
            "A060103": ("房地产住宅投资_累计值", "亿元"),
            "A060105": ("房地产投资_当期值", "亿元"),
        },
        {"202309": "2023年9月", "202308": "2023年8月"},
    ),
    layout=f"""layout: 1
format: easyquery
files: [observations/easyquery-house-*.json]
cumulative: true
partial: true
indicators:
  A060101: {{indicator_code: RE_INVEST, unit: 亿元}}
  A060102: {{indicator_code: RE_INVEST_GROWTH, unit: "%"}}
  A060105: {{indicator_code: RE_INVEST, unit: 亿元, cumulative: false}}
fixed: {{region_code: "330000", source_id: {SOURCE}}}
""",
    long=_long(
        [
            f"330000,RE_INVEST,2023M01-09,9800.55,亿元,level,normal,,9800.55,{SOURCE},,returndata.datanodes[0] (zb.A060101_sj.202309)",
            f"330000,RE_INVEST_GROWTH,2023M01-09,-5.1,%,avg_annual_growth,normal,,-5.1,{SOURCE},,returndata.datanodes[2] (zb.A060102_sj.202309)",
            f"330000,RE_INVEST,2023M09,1100.25,亿元,level,normal,,1100.25,{SOURCE},,returndata.datanodes[4] (zb.A060105_sj.202309)",
        ]
    ),
)

FIXTURES = (
    REGIONS_BY_INDICATORS,
    INDICATORS_BY_YEARS,
    TWO_LEVEL_HEADER,
    QUARTERLY_YTD,
    EASYQUERY_YEARLY,
    EASYQUERY_QUARTERLY,
    NBS_PROVINCES,
    NBS_QUARTERS,
    NBS_MONTHS,
    EASYQUERY_MONTHLY,
)
