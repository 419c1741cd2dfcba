"""The quality report's sections, each read from the warehouse by one function: what it queries and what it hands the
template (templates/report.html.j2). report.gather puts them together; each can be called, and tested, alone.

Summaries first (by family and status), then capped lists: a refresh of thousands of files must still give a page a
browser opens at once. Long lists stop at MAX_LISTED rows; totals are exact, and every row is in the CSV exports
beside the page (report.export).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

from orchestration import settings
from orchestration.reporting.charts import progress_chart
from orchestration.store.disclosures import DERIVABLE_SQL

MAX_LISTED = 200  # rows shown per long list (revisions, jumps); the page says how many there are in all
# The regions the report is about, in order (dbt_project/seeds/report_regions.csv; dbt builds qa_completeness's grid
# from the same rows): data, so that a warehouse for another city edits a file, not the code.
REPORT_REGIONS = settings.DBT_PROJECT_DIR / "seeds" / "report_regions.csv"

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


@dataclass(frozen=True)
class Scope:
    """The audit records a report covers: this run's, and any committed after the last report (by a refresh killed
    before its report), so that nothing that reached the warehouse goes unreported."""

    run_id: str
    since: int  # the last reported load id; -1: every record
    in_scope = "(l.run_id = $run_id or l.load_id > $since)"  # over audit.loads as l: a class attribute, not a field

    @property
    def params(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "since": self.since}


def rows(con, sql: str, params: list | dict | None = None) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _count(con, sql: str, params: list | dict | None = None) -> int:
    return con.execute(sql, params or []).fetchone()[0]


def loads(con, scope: Scope) -> dict[str, Any]:
    """Files by family and status; the refused, held and loaded ones listed; withdrawals and moves."""
    where = f"from audit.loads as l where {scope.in_scope}"
    return {
        "scope": scope.params,
        "in_scope": scope.in_scope,
        "max_load_id": _count(con, "select max(load_id) from audit.loads"),
        "load_summary": rows(
            con,
            f"""select family, status, count(*) as files, sum(rows_read) as rows_read, sum(rows_loaded) as rows_loaded,
            sum(issue_count) as issues {where} group by all order by family, status""",
            scope.params,
        ),
        "loads": rows(
            con,
            f"""select load_id, run_id, family, file_path, status, rows_read, rows_loaded, issue_count, encoding,
            round(duration_ms) as ms, note {where} and status in ('loaded', 'quarantined', 'held')
            order by status = 'loaded', family, file_path, load_id limit {MAX_LISTED}""",
            scope.params,
        ),
        "withdrawals": rows(
            con,
            f"""select family, file_path, status, note {where} and status in ('withdrawn', 'moved')
            order by family, file_path, load_id limit {MAX_LISTED}""",
            scope.params,
        ),
    }


def still_quarantined(con, present: set[str]) -> dict[str, Any]:
    """Files in raw/ whose latest reading was refused, in this refresh or earlier and unchanged since (all of them:
    the page caps the list, the counts do not)."""
    latest = rows(
        con,
        """
        select family, file_path, status, issue_count, finished_at, coalesce(keeps_served, false) as keeps_served from (
            select *, row_number() over (partition by file_path order by load_id desc) as n from audit.loads
            where status <> 'held'
        ) where n = 1 and status = 'quarantined' order by file_path""",
    )
    return {"still_quarantined": [row for row in latest if row["file_path"] in present]}


def issues(con, scope: Scope) -> dict[str, Any]:
    """Every reason a file of the scope was refused: the total, and the first MAX_LISTED."""
    total = f"select count(*) from audit.load_issues as i join audit.loads as l using (load_id) where {scope.in_scope}"
    return {
        "issue_total": _count(con, total, scope.params),
        "issues": rows(con, f"{ISSUES_SQL.format(in_scope=scope.in_scope)} limit {MAX_LISTED}", scope.params),
    }


def figure_changes(con, scope: Scope) -> dict[str, Any]:
    """Figures withdrawn and changed by the scope's loads (and those a held version would withdraw or change)."""
    totals = f"""select change, count(*) from audit.figure_changes as f join audit.loads as l using (load_id)
        where {scope.in_scope} group by change"""
    return {
        "figure_change_total": dict(con.execute(totals, scope.params).fetchall()),
        "figure_changes": rows(con, f"{FIGURE_CHANGES_SQL.format(in_scope=scope.in_scope)} limit {MAX_LISTED}", scope.params),
    }


