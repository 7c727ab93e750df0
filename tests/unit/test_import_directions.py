"""The import directions of the house style, checked on every module (../shared/STYLE.md).

`app/domain` imports nothing of ours; services and db never reach up into an entry point
or the composition root; the entry points (GraphQL, /v1, the consumers) never import each
other; and only the composition root (`app/asgi.py`, `app/cli/`, `app/runtime.py`) wires
entry points together. Imports inside functions and under TYPE_CHECKING count too.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
OURS = ("app", "graphql_schema", "consumers")
ENTRY_POINTS = ("graphql_schema", "consumers", "app.rest")
COMPOSITION_ROOT = ("app.asgi", "app.cli", "app.runtime")


def _under(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPOSITORY).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Iterator[str]:
    """Every module a file imports (relative imports resolved), ours or not."""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package.pop()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            yield module
            # `from app.services import sales` imports the module app.services.sales.
            yield from (f"{module}.{alias.name}" for alias in node.names)


def _graph() -> dict[str, set[str]]:
    return {
        _module_name(path): {name for name in _imports(path) if _under(name, *OURS)}
        for root in OURS
        for path in sorted((REPOSITORY / root).rglob("*.py"))
    }


GRAPH = _graph()


def _violations(importers: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if _under(module, *importers)
        for target in targets
        if _under(target, *forbidden)
    )


def test_the_checker_sees_every_layer() -> None:
    # Guards the test itself: were the walk to find nothing, every rule would pass.
    assert {"app.domain.sale", "app.services.sales.payments", "consumers.payments"} <= set(GRAPH)
    assert "app.domain.sale" in GRAPH["app.services.sales.payments"]


def test_the_domain_imports_nothing_of_ours_but_itself() -> None:
    assert [
        f"{module} imports {target}"
        for module, targets in sorted(GRAPH.items())
        if _under(module, "app.domain")
        for target in sorted(targets)
        if not _under(target, "app.domain")
    ] == []


@pytest.mark.parametrize("layer", ["app.services", "app.db"])
def test_services_and_db_never_import_an_entry_point_or_the_composition_root(layer: str) -> None:
    assert _violations((layer,), ENTRY_POINTS + COMPOSITION_ROOT) == []


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_entry_points_never_import_each_other(entry_point: str) -> None:
    others = tuple(e for e in ENTRY_POINTS if e != entry_point)
    assert _violations((entry_point,), others) == []


def test_only_the_composition_root_imports_the_entry_points() -> None:
    outside = [
        f"{module} imports {target}"
        for module, targets in sorted(GRAPH.items())
        if not _under(module, *COMPOSITION_ROOT)
        for target in sorted(targets)
        for entry_point in ENTRY_POINTS
        if _under(target, entry_point) and not _under(module, entry_point)
    ]
    assert outside == []
