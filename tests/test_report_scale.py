"""The steward report of a refresh of many files: summaries first, capped lists, every row in the CSV exports
(formulas neutralised), and each quarantined file linked to the Data Docs page that names it."""

from __future__ import annotations

import csv
import re
import shutil

import pytest
from conftest import REPO_RAW
from dagster import DagsterInstance

from orchestration.commands.refresh import run_refresh
from orchestration.reporting.sections import MAX_LISTED
from tests.benchmarks.bench_report import one_row_publications

pytestmark = pytest.mark.slow
FILES, BAD = 400, 250  # more refused files (and reasons) than a page lists


def test_a_report_of_many_files_is_summarised_capped_and_exported_whole(tmp_path, restore_environ):
    raw, data = tmp_path / "raw", tmp_path / "data"
    shutil.copytree(REPO_RAW, raw)
    one_row_publications(raw, FILES, BAD)
    (raw / "observations" / "bench-00000.csv").write_text(
        (raw / "observations" / "bench-00000.csv").read_text(encoding="utf-8").replace("100亿元,zj", "=HYPERLINK(1),zj"),
        encoding="utf-8",
    )
    summary = run_refresh(data, raw, DagsterInstance.ephemeral())
    assert summary.files["quarantined"] == BAD and summary.files["loaded"] == FILES - BAD + 14
    page = summary.report.read_text(encoding="utf-8")
    assert len(page.encode()) < 2_000_000
    # the summary by family and status comes first, with exact counts; the lists are capped
    assert re.search(r"<td>observations</td><td class=\"status-quarantined\">quarantined</td><td class=\"num\">250</td>", page)
    assert page.count('<td class="status-quarantined">已隔离 quarantined</td>') == MAX_LISTED  # capped, refused first
    assert page.count("<code>observations/bench-") <= 3 * MAX_LISTED + 10
    exports = summary.report.parent / "exports" / summary.report.stem
    with (exports / "loads.csv").open(encoding="utf-8-sig") as handle:
        loads = list(csv.DictReader(handle))
    assert len(loads) == FILES + 14 and sum(r["status"] == "quarantined" for r in loads) == BAD
    with (exports / "issues.csv").open(encoding="utf-8-sig") as handle:
        issues = list(csv.DictReader(handle))
    assert len(issues) > MAX_LISTED and {r["file_path"] for r in issues} == {
        f"observations/bench-{i:05d}.csv" for i in range(BAD)
    }
    formula = [r["value"] for r in issues if "HYPERLINK" in (r["value"] or "")]
    assert formula == ["'=HYPERLINK(1)"]  # a spreadsheet shows it as text, never runs it
    assert re.search(r'href="gx_data_docs/history/raw_observations/[^"]+-failed\.html">GX', page)
