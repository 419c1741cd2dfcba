"""A batch reduced to the distinct values its rules read, and the rows behind each of them.

Every rule of a suite (suite.build_suite) decides a row from the cells of a few columns only: its
column, its pair of columns, the columns of its row condition. Two rows that hold the same values there get
the same verdict, so the rule needs to see each distinct combination once: codes, units, periods and statuses
repeat across a national batch (a few thousand distinct values in a million rows). Columns read by the same
rule form one group; a group's distinct combinations, in order of first appearance, fill the reduced frame side
by side with the other groups', and a group with fewer combinations repeats its first one to the frame's length
(a repeat adds no new value, so no verdict changes). A failure on a reduced row maps back to every row of the
batch holding that group's combination, exactly: no rule is evaluated outside Great Expectations.

Pure pandas and NumPy: no GX, no DuckDB.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

DISTINCT_ROW = "_distinct_row"  # the reduced frame's row number, which GX reports for an unexpected value

_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


def columns_read(kwargs: Mapping[str, Any], columns: Iterable[str]) -> tuple[str, ...]:
    """The columns of `columns` one expectation's verdict on a row depends on: its column(s) and those its row
    condition names."""
    names = [kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B"), *(kwargs.get("column_list") or [])]
    known = set(columns)
    condition = kwargs.get("row_condition")
    if condition:  # a pandas query such as 'obs_status != "forecast"': the names in it that are columns
        names += [word for word in _IDENTIFIER.findall(str(condition)) if word in known]
    return tuple(sorted({name for name in names if name}))


# Reduced only when that drops at least a third of the rows: a copy of nearly every row costs memory (the padded
# columns too) and saves GX little. A batch whose figures' text differs on nearly every row (one large publication)
# is validated row by row, as it stands.
WORTH_REDUCING = 2 / 3


@dataclass(frozen=True)
class _Group:
    columns: tuple[str, ...]
    first_rows: np.ndarray | None  # per combination: the position of the first row holding it; None: every row


@dataclass(frozen=True)
class DistinctBatch:
    frame: pd.DataFrame  # what the rules run on: the groups' distinct combinations side by side, plus DISTINCT_ROW
    groups: tuple[_Group, ...]
    source: pd.DataFrame  # the full batch

    def rows_failing(self, columns: Iterable[str], distinct_rows: Iterable[int]) -> np.ndarray:
        """Which rows of the full batch (a boolean mask) hold the combinations a rule over `columns` refused at
        `distinct_rows` of the reduced frame."""
        wanted = set(columns)
        group = next((g for g in self.groups if wanted <= set(g.columns)), None)
        if group is None:
            raise KeyError(f"no group holds the columns {sorted(wanted)}")
        if group.first_rows is None:  # not reduced: the reduced frame's rows are the batch's
            return np.isin(np.arange(len(self.source)), list(distinct_rows))
        combos = len(group.first_rows)
        refused = np.unique([row if row < combos else 0 for row in distinct_rows])  # past the end: the first, repeated
        # numbered again rather than kept: one array of N codes per group would outweigh the batch's own columns
        return np.isin(_codes(self.source, group.columns), refused)


def _merged(column_sets: Iterable[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Column sets that share a column merged into one group (a column belongs to exactly one group)."""
    groups: list[set[str]] = []
    for columns in column_sets:
        joined = set(columns)
        for group in [g for g in groups if g & joined]:
            joined |= group
            groups.remove(group)
        if joined:
            groups.append(joined)
    return [tuple(sorted(g)) for g in groups]


def _codes(frame: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """Each row's combination of `columns`, numbered in order of first appearance; a missing value is a value."""
    codes = pd.factorize(frame[columns[0]], use_na_sentinel=False)[0]
    for column in columns[1:]:  # pairs numbered as one integer, renumbered densely so the product stays below N²
        more, values = pd.factorize(frame[column], use_na_sentinel=False)
        codes = pd.factorize(codes.astype(np.int64) * len(values) + more)[0]
    return codes


def reduce_batch(frame: pd.DataFrame, column_sets: Iterable[tuple[str, ...]]) -> DistinctBatch:
    """`frame` reduced to the distinct combinations of each group of columns the rules read, or, when that would
    keep more than WORTH_REDUCING of its rows, the columns the rules read as they stand."""
    merged = _merged(column_sets)
    first_rows = [np.unique(_codes(frame, columns), return_index=True)[1] for columns in merged]
    length = max((len(f) for f in first_rows), default=0)
    if length > WORTH_REDUCING * len(frame):
        groups = tuple(_Group(columns, None) for columns in merged)
        as_is = frame[[c for columns in merged for c in columns]].reset_index(drop=True)
        return DistinctBatch(as_is.assign(**{DISTINCT_ROW: np.arange(len(frame))}), groups, frame)
    parts = []
    for columns, first in zip(merged, first_rows, strict=True):
        taken = np.concatenate([first, np.full(length - len(first), first[0] if length else 0)])
        parts.append(frame[list(columns)].iloc[taken].reset_index(drop=True))
    reduced = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=range(0))
    reduced[DISTINCT_ROW] = np.arange(length)
    return DistinctBatch(reduced, tuple(_Group(c, f) for c, f in zip(merged, first_rows, strict=True)), frame)
