"""Workbooks as an attacker makes them: entity expansion, external entities, zip bombs, files that only look like
workbooks. Each is quarantined with a reason, on its own; the good files beside it load."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import write_obs
from test_hostile_files import workbook
from test_ingest import SRC, ingest_all

from orchestration.read import workbook_guard
from orchestration.store.warehouse import Warehouse

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>"
)
XXE_GENERAL = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
XXE_PARAMETER = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>'


def rewrite(book: Path, member: str, transform) -> Path:
    """The workbook with one part replaced by transform(its text)."""
    with zipfile.ZipFile(book) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts[member] = transform(parts[member].decode("utf-8"))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    book.write_bytes(out.getvalue())
    return book


def with_dtd(dtd: str, encoding: str = "utf-8"):
    """Put a DTD in front of a part's root element (after its XML declaration, which names the encoding)."""

    def transform(text: str) -> bytes:
        body = text.split("?>", 1)[1] if text.startswith("<?xml") else text
        declaration = f'<?xml version="1.0" encoding="{encoding}"?>'
        return (declaration + dtd.split("?>", 1)[1] + body).encode(encoding)

    return transform


def good_files(raw: Path) -> None:
    write_obs(raw, "good.csv", f"330800,URBANISATION,2021,58.1,%,level,normal,exact,58.1%,{SRC},")


def ingest_with(raw: Path, tmp_path: Path, name: str, data: bytes):
    (raw / "observations" / name).write_bytes(data)
    good_files(raw)
    outcomes = ingest_all(raw, Warehouse(tmp_path / "data"))
    assert (outcomes["observations/good.csv"].status, outcomes["observations/good.csv"].rows) == ("loaded", 1)
    return outcomes[f"observations/{name}"]


@pytest.mark.parametrize(
    ("member", "dtd", "encoding"),
    [
        ("xl/worksheets/sheet1.xml", BILLION_LAUGHS, "utf-8"),
        ("xl/workbook.xml", XXE_GENERAL, "utf-8"),
        ("[Content_Types].xml", XXE_PARAMETER, "utf-8"),
        ("xl/worksheets/sheet1.xml", XXE_GENERAL, "utf-16"),  # the scan reads UTF-16 parts too
    ],
)
def test_entity_declarations_in_any_part_quarantine_the_workbook_alone(raw_copy, tmp_path, member, dtd, encoding):
    book = rewrite(workbook(tmp_path / "book.xlsx"), member, with_dtd(dtd, encoding))
    outcome = ingest_with(raw_copy, tmp_path, "book.xlsx", book.read_bytes())
    assert outcome.status == "quarantined"
    assert [(i.rule, member in i.message) for i in outcome.issues] == [("xlsx_xml_entities", True)]


def test_the_parser_refuses_entities_too_behind_the_scan(tmp_path):
    """defusedxml is installed, so openpyxl's own parsing refuses what a gap in the scan would let through."""
    assert openpyxl.DEFUSEDXML is True
    book = rewrite(workbook(tmp_path / "book.xlsx"), "xl/worksheets/sheet1.xml", with_dtd(BILLION_LAUGHS))
    with pytest.raises(Exception, match=r"(?i)entit"):
        openpyxl.load_workbook(book)


def test_a_part_that_inflates_too_far_is_refused_before_it_is_parsed(raw_copy, tmp_path):
    def bomb(text: str) -> bytes:  # 8 MB of one repeated cell: inflates ~1,000×
        return text.replace(
            "</sheetData>", "<row r='9'>" + "<c t='inlineStr'><is><t>0</t></is></c>" * 200_000 + "</row></sheetData>"
        ).encode()

    book = rewrite(workbook(tmp_path / "bomb.xlsx"), "xl/worksheets/sheet1.xml", bomb)
    outcome = ingest_with(raw_copy, tmp_path, "bomb.xlsx", book.read_bytes())
    assert [(i.rule, "sheet1.xml" in i.message) for i in outcome.issues] == [("xlsx_zip_bomb", True)]


def test_a_workbook_larger_than_the_limit_is_refused(raw_copy, tmp_path, monkeypatch):
    monkeypatch.setattr(workbook_guard, "MAX_UNCOMPRESSED_BYTES", 4096)
    outcome = ingest_with(raw_copy, tmp_path, "big.xlsx", workbook(tmp_path / "big.xlsx").read_bytes())
    assert [(i.rule, "limit" in i.message) for i in outcome.issues] == [("xlsx_too_large", True)]


@pytest.mark.parametrize(
    ("data", "rule", "words"),
    [
        (
            workbook_guard.OLE2_MAGIC + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 512,
            "xlsx_encrypted",
            "password-protected",
        ),
        (workbook_guard.OLE2_MAGIC + b"\0" * 1024, "xlsx_legacy", "save as .xlsx"),
        (b"region_code,indicator_code,period\n330800,GDP,2021\n", "xlsx_renamed", "rename it to .csv"),
        (b"PK\x03\x04" + b"\x00" * 40, "xlsx", "damaged or truncated"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "xlsx", "not an XLSX workbook"),
    ],
)
def test_files_that_only_look_like_workbooks_say_what_they_are(raw_copy, tmp_path, data, rule, words):
    outcome = ingest_with(raw_copy, tmp_path, "look.xlsx", data)
    assert [(i.rule, words in i.message) for i in outcome.issues] == [(rule, True)]


def test_a_truncated_workbook_is_refused(raw_copy, tmp_path):
    data = workbook(tmp_path / "cut.xlsx").read_bytes()
    outcome = ingest_with(raw_copy, tmp_path, "cut.xlsx", data[: len(data) // 2])
    assert [i.rule for i in outcome.issues] == ["xlsx"]


def test_any_exception_while_reading_or_validating_one_file_quarantines_that_file(raw_copy, tmp_path, monkeypatch):
    """A parser's or validator's surprise is the file's problem: quarantined with the error, the family goes on."""
    from orchestration.read import reading
    from orchestration.reconcile import family as loop

    parse_rows = reading._parse_rows

    def parse_or_explode(family, header, rows, file, units, columnar=True):
        if file.endswith("explodes-reading.csv"):
            raise RecursionError("maximum recursion depth exceeded")
        return parse_rows(family, header, rows, file, units, columnar)

    validate = loop.validate_files

    def validate_or_explode(family, catalogue, frames, docs_dir=None):
        if any(name.endswith("explodes-validating.csv") for name in frames):
            raise ValueError("GX could not build a metric")
        return validate(family, catalogue, frames, docs_dir=docs_dir)

    monkeypatch.setattr(reading, "_parse_rows", parse_or_explode)
    monkeypatch.setattr(loop, "validate_files", validate_or_explode)
    row = f"330800,URBANISATION,2021,58.1,%,level,normal,exact,58.1%,{SRC},"
    write_obs(raw_copy, "explodes-reading.csv", row)
    write_obs(raw_copy, "explodes-validating.csv", row.replace("330800", "330801"))
    good_files(raw_copy)
    outcomes = ingest_all(raw_copy, Warehouse(tmp_path / "data"))
    reading_issue = outcomes["observations/explodes-reading.csv"].issues
    validating_issue = outcomes["observations/explodes-validating.csv"].issues
    assert [(i.rule, "RecursionError" in i.message) for i in reading_issue] == [("read_error", True)]
    assert [(i.rule, "GX could not build a metric" in i.message) for i in validating_issue] == [("validation_error", True)]
    assert outcomes["observations/good.csv"].status == "loaded"
    assert {o.status for p, o in outcomes.items() if "explodes" not in p} == {"loaded"}
