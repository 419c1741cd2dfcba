"""The layouts in force for one refresh: every layout file of raw/catalogue/layouts/ is read and checked (format and
catalogue codes); an accepted new version is recorded in audit.layouts; a refused one is reported, and its last
accepted version (if any) keeps reading its files, as a refused catalogue leaves the previous catalogue in force.
A layout file that is deleted is no longer in force: the files it read are refused until a layout reads them again.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.domain.catalogue import Catalogue
from orchestration.read.layouts import Layout, LayoutError, LayoutSet, layout_files, parse_layout
from orchestration.store.warehouse import Warehouse
from orchestration.validate.catalogue_checks import check_against_catalogue


def resolve_layouts(
    warehouse: Warehouse, con: duckdb.DuckDBPyConnection, raw_root: Path, catalogue: Catalogue, run_id: str
) -> LayoutSet:
    accepted = warehouse.accepted_layouts(con)
    codes = (set(catalogue.indicators["indicator_code"]), set(catalogue.region_codes), set(catalogue.source_ids))
    layouts: list[Layout] = []
    refused: dict[str, list[str]] = {}
    kept: set[str] = set()
    for path in layout_files(raw_root):
        rel = path.relative_to(raw_root).as_posix()
        try:
            if path.is_symlink() or not path.is_file() or path.suffix.lower() not in (".yaml", ".yml"):
                raise LayoutError(["a layout is a .yaml file directly in catalogue/layouts/ (no links, no folders)"])
            try:
                text = path.read_bytes().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise LayoutError(["not UTF-8 text: save the layout as UTF-8"]) from None
            layout = parse_layout(text, rel)
            if problems := check_against_catalogue(layout, *codes):
                raise LayoutError(problems)
        except Exception as exc:  # a layout that cannot be read is that layout's refusal, never the refresh's failure
            refused[rel] = (
                exc.reasons if isinstance(exc, LayoutError) else [f"the layout cannot be read ({type(exc).__name__}: {exc})"]
            )
            if rel in accepted:
                layouts.append(parse_layout(accepted[rel][1], rel))
                kept.add(rel)
            continue
        if accepted.get(rel, (None, None))[0] != layout.sha256:
            warehouse.accept_layout(con, rel, layout.sha256, text, run_id)
        layouts.append(layout)
    return LayoutSet(tuple(layouts), refused, frozenset(kept))
