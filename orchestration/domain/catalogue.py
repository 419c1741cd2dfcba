"""The current catalogue in the warehouse, as the store reads it and validation checks facts against it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class Catalogue:
    """The current catalogue in the warehouse, against which facts are validated."""

    # indicator_code, unit, value_type, range_min, range_max, earliest_year, range_by_level
    indicators: pd.DataFrame = field(default_factory=pd.DataFrame)
    region_codes: tuple[str, ...] = ()
    source_ids: tuple[str, ...] = ()
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)  # source_id, published_on, date_precision, release_at
    region_levels: dict[str, str] = field(default_factory=dict)  # region_code → level (country … county)
    breakdown_codes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # dimension → its codes (not _T)
