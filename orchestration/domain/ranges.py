"""Plausible ranges by region level: a county's GDP and the nation's differ a thousandfold, so one range per indicator
either refuses real figures or lets a figure ten thousand times off through. An indicator's `range_by_level`
(indicators.csv) gives a range per level, `county 1..6000; prefecture 10..40000`; a level it does not name takes the
indicator's `range_min..range_max`. Pure: parsing and lookup, no I/O.
"""

from __future__ import annotations

import math
import re

from orchestration.domain.families import LEVEL_RANGE, RANGE_BY_LEVEL, REGION_LEVELS


class RangeError(ValueError):
    pass


def parse_range_by_level(text: str | None) -> dict[str, tuple[float, float]]:
    """`county 1..6000; province 100..150000` → {"county": (1, 6000), "province": (100, 150000)}; raises RangeError."""
    if text is None or (isinstance(text, float) and math.isnan(text)) or not str(text).strip():
        return {}
    text = str(text)
    if not re.fullmatch(RANGE_BY_LEVEL, text):
        raise RangeError(
            f"not ranges by level (county 1..6000; province 100..150000; levels {', '.join(REGION_LEVELS)}): {text!r}"
        )
    out: dict[str, tuple[float, float]] = {}
    for level, low, high in re.findall(LEVEL_RANGE, text):
        if level in out:
            raise RangeError(f"level {level} given twice: {text!r}")
        if float(low) >= float(high):
            raise RangeError(f"the range of {level} must run upwards ({low}..{high})")
        out[level] = (float(low), float(high))
    return out


def range_for(by_level: dict[str, tuple[float, float]], level: str | None, low: float, high: float) -> tuple[float, float]:
    """The range a figure of a region of `level` must lie in."""
    return by_level.get(level or "", (low, high))
