"""The steward quality report: one static, self-contained HTML page per refresh, plus an index of them.

Reads the warehouse (audit, dq, marts, quality schemas) and writes <data>/reports/. No Dagster here.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from orchestration import settings
from orchestration.domain.rule_texts import RULE_TITLES
from orchestration.domain.spreadsheet_cells import as_text_cell
from orchestration.reporting.charts import STATUS_COLOURS, format_number, progress_chart
from orchestration.store.files import write_text_atomically
from orchestration.store.retention import Retention
from orchestration.store.warehouse import Warehouse
from orchestration.validate.data_docs_history import read_manifest

# The bureau works in Beijing time whatever the server's zone (China has kept UTC+8 without DST since 1991).
BEIJING = timezone(timedelta(hours=8), "北京时间 UTC+8")
HISTORY_FILE = "history.json"
EXPORTS_DIR = "exports"  # <reports>/exports/<report name>/<list>.csv: every row of the page's capped lists
# The regions the report is about, in order (dbt_project/seeds/report_regions.csv; dbt builds qa_completeness's grid
# from the same rows): data, so that a warehouse for another city edits a file, not the code.
REPORT_REGIONS = settings.DBT_PROJECT_DIR / "seeds" / "report_regions.csv"


@dataclass(frozen=True)
class ReportRegions:
    codes: list[str]  # every region shown, in order
    completeness: list[str]  # those with a completeness grid
    progress_all: list[str]  # every target assessed for them
    progress_own: list[str]  # only the targets they set themselves


def report_regions(path: Path = REPORT_REGIONS) -> ReportRegions:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda r: int(r["sort_order"]))
    return ReportRegions(
        [r["region_code"] for r in rows],
        [r["region_code"] for r in rows if r["show_completeness"].strip().lower() == "true"],
        [r["region_code"] for r in rows if r["progress_targets"] == "all"],
        [r["region_code"] for r in rows if r["progress_targets"] == "own"],
    )


MAX_LISTED = 200  # rows shown per long list (revisions, jumps); the page says how many there are in all

STATUS_LABELS = {
    "target_achieved": "已达标 target achieved",
    "substantial_progress": "进展显著 substantial progress",
    "moderate_progress": "进展一般 moderate progress",
    "limited_progress": "进展有限 limited progress",
    "deterioration": "退步 deterioration",
    "not_assessable": "无法评估 not assessable",
}


ISSUES_SQL = """
    select i.file_path, i.row_number, i.column_name, i.rule, i.value, i.message
    from audit.load_issues as i join audit.loads as l using (load_id)
    where {in_scope} order by i.file_path, i.row_number nulls first, i.column_name"""
FIGURE_CHANGES_SQL = """
    select f.family, f.file_path, l.status, f.change, f.figure, f.source_cell, f.old_value, f.old_text, f.new_value,
        f.new_text
    from audit.figure_changes as f join audit.loads as l using (load_id)
    where {in_scope} order by l.status <> 'held', f.change, f.file_path, f.figure"""
LOADS_SQL = """
    select family, file_path, status, rows_read, rows_loaded, issue_count, encoding, layout, round(duration_ms) as ms, note
    from audit.loads as l where {in_scope} order by family, file_path, load_id"""
EXPECTATIONS_SQL = """
    select e.family, e.file_path, e.expectation_type, e.column_name, e.success, e.element_count, e.unexpected_count
    from dq.expectation_results as e join audit.loads as l using (load_id)
    where {in_scope} order by e.file_path, e.success, e.expectation_type, e.column_name"""
# The full lists behind the capped tables of a report page, as CSV files a spreadsheet opens (UTF-8 with a BOM).
EXPORTS = {"loads": LOADS_SQL, "issues": ISSUES_SQL, "figure_changes": FIGURE_CHANGES_SQL, "expectations": EXPECTATIONS_SQL}


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


def _rows(con, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def gather(
    con,
    run_id: str,
    files_in_raw: Collection[str],
    ignored: list[str] | None = None,
    since_load_id: int | None = None,
    deferred: int = 0,
) -> dict[str, Any]:
    """Everything the report shows, read in one connection.

    Loads are this run's and any committed after the last report (by a refresh that was killed before
    its report): nothing that reached the warehouse goes unreported. `files_in_raw` are the paths (relative to the
    raw folder) the families read now: a refused file counts as quarantined for as long as it is there.
    """
    since = since_load_id if since_load_id is not None else -1
    focus = report_regions()
    scope = {"run_id": run_id, "since": since}
    in_scope = "(l.run_id = $run_id or l.load_id > $since)"  # this run's records, and any since the last report
    # Summaries first (by family and status), then capped lists: a refresh of thousands of files must still give a
    # page a browser opens at once. Every row is in the CSV exports beside the page (`export`).
    load_summary = _rows(
        con,
        f"""
        select family, status, count(*) as files, sum(rows_read) as rows_read, sum(rows_loaded) as rows_loaded,
               sum(issue_count) as issues
        from audit.loads as l where {in_scope} group by all order by family, status""",
        scope,
    )
    loads = _rows(
        con,
        f"""
        select load_id, run_id, family, file_path, status, rows_read, rows_loaded, issue_count, encoding, round(duration_ms) as ms, note
        from audit.loads as l where {in_scope} and status in ('loaded', 'quarantined', 'held')
        order by status = 'loaded', family, file_path, load_id limit {MAX_LISTED}""",
        scope,
    )
    withdrawals = _rows(
        con,
        f"""
        select family, file_path, status, note from audit.loads as l where {in_scope} and status in ('withdrawn', 'moved')
        order by family, file_path, load_id limit {MAX_LISTED}""",
        scope,
    )
    max_load_id = con.execute("select max(load_id) from audit.loads").fetchone()[0]
    conflict_total = con.execute("select count(*) from quality.qa_conflicts").fetchone()[0]
    conflicts = _rows(
        con,
        f"""
        select indicator_code, region_code, period_label, published_on, chosen_value, chosen_file_path, candidates
        from quality.qa_conflicts order by indicator_code, region_code, period_label limit {MAX_LISTED}""",
    )
    issue_total = con.execute(
        f"select count(*) from audit.load_issues as i join audit.loads as l using (load_id) where {in_scope}", scope
    ).fetchone()[0]
    issues = _rows(con, f"{ISSUES_SQL.format(in_scope=in_scope)} limit {MAX_LISTED}", scope)
    present = set(files_in_raw)
    still_quarantined = [
        row
        for row in _rows(
            con,
            """
            select family, file_path, status, issue_count, finished_at, coalesce(keeps_served, false) as keeps_served from (
                select *, row_number() over (partition by file_path order by load_id desc) as n from audit.loads
                where status <> 'held'
            ) where n = 1 and status = 'quarantined' order by file_path""",
        )
        if row["file_path"] in present
    ]
    figure_change_total = dict(
        con.execute(
            f"select change, count(*) from audit.figure_changes as f join audit.loads as l using (load_id) where {in_scope} group by change",
            scope,
        ).fetchall()
    )
    figure_changes = _rows(con, f"{FIGURE_CHANGES_SQL.format(in_scope=in_scope)} limit {MAX_LISTED}", scope)
    expectation_summary = _rows(
        con,
        f"""
        select e.family, count(distinct e.file_path) as files, count(distinct e.file_path) filter (not e.success) as files_failed,
               count(*) filter (e.success) as passed, count(*) filter (not e.success) as failed
        from dq.expectation_results as e join audit.loads as l using (load_id) where {in_scope} group by all order by family""",
        scope,
    )
    failing_rules = _rows(
        con,
        f"""
        select e.family, e.expectation_type, e.column_name, count(distinct e.file_path) as files,
               sum(e.unexpected_count) as unexpected, list(distinct e.file_path order by e.file_path)[1:5] as some_files
        from dq.expectation_results as e join audit.loads as l using (load_id) where {in_scope} and not e.success
        group by all order by files desc, e.family, e.expectation_type, e.column_name limit {MAX_LISTED}""",
        scope,
    )
    expectations = {
        "files": sum(r["files"] for r in expectation_summary),
        "passed": sum(r["passed"] for r in expectation_summary),
        "failed": sum(r["failed"] for r in expectation_summary),
    }
    names = {
        r["indicator_code"]: r
        for r in _rows(con, "select indicator_code, name_zh, name_en, theme, unit, direction from marts.dim_indicator")
    }
    regions = {r["region_code"]: r["name_zh"] for r in _rows(con, "select region_code, name_zh from marts.dim_region")}
    # Long lists are capped on the page (a national load can revise millions of figures); totals are exact.
    revision_total = con.execute("select count(*) from marts.fct_observation_vintage where is_revision").fetchone()[0]
    revisions = _rows(
        con,
        f"""
        select indicator_code, region_code, period_label, previous_value, previous_source_id, value, unit, source_id, published_on
        from marts.fct_observation_vintage where is_revision
        order by published_on desc nulls last, indicator_code, region_code, period_label limit {MAX_LISTED}""",
    )
    jump_total = con.execute("select count(*) from quality.qa_yoy_jumps").fetchone()[0]
    jumps = _rows(
        con,
        f"select * from quality.qa_yoy_jumps order by abs(change_pct) desc, indicator_code, region_code, year limit {MAX_LISTED}",
    )
    consistency = _rows(con, "select * from quality.qa_consistency order by passed, rule_id, region_code, period_label")
    completeness = _rows(
        con, "select indicator_code, theme, region_code, year, status, is_latest_year from quality.qa_completeness"
    )
    progress = _rows(
        con,
        """
        select p.*, i.name_zh, i.name_en, i.theme from marts.mart_indicator_progress as p
        join marts.dim_indicator as i using (indicator_code)
        where list_contains(?, p.region_code) or (list_contains(?, p.region_code) and p.target_region_code = p.region_code)
        order by i.theme, p.indicator_code, p.region_code, p.target_year""",
        [focus.progress_all, focus.progress_own],
    )
    series = _rows(
        con,
        """
        select indicator_code, region_code, start_year as year, value from marts.fct_observation
        where in_comparable_series and value_type = 'level' and list_contains(?, region_code)
        order by year""",
        [focus.codes],
    )

    by_series: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)
    for row in series:
        by_series[(row["indicator_code"], row["region_code"])].append((row["year"], row["value"]))
    themes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in progress:
        # Only an assessed target gets a chart, of the trend its status is drawn from: from the plan's base
        # year to the target year, never earlier. A card that is not assessable shows its figures as text.
        points = [
            (y, v)
            for y, v in by_series.get((row["indicator_code"], row["region_code"]), [])
            if row["plan_base_year"] is not None and row["plan_base_year"] <= y <= row["target_year"]
        ]
        assessed = row["status"] != "not_assessable" and points
        row["chart"] = (
            progress_chart(points, row["target_year"], row["target_value"], row["status"], row["unit"]) if assessed else None
        )
        row["region_name"] = regions.get(row["region_code"], row["region_code"])
        themes[row["theme"]].append(row)

    years = sorted({r["year"] for r in completeness})
    matrix: dict[str, dict[str, dict[int, str]]] = defaultdict(lambda: defaultdict(dict))
    latest_summary: dict[str, dict[str, int]] = defaultdict(lambda: {"present": 0, "missing": 0, "not_expected": 0})
    for r in completeness:
        matrix[r["region_code"]][r["indicator_code"]][r["year"]] = r["status"]
        if r["is_latest_year"]:
            latest_summary[r["region_code"]][r["status"]] += 1
    reasons: dict[str, int] = defaultdict(int)
    for row in progress:
        if row["not_assessable_reason"]:
            reasons[row["not_assessable_reason"]] += 1

    by_status = defaultdict(int)
    for row in load_summary:
        by_status[row["status"]] += row["files"]
    counts = {
        "loaded": by_status["loaded"],
        # files in raw/ not served because they were refused, in this refresh or earlier and unchanged since
        "quarantined": len(still_quarantined),
        # of them, tables whose last accepted reading is still served (their layout or new version was refused)
        "quarantined_kept": sum(1 for row in still_quarantined if row["keeps_served"]),
        "quarantined_now": by_status["quarantined"],
        "held": by_status["held"],
        "deferred": deferred,
        "skipped": max(len(present) - sum(by_status.values()) + by_status["withdrawn"], 0),
        "withdrawn": by_status["withdrawn"],
        "figures_withdrawn": figure_change_total.get("withdrawn", 0),
        "figures_changed": figure_change_total.get("changed", 0),
        "conflicts": conflict_total,
        "ignored": len(ignored or []),
        "issues": issue_total,
        "expectations": expectations["passed"] + expectations["failed"],
        "expectations_failed": expectations["failed"],
        "revisions": revision_total,
        "anomalies": jump_total + sum(not r["passed"] for r in consistency),
        "targets_assessed": sum(r["status"] != "not_assessable" for r in progress),
        "targets_shown": len(progress),
    }
    return {
        "load_summary": load_summary,
        "loads": loads,
        "withdrawals": withdrawals,
        "figure_changes": figure_changes,
        "expectation_summary": expectation_summary,
        "failing_rules": failing_rules,
        "conflicts": conflicts,
        "ignored": ignored or [],
        "issues": issues,
        "still_quarantined": still_quarantined[:MAX_LISTED],
        "names": names,
        "regions": regions,
        "revisions": revisions,
        "jumps": jumps,
        "consistency": consistency,
        "max_listed": MAX_LISTED,
        "max_load_id": max_load_id,
        "scope": scope,
        "in_scope": in_scope,
        "years": years,
        "matrix": matrix,
        "matrix_regions": focus.completeness,
        "latest_summary": {r: latest_summary[r] for r in focus.completeness if r in latest_summary},
        "latest_year": years[-1] if years else None,
        "themes": dict(sorted(themes.items())),
        "counts": counts,
        "not_assessable_reasons": sorted(reasons.items(), key=lambda kv: -kv[1]),
    }


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
    # Each file's newest kept validation page (pages with a failed file are never pruned, so old links stay live).
    validation_pages: dict[str, str] = {}
    for entry in read_manifest(docs_dir):
        for file in entry["files"]:
            validation_pages.setdefault(file, os.path.relpath(docs_dir / entry["page"], out).replace(os.sep, "/"))
    dbt_docs = settings.dbt_docs_dir(warehouse.data_dir) / "static_index.html"
    html = env.get_template("report.html.j2").render(
        **data,
        run_id=run_id,
        created=created,
        warehouse=warehouse.path,
        data_docs=docs_index.relative_to(out) if docs_index.exists() else None,
        validation_pages=validation_pages,
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

    summary = (
        f"**Loads** {c['loaded']} loaded, {c['skipped']} skipped, {c['quarantined']} quarantined in raw/ "
        f"({c['quarantined_now']} by this refresh, {c['issues']} reasons), {c['deferred']} still being written, "
        f"{c['withdrawn']} withdrawn, {c['ignored']} ignored  \n"
        f"**Conflicts** {c['conflicts']}  \n"
        f"**Expectations** {c['expectations'] - c['expectations_failed']} passed, {c['expectations_failed']} failed  \n"
        f"**Revisions** {c['revisions']} · **Anomalies** {c['anomalies']} · **Targets assessed** {c['targets_assessed']}  \n"
        f"Report: `{path}`"
    )
    return ReportResult(path, index, summary, c)
