"""What a workbook must be before any XML parser sees it: a bounded zip of XML parts without DTDs.

An .xlsx is a zip of XML files. A hostile or broken one can declare entities (a "billion laughs" expansion, an
external entity naming a local file), inflate a few megabytes into gigabytes, or not be a workbook at all (a CSV
renamed .xlsx, a password-protected file, which Excel saves as an OLE2 container). Each is refused here, from
the bytes already read, with a reason a steward can act on. openpyxl parses with defusedxml as well (installed
with the project), so an entity that slipped past this scan would still be refused by the parser.

Pure: no Dagster, no DuckDB.
"""

from __future__ import annotations

import io
import zipfile

# Limits, documented in docs/quality-rules.md. A yearbook sheet of 100,000 cells is ~10 MB of XML and compresses
# 5-20×; a table that needs more than this is not a workbook a bureau publishes.
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024  # all parts together, as inflated
MAX_COMPRESSION_RATIO = 100  # inflated / compressed, for any part over RATIO_CHECKED_FROM
RATIO_CHECKED_FROM = 1024 * 1024  # small parts (styles, an empty sheet) can compress far better, harmlessly
MAX_PARTS = 10_000
MAX_LEGACY_BYTES = 64 * 1024 * 1024  # an .xls of a bureau's table is well under 10 MB
MAX_LEGACY_CELLS = 2_000_000  # rows × columns of the sheet's used range, checked before a cell is read

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 .xls, and any encrypted Office file
ZIP_MAGIC = b"PK\x03\x04"
# A DTD is where entities are declared: a workbook's XML never needs one. Looked for in the encodings XML allows
# without a declaration (UTF-8, UTF-16 either way round).
_DTD_MARKERS = tuple(
    marker.encode(encoding) for marker in ("<!DOCTYPE", "<!ENTITY") for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)
_SCAN_CHUNK = 1 << 20


class WorkbookRefused(Exception):
    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule


def _encrypted(data: bytes) -> WorkbookRefused | None:
    """An Office file saved with a password is an OLE2 container holding an EncryptionInfo stream."""
    if "EncryptionInfo".encode("utf-16-le") not in data:
        return None
    return WorkbookRefused(
        "xlsx_encrypted",
        "the workbook is password-protected (encrypted): remove the password in Excel "
        "(File › Info › Protect Workbook) and save it again",
    )


def _not_a_zip(data: bytes) -> WorkbookRefused:
    if data.startswith(OLE2_MAGIC):
        if refused := _encrypted(data):
            return refused
        return WorkbookRefused(
            "xlsx_legacy", "this is an Excel 97-2003 workbook (.xls) under an .xlsx name: open it in Excel and save as .xlsx"
        )
    head = data[:4096]
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = head.decode("gb18030")
        except UnicodeDecodeError:
            text = ""
    if text and "," in text and "\x00" not in text:
        return WorkbookRefused("xlsx_renamed", "this is a CSV text file named .xlsx: rename it to .csv")
    return WorkbookRefused("xlsx", "not an XLSX workbook (an .xlsx file is a zip archive; this one is not)")


def check_workbook(data: bytes) -> None:
    """Raises WorkbookRefused unless the workbook is safe to hand to a parser."""
    if not data.startswith(ZIP_MAGIC):
        raise _not_a_zip(data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise WorkbookRefused("xlsx", f"the workbook's zip archive is damaged or truncated ({exc})") from None
    if len(parts) > MAX_PARTS:
        raise WorkbookRefused("xlsx_too_large", f"the workbook has {len(parts):,} parts (limit {MAX_PARTS:,})")
    # zipfile never inflates a part beyond its declared size, so the declared sizes bound what a parser can get.
    inflated = sum(p.file_size for p in parts)
    if inflated > MAX_UNCOMPRESSED_BYTES:
        raise WorkbookRefused(
            "xlsx_too_large",
            f"the workbook inflates to {inflated / 2**20:,.0f} MiB (limit {MAX_UNCOMPRESSED_BYTES / 2**20:,.0f} MiB): "
            "split the table or publish it as CSV",
        )
    for part in parts:
        if part.file_size > RATIO_CHECKED_FROM and part.file_size > MAX_COMPRESSION_RATIO * max(part.compress_size, 1):
            raise WorkbookRefused(
                "xlsx_zip_bomb",
                f"part {part.filename[:60]!r} inflates {part.file_size / max(part.compress_size, 1):,.0f}× "
                f"(limit {MAX_COMPRESSION_RATIO}×): not a table of figures",
            )
        if part.flag_bits & 0x1:
            raise WorkbookRefused(
                "xlsx_encrypted", f"part {part.filename[:60]!r} is encrypted: save the workbook without a password"
            )
    for part in parts:
        if part.filename.lower().endswith((".xml", ".rels", ".vml")):
            _refuse_dtd(archive, part)


def _refuse_dtd(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> None:
    tail = b""
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(_SCAN_CHUNK):
                window = tail + chunk
                if any(marker in window for marker in _DTD_MARKERS):
                    raise WorkbookRefused(
                        "xlsx_xml_entities",
                        f"part {part.filename[:60]!r} declares a DTD or entities (<!DOCTYPE/<!ENTITY): "
                        "workbooks never need them and they are refused (entity expansion, external files)",
                    )
                tail = window[-32:]
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as exc:  # bad CRC, truncated, unknown method
        raise WorkbookRefused("xlsx", f"part {part.filename[:60]!r} cannot be read ({exc})") from None


def check_legacy_workbook(data: bytes) -> None:
    """Raises WorkbookRefused unless `data` is an unencrypted Excel 97-2003 workbook of a bounded size. Web pages
    saved with an .xls name (some sites' "export to Excel") and XLSX workbooks named .xls are told apart."""
    if len(data) > MAX_LEGACY_BYTES:
        raise WorkbookRefused(
            "xlsx_too_large", f"the workbook is {len(data) / 2**20:,.0f} MiB (limit {MAX_LEGACY_BYTES / 2**20:,.0f} MiB)"
        )
    if data.startswith(ZIP_MAGIC):
        raise WorkbookRefused("xls_renamed", "this is an XLSX workbook named .xls: rename it to .xlsx")
    if not data.startswith(OLE2_MAGIC):
        head = data[:512].lstrip().lower()
        if head.startswith((b"<", b"\xef\xbb\xbf<")) and (b"<html" in data[:4096].lower() or b"<table" in data[:4096].lower()):
            raise WorkbookRefused(
                "xls_html", "this is a web page (HTML) saved with an .xls name: open it in Excel or LibreOffice and save as .xlsx"
            )
        raise WorkbookRefused("xls", "not an Excel 97-2003 workbook (.xls)")
    if refused := _encrypted(data):
        raise refused
