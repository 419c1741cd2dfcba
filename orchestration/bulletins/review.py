"""The review file: candidates a steward decides on, and the observation file the accepted ones become.

A review file is the candidates CSV (the eleven observation columns, sentence, span_start, span_end, confidence)
with two more columns: `candidate_id` (the sentence, the span and the proposed indicator, hashed: a proposal's
identity across re-runs) and `decision`, which the steward fills:

- `accept`: the candidate is right as proposed;
- `correct`: the steward edited its observation columns (value, unit, period, indicator, region…) in the row;
- `reject`: not a figure to load;
- `add`: a row the steward typed in for a figure the extractor missed (kept on every re-run);
- blank: not decided yet.

Re-running the extractor keeps every decision whose candidate_id it proposes again (the sentence did not change),
and every `add` row. `python -m orchestration.commands.extract_review` writes the accepted, corrected and added rows as an
observation file in raw/observations/, `as_published` the exact span and the sentence in the note, where every rule
of the ingest applies. Pure: no Dagster, no DuckDB.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from pathlib import Path

from orchestration.bulletins.text import Candidate
from orchestration.domain.families import OBSERVATIONS
from orchestration.domain.spreadsheet_cells import as_text_cell, from_text_cell
from orchestration.store.files import write_text_atomically

OBSERVATION_COLUMNS = [
    c.name for c in OBSERVATIONS.columns if c.name != "source_cell"
]  # a long file's, parts and confidentiality included
CANDIDATE_COLUMNS = [*OBSERVATION_COLUMNS, "sentence", "span_start", "span_end", "confidence", "candidate_id", "decision"]
DECISIONS = ("accept", "correct", "reject", "add")
PUBLISHED = ("accept", "correct", "add")
REVIEWS_FOLDER = "reviews"  # raw/reviews/: review files, read by the quality report, never loaded themselves


class ReviewError(ValueError):
    pass


IDENTITY = ("sentence", "as_published", "indicator_code", "period", "value")  # what a candidate_id is made of


def candidate_id(candidate: Candidate | dict[str, str]) -> str:
    """The proposal's identity: its sentence, span text and what was proposed (the same for an unchanged sentence).
    Of a review row too: an `accept` row whose columns no longer give its id was edited after it was proposed."""
    row = candidate if isinstance(candidate, dict) else candidate.row()
    key = "\x1f".join(str(row.get(column) or "") for column in IDENTITY)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = [{k: from_text_cell(v) if isinstance(v, str) else v for k, v in row.items()} for row in csv.DictReader(handle)]
    for number, row in enumerate(rows, start=2):
        decision = (row.get("decision") or "").strip().lower()
        if decision and decision not in DECISIONS:
            raise ReviewError(
                f"{path}, line {number}, column decision: {decision!r} is not one of {', '.join(DECISIONS)} or blank"
            )
        row["decision"] = decision
    return rows


def merge(candidates: list[Candidate], previous: list[dict[str, str]]) -> list[dict[str, object]]:
    """The new candidates with the decisions (and corrections) of the previous review file kept where the same
    candidate is proposed again; the steward's own `add` rows are kept as they are."""
    decided = {row["candidate_id"]: row for row in previous if row.get("candidate_id") and row["decision"]}
    out: list[dict[str, object]] = []
    for candidate in candidates:
        row: dict[str, object] = {**candidate.row(), "candidate_id": candidate_id(candidate), "decision": ""}
        before = decided.get(str(row["candidate_id"]))
        if before:
            row["decision"] = before["decision"]
            if before["decision"] == "correct":
                row.update({c: before.get(c, "") for c in OBSERVATION_COLUMNS})
        out.append(row)
    out += [dict(row) for row in previous if row["decision"] == "add"]
    return out


def write_rows(
    path: Path, rows: list[dict[str, object]], columns: list[str] = CANDIDATE_COLUMNS, for_steward: bool = True
) -> None:
    """Written beside, then moved into place: a refresh or a spreadsheet never sees half a file. A file a steward
    opens in a spreadsheet (`for_steward`) keeps every formula-like cell as text (a sentence starting with =, +, @);
    an observation file is data, whose own rules refuse such a cell naming it."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: as_text_cell(v) for k, v in row.items()} for row in rows) if for_steward else writer.writerows(rows)
    write_text_atomically(path, buffer.getvalue())


def tally(rows: list[dict[str, str]]) -> dict[str, int]:
    counts = Counter(row["decision"] or "undecided" for row in rows)
    proposed = sum(1 for row in rows if row["decision"] != "add")
    return {
        "proposed": proposed,
        "accepted": counts["accept"],
        "corrected": counts["correct"],
        "rejected": counts["reject"],
        "added": counts["add"],
        "undecided": counts["undecided"],
    }


def tally_folder(raw: Path) -> list[dict[str, object]]:
    """Per review file of raw/reviews/ (one per source text): its source and its decision counts, for the report."""
    out = []
    for path in sorted((raw / REVIEWS_FOLDER).glob("*.csv")) if (raw / REVIEWS_FOLDER).is_dir() else []:
        try:
            rows = read_rows(path)
        except (ReviewError, OSError, UnicodeDecodeError, csv.Error) as exc:
            out.append({"file": path.name, "source_id": "", "error": str(exc)})
            continue
        sources = sorted({row.get("source_id", "") for row in rows} - {""})
        out.append({"file": path.name, "source_id": ", ".join(sources), **tally(rows)})
    return out


def observations(rows: list[dict[str, str]], allow_undecided: bool = False) -> list[dict[str, str]]:
    """The observation rows of the accepted, corrected and added figures."""
    undecided = [i for i, row in enumerate(rows, start=2) if not row["decision"]]
    if undecided and not allow_undecided:
        shown = ", ".join(map(str, undecided[:10])) + (" …" if len(undecided) > 10 else "")
        raise ReviewError(
            f"{len(undecided)} candidate(s) not decided yet (lines {shown}): decide each, or pass --allow-undecided"
        )
    seen: dict[tuple[str, str, str], int] = {}
    for number, row in enumerate(rows, start=2):
        if row["decision"] == "accept" and row.get("candidate_id") and candidate_id(row) != row["candidate_id"]:
            raise ReviewError(
                f"line {number} is accepted as proposed, but its {', '.join(IDENTITY[1:])} or sentence changed since: "
                "mark an edited row `correct` (and check it against its sentence), or re-run the extractor"
            )
        if row["decision"] in PUBLISHED:
            key = (row.get("region_code", ""), row.get("indicator_code", ""), row.get("period", ""))
            if key in seen:
                raise ReviewError(
                    f"lines {seen[key]} and {number} both publish {' · '.join(key)}: one file gives a figure once; "
                    "reject one of them (the same figure said twice in the text)"
                )
            seen[key] = number
    out = []
    for row in rows:
        if row["decision"] not in PUBLISHED:
            continue
        figure = {c: (row.get(c) or "").strip() for c in OBSERVATION_COLUMNS}
        sentence = (row.get("sentence") or "").strip()
        if sentence and sentence not in figure["note"]:
            figure["note"] = f"{figure['note']} | {sentence}" if figure["note"] else sentence
        out.append(figure)
    return out
