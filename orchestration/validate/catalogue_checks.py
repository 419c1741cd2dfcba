"""Rules that look beyond one row: a catalogue against itself and against the facts it serves, keys across files.

A catalogue edit is refused when it would leave served figures or targets without a valid catalogue
entry (an indicator, region or source removed while in use; a unit or value type changed under served
figures; a range or earliest year that served figures fall outside), or when it is wrong in itself (a
region hierarchy with a cycle, a self-parent or a level inversion; a source published in the future).
Pure: DataFrames (and a function that looks the served facts up) in, issues out; no Dagster, DuckDB or GX.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

import pandas as pd

from orchestration.domain import clock
from orchestration.domain.breakdowns import parse_breakdown
from orchestration.domain.families import DEFAULT_EARLIEST_YEAR, REGION_LEVEL_RANK, Family
from orchestration.domain.issues import ROW_COLUMN, Issue
from orchestration.domain.ranges import RangeError, parse_range_by_level, range_for
from orchestration.read.labels import catalogue_names
from orchestration.read.layouts import Layout

if TYPE_CHECKING:
    from orchestration.domain.catalogue import Catalogue


FactsInUse = Callable[[], pd.DataFrame]  # Warehouse.facts_in_use over the served fact files, computed on first call

IN_USE = "catalogue_in_use"


def _places(rows: pd.DataFrame) -> str:
    count = int(rows["n"].sum())
    shown = [place for places in rows["places"] for place in list(places)][:3]
    more = f" and {count - len(shown)} more" if count > len(shown) else ""
    return f"{count} served row(s): {', '.join(shown)}{more}"


def _removed_in_use(
    file: str, column: str, frame: pd.DataFrame, facts_in_use: FactsInUse, what: str, served: Iterable[str] | None = None
) -> list[Issue]:
    """Codes the new version drops that served facts use. With `served` (the codes in force now), a version that
    keeps them all is passed without looking the facts up: no fact can lose its entry."""
    kept = set(frame[column].dropna())
    if served is not None and set(served) <= kept:
        return []
    in_use = facts_in_use()
    issues = []
    for code, rows in in_use[~in_use[column].isin(kept)].groupby(column):
        issues.append(
            Issue(
                file,
                None,
                column,
                IN_USE,
                str(code),
                f"{what} {code} is removed from the catalogue but {_places(rows)} use it: withdraw or correct those files first",
            )
        )
    return issues


def _regions(file: str, frame: pd.DataFrame) -> list[Issue]:
    issues = []
    parent = dict(zip(frame["region_code"], frame["parent_code"], strict=False))
    level = dict(zip(frame["region_code"], frame["level"], strict=False))
    line = dict(zip(frame["region_code"], frame[ROW_COLUMN], strict=False))

    def refuse(code: str, up: str, message: str) -> None:
        issues.append(Issue(file, int(line[code]), "parent_code", "region_hierarchy", str(up), message))

    for code, up in parent.items():
        if up is None or pd.isna(up):
            continue
        if up == code:
            refuse(code, up, "a region cannot be its own parent")
            continue
        if up in level and REGION_LEVEL_RANK.get(level[up], -1) >= REGION_LEVEL_RANK.get(level[code], -1):
            refuse(code, up, f"the parent ({level[up]}) is not above the region ({level[code]}) in the hierarchy")
        seen, cursor = {code}, up
        while cursor in parent and not pd.isna(parent[cursor]):
            cursor = parent[cursor]
            if cursor in seen:
                refuse(code, up, f"the parent chain of {code} loops back on itself")
                break
            seen.add(cursor)
    issues += _successions(file, frame, line)
    return issues


def _successions(file: str, frame: pd.DataFrame, line: dict) -> list[Issue]:
    """A successor is another region, and following successors never comes back to where it started."""
    if "successor_code" not in frame:
        return []
    successor = {
        c: s for c, s in zip(frame["region_code"], frame["successor_code"], strict=False) if s is not None and not pd.isna(s)
    }
    issues = []
    for code, first in successor.items():
        seen, cursor = {code}, first
        while cursor is not None:
            if cursor in seen:
                message = (
                    "a region cannot succeed itself"
                    if cursor == code and first == code
                    else f"the successors of {code} loop back on themselves"
                )
                issues.append(Issue(file, int(line[code]), "successor_code", "region_succession", str(first), message))
                break
            seen.add(cursor)
            cursor = successor.get(cursor)
    return issues


def _sources(file: str, frame: pd.DataFrame, today: date) -> list[Issue]:
    """A publication date after today is refused, unless the source is a release prepared ahead (a release time)."""
    future = frame[(pd.to_datetime(frame["published_on"]).dt.date > today) & frame["release_at"].isna()]
    return [
        Issue(
            file,
            int(row[ROW_COLUMN]),
            "published_on",
            "future_publication",
            str(row["published_on"]),
            f"a publication date after today ({today}) cannot be right (a release prepared ahead gives its release_at)",
        )
        for _, row in future.iterrows()
    ]


def _embargo_over_served(
    file: str, frame: pd.DataFrame, current: Catalogue, facts_in_use: FactsInUse, now: datetime
) -> list[Issue]:
    """A release time still to come on a source that was released already (no release time, or one past, in the
    catalogue in force) while files give figures from it: those figures have been served and cannot be taken back."""
    coming = frame[pd.to_datetime(frame["release_at"]) > now]
    if coming.empty:
        return []
    before = current.sources.set_index("source_id")["release_at"] if len(current.sources) else pd.Series(dtype=object)
    released = [sid for sid in coming["source_id"] if sid in before.index and not (pd.to_datetime(before[sid]) > now)]
    if not released:
        return []
    in_use = facts_in_use()
    issues = []
    for _, row in coming[coming["source_id"].isin(released)].iterrows():
        rows = in_use[in_use["source_id"] == row["source_id"]]
        if len(rows):
            issues.append(
                Issue(
                    file,
                    int(row[ROW_COLUMN]),
                    "release_at",
                    "embargo_after_release",
                    str(row["release_at"]),
                    f"source {row['source_id']} is released already and {_places(rows)} give figures from it: an "
                    "embargo cannot take back what has been served (publish a correction instead)",
                )
            )
    return issues


def _names_once(file: str, frame: pd.DataFrame, code_column: str) -> list[Issue]:
    """Each name (the code itself, name_zh and every alias, read as layouts and the extractor read labels) names one
    code: an alias equal to another row's name or alias would let a table or a bulletin put a figure under the wrong
    code."""
    first: dict[str, tuple[str, int, str]] = {}  # name → (code, line, column) of its first use
    issues = []
    for _, row in frame.iterrows():
        code, line = str(row[code_column]), int(row[ROW_COLUMN])
        aliases = None if pd.isna(row.get("aliases")) else str(row["aliases"])
        for column, name, key in catalogue_names(code, row["name_zh"], aliases):
            column = code_column if column == "code" else column
            if key in first and first[key][0] != code:
                other, other_line, other_column = first[key]
                issues.append(
                    Issue(
                        file,
                        line,
                        column,
                        "name_taken",
                        str(name),
                        f"{name!r} already names {other} (line {other_line}, {other_column}): a name names one "
                        f"{code_column.split('_')[0]}; drop it here or there",
                    )
                )
            first.setdefault(key, (code, line, column))
    return issues


def _unreadable_ranges(file: str, frame: pd.DataFrame) -> list[Issue]:
    """Each indicator's ranges by level read (the format is GX's rule; this, what a pattern cannot say: a range
    running downwards, a level given twice)."""
    issues = []
    for _, row in frame.iterrows():
        try:
            parse_range_by_level(row.get("range_by_level"))
        except RangeError as exc:
            issues.append(
                Issue(file, int(row[ROW_COLUMN]), "range_by_level", "range_by_level", str(row["range_by_level"]), str(exc))
            )
    return issues


def _indicators_under_facts(file: str, frame: pd.DataFrame, in_use: pd.DataFrame, levels: dict[str, str]) -> list[Issue]:
    issues = []
    for _, new in frame.iterrows():
        rows = in_use[in_use["indicator_code"] == new["indicator_code"]]
        if rows.empty:
            continue
        line, code = int(new[ROW_COLUMN]), new["indicator_code"]

        def refuse(column: str, value: str, message: str, line: int = line) -> None:
            issues.append(Issue(file, line, column, IN_USE, value, message))

        other_units = rows[rows["unit"] != new["unit"]]
        if len(other_units):
            refuse(
                "unit",
                str(new["unit"]),
                f"{code}'s unit changes to {new['unit']!r} while {_places(other_units)} are in "
                f"{sorted(set(other_units['unit']))}: never mixed units; give the new unit a new indicator code",
            )
        observed = rows[rows["family"] == "observations"]
        other_types = observed[observed["value_type"] != new["value_type"]]
        if len(other_types):
            refuse(
                "value_type",
                str(new["value_type"]),
                f"{code}'s value type changes while {_places(other_types)} are {sorted(set(other_types['value_type']))}",
            )
        try:
            by_level = parse_range_by_level(new.get("range_by_level"))
        except RangeError:  # reported by _unreadable_ranges
            by_level = {}
        bounds = [range_for(by_level, levels.get(region), new["range_min"], new["range_max"]) for region in rows["region_code"]]
        low, high = [b[0] for b in bounds], [b[1] for b in bounds]
        outside = rows[(rows["lo"] < low) | (rows["hi"] > high)]
        if len(outside):
            refuse(
                "range_min",
                f"{new['range_min']}..{new['range_max']}" + (f" ({new['range_by_level']})" if by_level else ""),
                f"{code}'s new range excludes {_places(outside)} (values {outside['lo'].min()}..{outside['hi'].max()})",
            )
        earliest = new.get("earliest_year")
        earliest = DEFAULT_EARLIEST_YEAR if earliest is None or pd.isna(earliest) else int(earliest)
        early = observed[observed["first_year"] < earliest]
        if len(early):
            refuse(
                "earliest_year",
                str(earliest),
                f"{code}'s earliest year excludes {_places(early)} (from {int(early['first_year'].min())})",
            )
    return issues


def check_catalogue(
    family: Family,
    file: str,
    frame: pd.DataFrame,
    current: Catalogue,
    facts_in_use: FactsInUse,
    today: date | None = None,
) -> list[Issue]:
    """Issues of a catalogue file that passed its own row rules, checked as a whole and against the facts in use.

    `current` is the catalogue in force; `facts_in_use()` what the served facts use, called only when a check needs
    it (it scans every served fact: seconds at 10^7): a region or source version that removes nothing in force
    does not, an indicator version always does (any edit of a definition may contradict the facts under it)."""
    today = today or date.today()
    if family.name == "regions":
        return (
            _regions(file, frame)
            + _names_once(file, frame, "region_code")
            + _removed_in_use(file, "region_code", frame, facts_in_use, "region", served=current.region_codes)
        )
    if family.name == "sources":
        return (
            _sources(file, frame, today)
            + _removed_in_use(file, "source_id", frame, facts_in_use, "source", served=current.source_ids)
            + _embargo_over_served(file, frame, current, facts_in_use, clock.now_utc())
        )
    if family.name == "indicators":
        if refused := _unreadable_ranges(file, frame) + _names_once(file, frame, "indicator_code"):
            return refused
        return (
            _removed_in_use(file, "indicator_code", frame, facts_in_use, "indicator")
            + _indicators_under_facts(file, frame, facts_in_use(), current.region_levels)
            + _breakdowns_of(file, frame, current)
        )
    if family.name == "breakdowns":
        return _names_once(file, frame.assign(_part=frame["dimension"] + "=" + frame["code"]), "_part")
    return []


def _breakdowns_of(file: str, frame: pd.DataFrame, current: Catalogue) -> list[Issue]:
    """A split indicator declared a breakdown of another (breakdown_of, breakdown) names an indicator of this file that
    is not itself a breakdown, in the same unit and value type, and parts the breakdown catalogue has."""
    by_code = frame.set_index("indicator_code")
    issues = []

    def refuse(row, column: str, message: str) -> None:
        issues.append(Issue(file, int(row[ROW_COLUMN]), column, "breakdown_of", str(row[column]), message))

    for _, row in frame[frame["breakdown_of"].notna() | frame["breakdown"].notna()].iterrows():
        parent = row["breakdown_of"]
        if pd.isna(parent) or pd.isna(row["breakdown"]):
            refuse(row, "breakdown_of", "breakdown_of and breakdown go together: the indicator and the part this one is")
            continue
        if parent not in by_code.index or pd.notna(by_code.loc[parent, "breakdown_of"]):
            refuse(row, "breakdown_of", f"{parent} is not an indicator of the catalogue that has figures of its own")
            continue
        for column in ("unit", "value_type"):
            if by_code.loc[parent, column] != row[column]:
                refuse(
                    row,
                    column,
                    f"{row['indicator_code']} has {column} {row[column]!r}, its total {parent} {by_code.loc[parent, column]!r}",
                )
        try:
            parts = parse_breakdown(str(row["breakdown"]))
        except ValueError as exc:
            refuse(row, "breakdown", str(exc))
            continue
        for dim, code in parts.items():
            if code not in current.breakdown_codes.get(dim, ()):
                refuse(row, "breakdown", f"{dim}={code} is not in the breakdown catalogue (catalogue/breakdowns.csv)")
    return issues


def duplicates_across_files(family: Family, frames: dict[str, pd.DataFrame]) -> dict[str, list[Issue]]:
    """Per file, an issue for each row whose key another file also defines."""
    key = list(family.key)
    stacked = (
        pd.concat([f[[*key, ROW_COLUMN]].assign(_file=name) for name, f in frames.items()], ignore_index=True) if frames else None
    )
    if stacked is None or stacked.empty:
        return {}
    files_per_key = stacked.groupby(key)["_file"].nunique()
    shared = stacked.set_index(key).loc[files_per_key[files_per_key > 1].index].reset_index()
    out: dict[str, list[Issue]] = {}
    for values, rows in shared.groupby(key):
        values = values if isinstance(values, tuple) else (values,)
        for _, row in rows.iterrows():
            others = [f"{r['_file']} line {int(r[ROW_COLUMN])}" for _, r in rows.iterrows() if r["_file"] != row["_file"]]
            out.setdefault(row["_file"], []).append(
                Issue(
                    row["_file"],
                    int(row[ROW_COLUMN]),
                    ",".join(key),
                    "duplicate_across_files",
                    "|".join(map(str, values)),
                    f"also defined in {', '.join(others)}: one definition per {'/'.join(key)} in the whole raw folder",
                )
            )
    return out


def check_against_catalogue(layout: Layout, indicators: set[str], regions: set[str], sources: set[str]) -> list[str]:
    """Codes the layout names that the catalogue does not have (checked whenever the layout or the catalogue changes)."""
    known = {"indicator_code": indicators, "region_code": regions, "source_id": sources}
    named: list[tuple[str, str, str]] = [(f"fixed.{k}", k, v) for k, v in layout.fixed.items()]
    named += [(f"columns.{c.letter}.{k}", k, v) for c in layout.columns for k, v in c.sets.items()]
    named += [(f"columns.{c.first}:.{k}", k, v) for c in layout.column_ranges for k, v in c.sets.items()]
    named += [(f"footnotes.{m}.{k}", k, v) for m, spec in layout.footnotes.items() for k, v in spec.items()]
    named += [(f"indicators.{code}.{k}", k, v) for code, spec in layout.indicators.items() for k, v in spec.items()]
    named += [(f"regions.{code}", "region_code", v) for code, v in layout.regions.items()]
    if layout.rows and layout.rows.means != "period":
        key = f"{layout.rows.means}_code"
        named += [(f"labels.{label}", key, code) for label, code in layout.labels.items()]
    return [
        f"{where}: {value!r} is not in the catalogue ({key})"
        for where, key, value in named
        if key in known and value not in known[key]
    ]
