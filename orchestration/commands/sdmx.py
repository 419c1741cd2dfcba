"""`python -m orchestration.commands.sdmx` (or `make sdmx`): write the SDMX files of a data folder's serving copy.

    make sdmx                                   what is served now
    make sdmx AS_OF=2026-12-01T09:00            exactly what was served at that time
    make sdmx UPDATED_AFTER=2026-12-01T09:00    what changed since: A new rows, R revisions, D withdrawals
    make sdmx LABELS=zh                         codes with their Chinese (or en: English) names beside them

Reads the history the current release carries (serving/current/sdmx/history/), never the writer's warehouse, so it
runs while a refresh writes. Writes the structure message and one SDMX-CSV 2.0 file per dataflow into OUT (default
<data>/exports/sdmx), checks them (XSDs, codelists; --read-back: through pysdmx too) and prints what it wrote.
A time without a zone is UTC. docs/sdmx.md says what the files hold.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration import settings
from orchestration.publish.serving import serving_root
from orchestration.sdmx import check, export, ledger, vocabularies
from orchestration.sdmx.flows import FLOWS
from orchestration.store.sql_text import string_literal


def _time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time (2026-12-01T09:00, 2026-12-01T09:00+08:00): {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def write(
    release_sdmx: Path, out: Path, as_of: datetime | None, since: datetime | None, language: str | None
) -> list[export.Written]:
    """Write the requested state or changes of every dataflow from a release's SDMX history into `out`."""
    history = release_sdmx / export.HISTORY_FOLDER
    structures = f"read_parquet({string_literal(str(history / export.STRUCTURES_HISTORY))})"
    export.copy_structure(release_sdmx, out)
    written = []
    with duckdb.connect(config=settings.duckdb_config()) as con:
        names = None
        if language:
            codes, names = check.structure_names(release_sdmx / export.STRUCTURE_FILE, language)
            con.execute("create temporary table sdmx_labels (codelist varchar, code varchar, label varchar)")
            con.executemany("insert into sdmx_labels values (?, ?, ?)", codes)
        for flow in FLOWS:
            table = f"read_parquet({string_literal(str(history / export.history_file(flow)))})"
            version = ledger.version_at(con, flow.dataflow_id, as_of, structures)
            structure_id = f"{vocabularies.AGENCY_ID}:{flow.dataflow_id}({version})"
            labels = {c: names.get(c, c) for c in flow.columns} if names is not None else None
            if since is None:
                written.append(export.write_state(con, flow, table, structure_id, as_of, out / export.data_file(flow), labels))
            else:
                path = out / export.data_file(flow).replace(".csv", ".changes.csv")
                written.append(export.write_changes(con, flow, table, structure_id, since, as_of, path, labels))
    return written


def _by_action(path: Path) -> list[str]:
    """The file as one SDMX-CSV text per ACTION: pysdmx reads a dataset of one action (SDMX-CSV allows one per row)."""
    with path.open(encoding="utf-8", newline="") as f:
        header, *rows = list(csv.reader(f))
    groups: dict[str, list[list[str]]] = {}
    for row in rows:
        groups.setdefault(row[header.index("ACTION")], []).append(row)
    texts = []
    for group in groups.values():
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows([header, *group])
        texts.append(text.getvalue())
    return texts


def read_back(out: Path, written: list[export.Written]) -> list[str]:
    """Each file read by pysdmx with the structure message: its row count must be what was written."""
    from pysdmx.io import get_datasets  # pandas-backed reader: only when asked

    problems = []
    for file in written:
        datasets = [d for text in _by_action(file.path) for d in get_datasets(text, out / export.STRUCTURE_FILE)]
        read = sum(len(d.data) for d in datasets)
        if read != file.rows:
            problems.append(f"{file.path.name}: pysdmx read {read} rows, {file.rows} were written")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="the data folder (default QZ_DATA_DIR or ./data)")
    parser.add_argument("--out", type=Path, default=None, help="where to write (default <data>/exports/sdmx)")
    parser.add_argument("--as-of", type=_time, default=None, help="write what was served at this time")
    parser.add_argument("--updated-after", type=_time, default=None, help="write what changed after this time")
    parser.add_argument("--labels", choices=export.LABEL_LANGUAGES, default=None, help="add code names in this language")
    parser.add_argument("--read-back", action="store_true", help="read every file back through pysdmx too")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or settings.data_dir()
    release_sdmx = serving_root(data_dir) / "current" / export.SDMX_FOLDER
    if not (release_sdmx / export.HISTORY_FOLDER).is_dir():
        print(
            f"no SDMX history in {release_sdmx}: no release yet, one from before SDMX, or its files were removed "
            "(`make verify` names them); the next `make run` writes them",
            file=sys.stderr,
        )
        return 1
    out = args.out or data_dir / "exports" / "sdmx"
    written = write(release_sdmx, out, args.as_of, args.updated_after, args.labels)
    problems = [] if args.labels else check.folder_problems(out, export.STRUCTURE_FILE, {w.flow: w.path.name for w in written})
    if args.read_back and not problems:
        problems += read_back(out, written)
    what = (
        f"changes after {args.updated_after.isoformat()}" + (f" until {args.as_of.isoformat()}" if args.as_of else "")
        if args.updated_after
        else f"as served at {args.as_of.isoformat()}"
        if args.as_of
        else "as served now"
    )
    print(f"SDMX {what}, in {out}:")
    print(f"  {export.STRUCTURE_FILE}  (structure message, SDMX-ML 3.0)")
    for file in written:
        print(f"  {file.path.name}  {file.rows} rows")
    for problem in problems:
        print(f"  problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
