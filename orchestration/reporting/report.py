"""The steward quality report: one static, self-contained HTML page per refresh, plus an index of them.

Reads the warehouse (audit, dq, marts, quality schemas) and writes <data>/reports/. No Dagster here.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from orchestration import settings
from orchestration.domain.rule_texts import RULE_TITLES
from orchestration.domain.spreadsheet_cells import as_text_cell
from orchestration.reporting import sections
from orchestration.reporting.charts import STATUS_COLOURS, format_number
from orchestration.store.files import write_text_atomically
from orchestration.store.retention import Retention
from orchestration.store.warehouse import Warehouse
from orchestration.validate.data_docs_history import read_manifest

# The bureau works in Beijing time whatever the server's zone (China has kept UTC+8 without DST since 1991).
BEIJING = timezone(timedelta(hours=8), "北京时间 UTC+8")
HISTORY_FILE = "history.json"
EXPORTS_DIR = "exports"  # <reports>/exports/<report name>/<list>.csv: every row of the page's capped lists
STATUS_LABELS = {
    "target_achieved": "已达标 target achieved",
    "substantial_progress": "进展显著 substantial progress",
    "moderate_progress": "进展一般 moderate progress",
    "limited_progress": "进展有限 limited progress",
    "deterioration": "退步 deterioration",
    "not_assessable": "无法评估 not assessable",
}


# The full lists behind the capped tables of a report page, as CSV files a spreadsheet opens (UTF-8 with a BOM).
EXPORTS = {
    "loads": sections.LOADS_SQL,
    "issues": sections.ISSUES_SQL,
    "figure_changes": sections.FIGURE_CHANGES_SQL,
    "expectations": sections.EXPECTATIONS_SQL,
}


def export(con, folder: Path, in_scope: str, scope: dict[str, Any]) -> dict[str, str]:
    """Write every export of one report into `folder`; a cell a spreadsheet would run as a formula is written with a
    leading apostrophe (shown as text). Returns name -> file name."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, sql in EXPORTS.items():
        cursor = con.execute(sql.format(in_scope=in_scope), scope)
        path = folder / f"{name}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([d[0] for d in cursor.description])
            while batch := cursor.fetchmany(10_000):
                writer.writerows([as_text_cell(v) for v in row] for row in batch)
        written[name] = path.name
    return written


