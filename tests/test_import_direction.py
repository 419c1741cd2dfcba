"""Imports go one way: ingest → store → schema. The store keeps what ingest finds but never imports it back, and
the schema (families, issues, catalogue) imports nothing else of orchestration's. Read from the source: no import."""

from __future__ import annotations

import ast
from pathlib import Path

from orchestration import settings

PACKAGE = settings.REPO_ROOT / "orchestration"


def _imports(folder: str) -> dict[str, set[str]]:
    """Module file -> the orchestration modules it imports (at the top or inside a function)."""
    out = {}
    for path in sorted((PACKAGE / folder).glob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        out[str(Path(folder) / path.name)] = {n for n in names if n.startswith("orchestration.")}
    return out


def test_the_store_does_not_import_ingest():
    found = {
        module: sorted(n for n in names if n.startswith("orchestration.ingest")) for module, names in _imports("store").items()
    }
    assert found and not {m: n for m, n in found.items() if n}


def test_the_schema_imports_nothing_else_of_orchestration():
    found = {m: sorted(n for n in names if not n.startswith("orchestration.schema")) for m, names in _imports("schema").items()}
    assert {"schema/families.py", "schema/issues.py", "schema/catalogue.py"} <= set(found)
    assert not {m: n for m, n in found.items() if n}
