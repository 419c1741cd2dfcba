"""The quality report's sections, each on its own (reporting/sections.py): audit records written through the store as
a refresh writes them, no refresh, no dbt. What the whole page shows is tested by test_refresh.py."""

from __future__ import annotations

from datetime import datetime

import pytest

from orchestration.domain.families import OBSERVATIONS
from orchestration.domain.issues import Issue
from orchestration.reporting import sections
from orchestration.store.warehouse import LoadRecord, Warehouse


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    warehouse = Warehouse(tmp_path / "data")
    warehouse.ensure_schema()
    return warehouse


def quarantine(warehouse: Warehouse, run_id: str, path: str, sha: str, reason: str, keep: bool = False) -> int:
    with warehouse.session() as con:
        record = LoadRecord(run_id, OBSERVATIONS, path, sha, 10, 1, "fp", datetime.now())
        issue = Issue(path, 2, "value", "expect_column_values_to_not_be_null", None, reason)
        return warehouse.record_quarantine(con, record, [issue], [], keep_served=keep)


def test_the_scope_is_this_run_and_whatever_came_after_the_last_report(warehouse):
    earlier = quarantine(warehouse, "earlier", "observations/old.csv", "o1", "old reason")
    quarantine(warehouse, "killed", "observations/orphan.csv", "k1", "never reported")
    quarantine(warehouse, "now", "observations/new.csv", "n1", "a blank value")
    with warehouse.connect(read_only=True) as con:
        found = sections.issues(con, sections.Scope("now", since=earlier))
        loads = sections.loads(con, sections.Scope("now", since=earlier))
    assert found["issue_total"] == 2
    assert [(i["file_path"], i["message"]) for i in found["issues"]] == [
        ("observations/new.csv", "a blank value"),
        ("observations/orphan.csv", "never reported"),
    ]
    assert [(r["status"], r["files"]) for r in loads["load_summary"]] == [("quarantined", 2)]
    assert loads["max_load_id"] == earlier + 2


def test_a_refused_file_counts_while_it_is_in_raw_and_a_kept_table_is_told_apart(warehouse):
    quarantine(warehouse, "r", "observations/gone.csv", "g1", "refused, then deleted")
    quarantine(warehouse, "r", "observations/table.xlsx", "t2", "layout slip", keep=True)
    quarantine(warehouse, "r", "observations/bad.csv", "b1", "a blank value")
    present = {"observations/table.xlsx", "observations/bad.csv"}
    with warehouse.connect(read_only=True) as con:
        refused = sections.still_quarantined(con, present)["still_quarantined"]
    assert [(r["file_path"], r["keeps_served"]) for r in refused] == [
        ("observations/bad.csv", False),
        ("observations/table.xlsx", True),
    ]


def test_the_headline_counts_come_from_the_sections():
    data = {
        "load_summary": [{"status": "loaded", "files": 3}, {"status": "quarantined", "files": 1}],
        "still_quarantined": [{"keeps_served": True}, {"keeps_served": False}],
        "expectation_summary": [{"passed": 40, "failed": 2}, {"passed": 10, "failed": 0}],
        "figure_change_total": {"withdrawn": 5},
        "conflict_total": 1,
        "ignored": ["notes.txt"],
        "issue_total": 7,
        "revision_total": 4,
        "jump_total": 2,
        "consistency": [{"passed": True}, {"passed": False}],
        "targets_assessed": 9,
        "targets_shown": 11,
        "embargoed": [{"figures": 4}, {"figures": 2}],
        "confidential": [{"conf_status": "C", "figures": 3}],
        "disclosure": [{"confirmed": False}, {"confirmed": True}],
        "breakdown_mismatches": [{"difference": 2.0}],
    }
    counts = sections.counts(data, files_present=6, deferred=1)
    assert (counts["embargoed"], counts["confidential"], counts["disclosure_held"], counts["breakdown_mismatches"]) == (
        6,
        3,
        1,
        1,
    )
    assert counts["loaded"] == 3 and counts["quarantined"] == 2 and counts["quarantined_kept"] == 1
    assert counts["skipped"] == 2  # six present, four read this time
    assert counts["expectations"] == 52 and counts["expectations_failed"] == 2
    assert counts["anomalies"] == 3 and counts["figures_withdrawn"] == 5 and counts["figures_changed"] == 0