def beijing(value: Any) -> str:
    """A timestamp as Beijing time with its zone; naive ones are the host's local time."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S") + " (UTC+8)"


@dataclass(frozen=True)
class ReportResult:
    path: Path
    index: Path
    summary_markdown: str
    counts: dict[str, int]


def gather(
    con,
    run_id: str,
    files_in_raw: Collection[str],
    ignored: list[str] | None = None,
    since_load_id: int | None = None,
    deferred: int = 0,
) -> dict[str, Any]:
    """Everything the report shows, read in one connection, a section at a time (sections.py).

    Loads are this run's and any committed after the last report (by a refresh that was killed before
    its report): nothing that reached the warehouse goes unreported. `files_in_raw` are the paths (relative to the
    raw folder) the families read now: a refused file counts as quarantined for as long as it is there.
    """
    scope = sections.Scope(run_id, since_load_id if since_load_id is not None else -1)
    focus, present = sections.report_regions(), set(files_in_raw)
    data: dict[str, Any] = {"ignored": ignored or [], "max_listed": sections.MAX_LISTED}
    for section in (
        sections.loads(con, scope),
        sections.still_quarantined(con, present),
        sections.figure_changes(con, scope),
        sections.expectations(con, scope),
        sections.conflicts(con),
        sections.issues(con, scope),
        sections.names(con),
        sections.revisions_and_anomalies(con),
        sections.publication_controls(con),
        sections.completeness(con, focus),
    ):
        data.update(section)
    data.update(sections.progress(con, focus, data["regions"]))
    data["counts"] = sections.counts(data, len(present), deferred)
    data["still_quarantined"] = data["still_quarantined"][: sections.MAX_LISTED]
    return data


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("orchestration.reporting", "templates"), autoescape=select_autoescape(["html", "j2"]))
    env.globals.update(status_labels=STATUS_LABELS, status_colours=STATUS_COLOURS, rule_titles=RULE_TITLES)
    env.filters["beijing"] = beijing
    env.filters["num"] = lambda v: "" if v is None else (format_number(v, 4) if isinstance(v, float) else f"{v:,}")
    return env


def _read_history(path: Path) -> list[dict[str, Any]]:
    """The list of earlier reports; a damaged history is set aside (kept for a person to look at), never fatal."""
    if not path.exists():
        return []
    try:
        history = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(history, list) and all(isinstance(h, dict) and "file" in h for h in history):
            return history
    except (ValueError, UnicodeDecodeError):
        pass
    path.replace(path.with_name(f"{path.stem}.damaged-{datetime.now():%Y%m%d-%H%M%S}.json"))
    return []


def reported_run_ids(data_dir: Path) -> set[str]:
    """The runs the newest report speaks for: the one that wrote it and the last that found nothing new since."""
    history = _read_history(settings.reports_dir(data_dir) / HISTORY_FILE)
    return {history[0].get("run_id"), history[0].get("last_rechecked_run_id")} - {None} if history else set()


WARNING_COUNTS = ("quarantined", "held", "deferred", "withdrawn", "figures_withdrawn", "conflicts")


def prune_reports(out: Path, history: list[dict[str, Any]], retention: Retention, now: datetime) -> list[dict[str, Any]]:
    """The history without the reports past their time (the page and its CSV exports removed); the newest
    `retention.keep_reports` are always kept, and a report with warnings is kept as long as a failure is."""
    kept = []
    for n, entry in enumerate(history):
        created = datetime.fromisoformat(entry["created"]) if "created" in entry else now
        warned = any(entry.get(k) for k in WARNING_COUNTS)
        if n >= retention.keep_reports and retention.expired(created, now, failed=warned):
            (out / entry["file"]).unlink(missing_ok=True)
            shutil.rmtree(out / EXPORTS_DIR / Path(entry["file"]).stem, ignore_errors=True)
            continue
        kept.append(entry)
    return kept


def latest_report(data_dir: Path) -> Path | None:
    """The newest report page, if any (what a refresh that rebuilt nothing points to)."""
    history = _read_history(settings.reports_dir(data_dir) / HISTORY_FILE)
    return settings.reports_dir(data_dir) / history[0]["file"] if history else None


# The state a report shows besides its loads; equal to the last report's and no load means nothing new.
STATE_COUNTS = ("conflicts", "revisions", "anomalies", "targets_assessed", "targets_shown", "ignored", "quarantined", "deferred")


def _nothing_new(data: dict[str, Any], last: dict[str, Any]) -> bool:
    return not data["loads"] and not data["withdrawals"] and all(last.get(k) == data["counts"][k] for k in STATE_COUNTS)


def write_report(
    warehouse: Warehouse,
    run_id: str,
    files_in_raw: Collection[str],
    ignored: list[str] | None = None,
    deferred: int = 0,
    published: bool = True,
    reviews: list[dict[str, Any]] | None = None,
) -> ReportResult:
    """The report of run `run_id`; `published`: whether the serving copy readers open now is this run's release;
    `reviews`: the decision counts of each review file of the bulletin extractor (bulletins/review.py)."""
    out = settings.reports_dir(warehouse.data_dir)
    out.mkdir(parents=True, exist_ok=True)
    history_path = out / HISTORY_FILE
    history = _read_history(history_path)
    created = datetime.now(BEIJING)
    name = f"report-{created:%Y%m%d-%H%M%S}-{run_id[:8]}.html"
    with warehouse.connect(read_only=True) as con:
        data = gather(con, run_id, files_in_raw, ignored, history[0].get("max_load_id") if history else None, deferred)
        nothing_new = bool(history) and _nothing_new(data, history[0])
        exports = {} if nothing_new else export(con, out / EXPORTS_DIR / Path(name).stem, data["in_scope"], data["scope"])
    c = data["counts"]
    env = _environment()
    index = out / "index.html"
    if nothing_new:
        # A refresh that found nothing new adds no copy of the last page: the index notes the re-check.
        latest = history[0]
        latest["rechecked"] = latest.get("rechecked", 0) + 1
        latest["last_rechecked"] = created.isoformat(timespec="seconds")
        latest["last_rechecked_run_id"] = run_id
        write_text_atomically(history_path, json.dumps(history, ensure_ascii=False, indent=1))
        write_text_atomically(index, env.get_template("index.html.j2").render(history=history))
        path = out / latest["file"]
        return ReportResult(path, index, f"Nothing new since the last report: `{path}`", c)

    docs_dir = settings.data_docs_dir(warehouse.data_dir)
    docs_index = docs_dir / "index.html"
    dbt_docs = settings.dbt_docs_dir(warehouse.data_dir) / "static_index.html"
    html = env.get_template("report.html.j2").render(
        **data,
        run_id=run_id,
        created=created,
        warehouse=warehouse.path,
        data_docs=docs_index.relative_to(out) if docs_index.exists() else None,
        validation_pages=_validation_pages(docs_dir, out),
        published=published,
        exports={k: f"{EXPORTS_DIR}/{Path(name).stem}/{v}" for k, v in exports.items()},
        dbt_docs=os.path.relpath(dbt_docs, out) if dbt_docs.exists() else None,
        reviews=reviews or [],
    )
    path = out / name
    write_text_atomically(path, html)

    history = prune_reports(out, history, Retention.from_env(), created)
    history.insert(
        0,
        {
            "file": name,
            "run_id": run_id,
            "created": created.isoformat(timespec="seconds"),
            "max_load_id": data["max_load_id"],
            **c,
        },
    )
    write_text_atomically(history_path, json.dumps(history, ensure_ascii=False, indent=1))
    write_text_atomically(index, env.get_template("index.html.j2").render(history=history))

    return ReportResult(path, index, _summary(c, path), c)


def _validation_pages(docs_dir: Path, out: Path) -> dict[str, str]:
    """Each file's newest kept validation page (pages with a failed file are never pruned, so old links stay live)."""
    pages: dict[str, str] = {}
    for entry in read_manifest(docs_dir):
        for file in entry["files"]:
            pages.setdefault(file, os.path.relpath(docs_dir / entry["page"], out).replace(os.sep, "/"))
    return pages


def _summary(c: dict[str, int], path: Path) -> str:
    """The report in a few Markdown lines, for the refresh's summary and the Dagster UI."""
    return (
        f"**Loads** {c['loaded']} loaded, {c['skipped']} skipped, {c['quarantined']} quarantined in raw/ "
        f"({c['quarantined_now']} by this refresh, {c['issues']} reasons), {c['deferred']} still being written, "
        f"{c['withdrawn']} withdrawn, {c['ignored']} ignored  \n"
        f"**Conflicts** {c['conflicts']}  \n"
        f"**Expectations** {c['expectations'] - c['expectations_failed']} passed, {c['expectations_failed']} failed  \n"
        f"**Revisions** {c['revisions']} · **Anomalies** {c['anomalies']} · **Targets assessed** {c['targets_assessed']}  \n"
        f"Report: `{path}`"
    )
