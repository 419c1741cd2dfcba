"""One layer order, read from the source (no import): a module imports only its own room and the rooms below it.

From the bottom: the domain (families, periods, units, issues, rule texts) and the settings; dbt_tools (the dbt
child and what a build must recompute); the store (the warehouse); the readers; validation; reconciliation; then
side by side publishing, the report, the bulletin extractor and the engines; then the Dagster layer (defs/, and
definitions.py, the code location); on top the commands a person runs. Every import counts, at the top of a module or inside a function, so that no loop is hidden
by moving an import into a function. README's "Layout" section lists the rooms.
"""

from __future__ import annotations

import ast
from pathlib import Path

from orchestration import settings

PACKAGE = settings.REPO_ROOT / "orchestration"

# room -> its layer; a room may import rooms of a lower layer and itself, never one of its own layer or above.
LAYERS = {
    "domain": 0,
    "settings": 0,
    "dbt_tools": 1,
    "store": 2,
    "read": 3,
    "validate": 4,
    "reconcile": 5,
    "sdmx": 5,  # the SDMX structures, ledger and files the publication writes (docs/sdmx.md)
    "publish": 6,
    "reporting": 6,
    "bulletins": 6,
    "engines": 6,
    "defs": 7,
    "definitions": 8,  # the code location: the Dagster layer's resources added to what defs/ declares
    "commands": 9,
}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _room(module: str) -> str:
    return module.split(".")[1] if module.count(".") else "orchestration"


def import_graph() -> dict[str, set[str]]:
    """Each orchestration module -> the orchestration modules it imports, wherever the import stands."""
    modules = {_module(path): path for path in PACKAGE.rglob("*.py")}
    graph = {}
    for module, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("orchestration"):
                for alias in node.names:  # `from orchestration.read import reading` imports the module reading
                    found.add(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("orchestration"))
        graph[module] = {m for m in found if m in modules and m != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import loops (strongly connected components of more than one module), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while (top := stack.pop()) != node:
                component.append(top)
            if component:
                found.append(sorted([node, *component]))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def upward(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{module} -> {other}"
        for module, others in graph.items()
        for other in others
        if _room(other) != _room(module) and LAYERS[_room(other)] >= LAYERS[_room(module)]
    )


def test_every_room_has_a_layer():
    assert {_room(m) for m in import_graph()} - {"orchestration"} == set(LAYERS)


def test_no_import_loop():
    assert cycles(import_graph()) == []


def test_no_import_runs_upward_or_sideways():
    assert upward(import_graph()) == []


def test_the_checks_catch_a_loop_and_an_upward_import():
    """The checks themselves: a store module importing a command is both a loop and an upward import."""
    graph = import_graph()
    graph["orchestration.store.backups"] = graph["orchestration.store.backups"] | {"orchestration.commands.restore"}
    assert any({"orchestration.commands.restore", "orchestration.store.backups"} <= set(loop) for loop in cycles(graph))
    assert upward(graph) == ["orchestration.store.backups -> orchestration.commands.restore"]


def test_the_domain_imports_nothing_else_of_orchestration():
    graph = import_graph()
    assert {"orchestration.domain.families", "orchestration.domain.issues", "orchestration.domain.parsing"} <= set(graph)
    assert {m: o for m, o in graph.items() if _room(m) == "domain" and {_room(x) for x in o} - {"domain"}} == {}
