"""Unit conversion into an indicator's canonical unit (pure).

A figure is published as number × multiplier word (万, 亿) in some unit (人, 万人, 元, 亿元, %, ‰);
the warehouse stores it in the one unit the catalogue declares for the indicator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from orchestration.domain.parsing import Quantity

# unit → (dimension, size in the dimension's base unit)
UNITS: dict[str, tuple[str, float]] = {
    "人": ("persons", 1),
    "万人": ("persons", 1e4),
    "亿人": ("persons", 1e8),
    "元": ("yuan", 1),
    "万元": ("yuan", 1e4),
    "亿元": ("yuan", 1e8),
    "万亿元": ("yuan", 1e12),
    "吨": ("tonnes", 1),
    "万吨": ("tonnes", 1e4),
    "亿吨": ("tonnes", 1e8),
    "%": ("percent", 1),
    "‰": ("percent", 0.1),
    "家": ("enterprises", 1),
    "万家": ("enterprises", 1e4),
    "个": ("items", 1),
    "万个": ("items", 1e4),
    "户": ("households", 1),
    "万户": ("households", 1e4),
    "平方米": ("square_metres", 1),
    "万平方米": ("square_metres", 1e4),
    "分钟": ("minutes", 1),
    "小时": ("minutes", 60),
    # concentrations as the bulletins write them, in symbols or in words
    "μg/m³": ("concentration", 1),
    "微克/立方米": ("concentration", 1),
    "毫克/立方米": ("concentration", 1000),
    "mg/m³": ("concentration", 1000),
}


class UnitError(ValueError):
    """A published unit that cannot be expressed in the indicator's unit."""


@dataclass(frozen=True)
class Converted:
    value: float
    decimals: int


def to_canonical(quantity: Quantity, published_unit: str, canonical_unit: str) -> Converted:
    """Apply the multiplier word and convert from the published unit to the catalogue's unit."""
    assert quantity.value is not None
    unit = published_unit
    if quantity.percent:
        if published_unit not in ("", "%", "‰", quantity.percent):
            raise UnitError(f"the value says {quantity.percent} but the unit column says {published_unit!r}")
        unit = quantity.percent
    if unit == canonical_unit and quantity.scale == 1:
        return Converted(quantity.value, quantity.decimals)
    source, target = UNITS.get(unit), UNITS.get(canonical_unit)
    if unit != canonical_unit and (source is None or target is None or source[0] != target[0]):
        raise UnitError(f"{unit!r} cannot be converted to the indicator's unit {canonical_unit!r}")
    factor = quantity.scale * (source[1] / target[1] if unit != canonical_unit else 1)
    # Keep the published precision: 15.5万人 → 15.5 万人 (1 decimal); 2,276,184人 → 227.6184 万人 (4).
    shift = -round(math.log10(factor)) if factor > 0 else 0
    return Converted(round(quantity.value * factor, max(quantity.decimals + shift, 0) + 6), max(quantity.decimals + shift, 0))
