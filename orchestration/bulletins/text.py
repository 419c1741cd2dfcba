"""A text as the extractor reads it: its sentences (bounded, so that the work stays linear in the text), the context
it is read in (its source, region, period and the span it reviews), and a candidate figure proposed from it."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from orchestration.bulletins.periods import text_period


@dataclass
class Candidate:
    region_code: str
    indicator_code: str
    period: str
    value: str
    unit: str
    value_type: str
    obs_status: str
    qualifier: str
    as_published: str
    source_id: str
    note: str
    sentence: str
    span_start: int
    span_end: int
    confidence: str

    def row(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Context:
    source: str
    region: str
    period: str  # the period the text's figures describe, as the warehouse labels it: 2023, 2023Q1, 2023M01-09
    since: int | None  # the start of "从A到B" and of the decade the text reviews
    published: int | None  # the year of publication: 今年

    def __post_init__(self) -> None:
        object.__setattr__(self, "period", text_period(self.period))  # 2023 and 2023年前三季度 too

    @property
    def year(self) -> int:
        return int(self.period[:4])

    @property
    def annual(self) -> bool:
        return self.period == str(self.year)

    @property
    def now(self) -> str:
        """The period of a count or a practice said in the present (46类智能算法): a bulletin's year of publication,
        a release's own period."""
        return str(self.published) if self.annual and self.published else self.period


_BREAK = re.compile(r"[。！？!?；;]|\n[ \t\u3000]*\n")


# A bulletin's longest sentences run to ~130 characters. A "sentence" longer than this is a pasted table or a text
# without full stops: it is cut at clause marks, so that the work and the review file stay linear in the text (each
# candidate keeps its sentence).
MAX_SENTENCE_CHARS = 600
_CLAUSE_END = re.compile(r"[，,、：:\s]")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, the end after its full stop. A blank line ends a heading or a caption (a line
    without a comma), not a sentence a digitised page broke in two."""
    out, start = [], 0
    for m in _BREAK.finditer(text):
        if m.group().startswith("\n") and ("，" in text[start : m.start()] or "," in text[start : m.start()]):
            continue
        if text[start : m.end()].strip():
            out += _bounded(text, start, m.end())
        start = m.end()
    if text[start:].strip():
        out += _bounded(text, start, len(text))
    return out


def _bounded(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A sentence cut after its last clause mark before every MAX_SENTENCE_CHARS (or at the cap, if it has none)."""
    out = []
    while end - start > MAX_SENTENCE_CHARS:
        window = text[start : start + MAX_SENTENCE_CHARS]
        marks = [m.end() for m in _CLAUSE_END.finditer(window)]
        cut = start + (marks[-1] if marks and marks[-1] > MAX_SENTENCE_CHARS // 2 else MAX_SENTENCE_CHARS)
        out.append((start, cut))
        start = cut
    return [*out, (start, end)]
