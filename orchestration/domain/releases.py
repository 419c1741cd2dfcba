"""Release times (sources.csv release_at) as the release sensor reads them: straight from the catalogue file, before
any refresh validated it (a time that does not parse is passed over here and refused by the refresh). Pure."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from orchestration.domain.parsing import ParseError, parse_timestamp


def release_times(sources_csv: str) -> list[datetime]:
    """Every release time the file gives (naive UTC), sorted."""
    times = set()
    for row in csv.DictReader(io.StringIO(sources_csv)):
        try:
            times.add(parse_timestamp(row.get("release_at") or ""))
        except ParseError:
            continue
    return sorted(times)


def due(times: list[datetime], since: datetime, now: datetime) -> list[datetime]:
    """The release times that passed after `since`, up to `now`: each calls for a refresh that publishes it."""
    return [t for t in times if since < t <= now]