def expectations(con, scope: Scope) -> dict[str, Any]:
    """Great Expectations results of the scope's files: by family, and the rules that failed."""
    joined = f"from dq.expectation_results as e join audit.loads as l using (load_id) where {scope.in_scope}"
    summary = rows(
        con,
        f"""select e.family, count(distinct e.file_path) as files,
        count(distinct e.file_path) filter (not e.success) as files_failed,
        count(*) filter (e.success) as passed, count(*) filter (not e.success) as failed
        {joined} group by all order by family""",
        scope.params,
    )
    failing = rows(
        con,
        f"""select e.family, e.expectation_type, e.column_name, count(distinct e.file_path) as files,
        sum(e.unexpected_count) as unexpected, list(distinct e.file_path order by e.file_path)[1:5] as some_files
        {joined} and not e.success
        group by all order by files desc, e.family, e.expectation_type, e.column_name limit {MAX_LISTED}""",
        scope.params,
    )
    return {"expectation_summary": summary, "failing_rules": failing}


def conflicts(con) -> dict[str, Any]:
    """Figures published differently by sources of the same standing (quality.qa_conflicts)."""
    return {
        "conflict_total": _count(con, "select count(*) from quality.qa_conflicts"),
        "conflicts": rows(
            con,
            f"""select indicator_code, region_code, period_label, published_on, chosen_value, chosen_file_path, candidates
            from quality.qa_conflicts order by indicator_code, region_code, period_label limit {MAX_LISTED}""",
        ),
    }


def publication_controls(con) -> dict[str, Any]:
    """What the office holds back or checks before it publishes: figures under embargo (with their release times),
    confidential figures (kept here, served nowhere), confidential figures the free ones give away (the release is
    held), and parts that do not add up to their totals."""
    embargoed = rows(con, "select * from quality.qa_embargoed order by embargoed_until, source_id")
    for row in embargoed:  # release times are stored as naive UTC; the page shows Beijing time
        row["embargoed_until"] = row["embargoed_until"].replace(tzinfo=UTC)
    return {
        "embargoed": embargoed,
        "confidential": rows(
            con,
            "select conf_status, count(*) as figures from marts.fct_observation where conf_status <> 'F' group by 1 order by 1",
        ),
        "disclosure": rows(
            con,
            f"select * from ({DERIVABLE_SQL}) order by confirmed, indicator_code, region_code, period_label, breakdown "
            f"limit {MAX_LISTED}",
        ),
        "breakdown_compared": _count(con, "select count(*) from quality.qa_breakdown_totals"),
        "breakdown_mismatches": rows(
            con,
            "select * from quality.qa_breakdown_totals where not passed "
            f"order by abs(difference) desc, indicator_code, region_code, period_label limit {MAX_LISTED}",
        ),
    }


def names(con) -> dict[str, Any]:
    """The catalogue's names for the codes the page shows."""
    return {
        "names": {
            r["indicator_code"]: r
            for r in rows(con, "select indicator_code, name_zh, name_en, theme, unit, direction from marts.dim_indicator")
        },
        "regions": {r["region_code"]: r["name_zh"] for r in rows(con, "select region_code, name_zh from marts.dim_region")},
    }


def revisions_and_anomalies(con) -> dict[str, Any]:
    """Revised figures, year-on-year jumps and consistency rules."""
    return {
        "revision_total": _count(con, "select count(*) from marts.fct_observation_vintage where is_revision"),
        "revisions": rows(
            con,
            f"""select indicator_code, region_code, period_label, previous_value, previous_source_id, value, unit,
            source_id, published_on from marts.fct_observation_vintage where is_revision
            order by published_on desc nulls last, indicator_code, region_code, period_label limit {MAX_LISTED}""",
        ),
        "jump_total": _count(con, "select count(*) from quality.qa_yoy_jumps"),
        "jumps": rows(
            con,
            "select * from quality.qa_yoy_jumps "
            f"order by abs(change_pct) desc, indicator_code, region_code, year limit {MAX_LISTED}",
        ),
        "consistency": rows(con, "select * from quality.qa_consistency order by passed, rule_id, region_code, period_label"),
    }


