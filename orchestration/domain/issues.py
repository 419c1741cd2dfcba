"""One reason a file cannot be committed, as ingest finds it and the store keeps it, and how much of untrusted
text either may show."""

from __future__ import annotations

from dataclasses import dataclass

ROW_COLUMN = "_row"  # line number in the file (header = line 1); row number in a sheet
EXCERPT_CHARS = 60  # of a refused cell shown in messages, audit tables and reports
MESSAGE_CHARS = 400  # messages quote cells (parse errors): bounded too


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A short, printable excerpt of untrusted text: control characters escaped, long text cut."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[: limit * 2])
    return shown if len(shown) <= limit else shown[:limit] + "…"


@dataclass(frozen=True)
class Issue:
    """One reason a file cannot be committed, in terms a steward can act on."""

    file: str
    row: int | None  # line in the file; None when the whole file is concerned
    column: str | None
    rule: str
    value: str | None  # an excerpt of the offending cell, never more of the file than that
    message: str

    def __post_init__(self) -> None:
        if self.value is not None:
            object.__setattr__(self, "value", excerpt(self.value))
        object.__setattr__(self, "message", excerpt(self.message, MESSAGE_CHARS))

    @property
    def is_cell(self) -> bool:
        """Read through a layout, a figure's place is a cell (表3-1!D5) or a JSON path, kept in `column`."""
        return self.row is None and bool(self.column) and ("!" in self.column or self.column.startswith("returndata"))

    def __str__(self) -> str:
        where = f"{self.file}" + (f", line {self.row}" if self.row else "")
        where += (f", cell {self.column}" if self.is_cell else f", column {self.column}") if self.column else ""
        shown = "" if self.value is None else f" (value {self.value!r})"
        return f"{where}: [{self.rule}] {self.message}{shown}"
