"""The metadata keys `make run`'s summary is read from (refresh.py), named once for the assets that write them."""

REPAIRED = "repaired"  # files found damaged and written anew: the raw zone (raw/*), the serving copy (the snapshot)
HELD = "held"  # serving/marts_snapshot: confidential figures the free ones would give away (nothing published)
SNAPSHOT = "snapshot"  # serving/marts_snapshot: the snapshot readers open
REPORT = "report"  # reports/quality_report: this refresh's page
FIGURE_CHANGES = ("withdrawn", "changed")  # raw/*: served figures a run stopped serving, or changed


def files_key(status: str) -> str:
    """raw/*: the family's files with this outcome (ingest.loop.FILE_STATUSES)."""
    return f"files_{status}"


def figures_key(change: str) -> str:
    return f"figures_{change}"
