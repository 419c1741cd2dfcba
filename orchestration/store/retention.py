"""Retention: how long the operational history is kept, so that a data folder refreshed daily for years stays
bounded. The warehouse's own history (every version, withdrawal and audit record) is the product and is never
pruned; what is pruned is the operational trail around it:

- Dagster runs (their event logs and captured logs) and steward reports older than QZ_RETENTION_DAYS (90);
- failed or canceled runs, reports with warnings and Great Expectations pages with a failed file older than
  QZ_RETENTION_FAILED_DAYS (365);
- the newest QZ_RETENTION_KEEP_REPORTS (10) reports are always kept, and a run in progress is never touched.

Days may be fractions (the soak benchmark runs with minutes). Pure policy: no Dagster here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from orchestration import settings


@dataclass(frozen=True)
class Retention:
    days: float = 90.0
    failed_days: float = 365.0
    keep_reports: int = 10

    @classmethod
    def from_env(cls) -> Retention:
        given = settings.current()
        return cls(given.retention_days, given.retention_failed_days, given.retention_keep_reports)

    def expired(self, when: datetime, now: datetime, failed: bool = False) -> bool:
        """Whether something made at `when` (a warning or failure: `failed`) is past its time at `now`."""
        return now - when > timedelta(days=self.failed_days if failed else self.days)
