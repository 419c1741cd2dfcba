"""The instant release times are compared with: now, in UTC, without its zone (as release times are stored).

Read through this module (`clock.now_utc()`) everywhere a release time is compared (the catalogue checks, the
build's embargo, the release sensor, the report), so that one clock decides what is under embargo."""

from __future__ import annotations

from datetime import UTC, datetime


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
