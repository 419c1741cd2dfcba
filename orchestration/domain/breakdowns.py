"""A figure's breakdown (sex, age group, urban / rural) as one key: `_T` for the total over every dimension, else the
dimensions it is broken down by with their codes, in the marts' column order (`sex=F`, `age=Y_LT15;urbanisation=R`).
Pure: the reader, the catalogue checks and the tests read it here."""

from __future__ import annotations

from orchestration.domain.families import BREAKDOWN_DIMENSIONS, TOTAL


def breakdown_key(codes: dict[str, str | None]) -> str:
    parts = [f"{dim}={codes[dim]}" for dim in BREAKDOWN_DIMENSIONS if codes.get(dim) not in (None, "", TOTAL)]
    return ";".join(parts) or TOTAL


def breakdown_keys(sex: list, age: list, urbanisation: list) -> list[str]:
    """breakdown_key of every row, columns given (the reader's bulk path)."""
    return [breakdown_key(dict(zip(BREAKDOWN_DIMENSIONS, row, strict=True))) for row in zip(sex, age, urbanisation, strict=True)]


def parse_breakdown(text: str) -> dict[str, str]:
    """`urbanisation=U;sex=F` → {dimension: code}; raises ValueError naming what is wrong."""
    codes: dict[str, str] = {}
    for part in (p.strip() for p in text.split(";") if p.strip()):
        dim, _, code = part.partition("=")
        dim, code = dim.strip(), code.strip()
        if dim not in BREAKDOWN_DIMENSIONS:
            raise ValueError(f"{dim!r} is not a breakdown dimension ({', '.join(BREAKDOWN_DIMENSIONS)})")
        if not code or code == TOTAL or dim in codes:
            raise ValueError(f"{part!r}: give each dimension once, with a code other than the total {TOTAL}")
        codes[dim] = code
    if not codes:
        raise ValueError("names no dimension")
    return codes