def progress(con, focus: ReportRegions, region_names: dict[str, str]) -> dict[str, Any]:
    """The target cards by theme: each assessed target with a chart of the trend its status is drawn from."""
    cards = rows(
        con,
        """
        select p.*, i.name_zh, i.name_en, i.theme from marts.mart_indicator_progress as p
        join marts.dim_indicator as i using (indicator_code)
        where list_contains(?, p.region_code) or (list_contains(?, p.region_code) and p.target_region_code = p.region_code)
        order by i.theme, p.indicator_code, p.region_code, p.target_year""",
        [focus.progress_all, focus.progress_own],
    )
    series = rows(
        con,
        """
        select indicator_code, region_code, start_year as year, value from marts.fct_observation
        where in_comparable_series and value_type = 'level' and list_contains(?, region_code) order by year""",
        [focus.codes],
    )
    by_series: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)
    for row in series:
        by_series[(row["indicator_code"], row["region_code"])].append((row["year"], row["value"]))
    themes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    reasons: dict[str, int] = defaultdict(int)
    for row in cards:
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
        row["region_name"] = region_names.get(row["region_code"], row["region_code"])
        themes[row["theme"]].append(row)
        if row["not_assessable_reason"]:
            reasons[row["not_assessable_reason"]] += 1
    return {
        "themes": dict(sorted(themes.items())),
        "targets_assessed": sum(r["status"] != "not_assessable" for r in cards),
        "targets_shown": len(cards),
        "not_assessable_reasons": sorted(reasons.items(), key=lambda kv: -kv[1]),
    }


def completeness(con, focus: ReportRegions) -> dict[str, Any]:
    """Which indicators each focus region has for each year (quality.qa_completeness), and its latest year's tally."""
    grid = rows(con, "select indicator_code, theme, region_code, year, status, is_latest_year from quality.qa_completeness")
    years = sorted({r["year"] for r in grid})
    matrix: dict[str, dict[str, dict[int, str]]] = defaultdict(lambda: defaultdict(dict))
    latest: dict[str, dict[str, int]] = defaultdict(lambda: {"present": 0, "missing": 0, "not_expected": 0})
    for r in grid:
        matrix[r["region_code"]][r["indicator_code"]][r["year"]] = r["status"]
        if r["is_latest_year"]:
            latest[r["region_code"]][r["status"]] += 1
    return {
        "years": years,
        "matrix": matrix,
        "matrix_regions": focus.completeness,
        "latest_summary": {r: latest[r] for r in focus.completeness if r in latest},
        "latest_year": years[-1] if years else None,
    }


def counts(data: dict[str, Any], files_present: int, deferred: int) -> dict[str, int]:
    """The headline numbers of the page and of the refresh's verdict, from the sections' results."""
    by_status: dict[str, int] = defaultdict(int)
    for row in data["load_summary"]:
        by_status[row["status"]] += row["files"]
    refused = data["still_quarantined"]
    passed = sum(r["passed"] for r in data["expectation_summary"])
    failed = sum(r["failed"] for r in data["expectation_summary"])
    return {
        "loaded": by_status["loaded"],
        # files in raw/ not served because they were refused, in this refresh or earlier and unchanged since
        "quarantined": len(refused),
        # of them, tables whose last accepted reading is still served (their layout or new version was refused)
        "quarantined_kept": sum(1 for row in refused if row["keeps_served"]),
        "quarantined_now": by_status["quarantined"],
        "held": by_status["held"],
        "deferred": deferred,
        "skipped": max(files_present - sum(by_status.values()) + by_status["withdrawn"], 0),
        "withdrawn": by_status["withdrawn"],
        "figures_withdrawn": data["figure_change_total"].get("withdrawn", 0),
        "figures_changed": data["figure_change_total"].get("changed", 0),
        "conflicts": data["conflict_total"],
        "ignored": len(data["ignored"]),
        "issues": data["issue_total"],
        "expectations": passed + failed,
        "expectations_failed": failed,
        "revisions": data["revision_total"],
        "anomalies": data["jump_total"] + sum(not r["passed"] for r in data["consistency"]),
        "embargoed": sum(int(r["figures"]) for r in data["embargoed"]),
        "confidential": sum(int(r["figures"]) for r in data["confidential"]),
        "disclosure_held": sum(1 for r in data["disclosure"] if not r["confirmed"]),
        "breakdown_mismatches": len(data["breakdown_mismatches"]),
        "targets_assessed": data["targets_assessed"],
        "targets_shown": data["targets_shown"],
    }
