"""No two engine modules import each other: not at the top, not lazily inside a function, not
under TYPE_CHECKING (issue 27: loop.py <-> hooks.py). Read from the source, so every import counts."""

from __future__ import annotations

import ast
from pathlib import Path

import overfit_tui.engine

ENGINE = Path(overfit_tui.engine.__file__).parent


def _imports(path: Path) -> set[str]:
    """The engine modules a file imports anywhere in its body."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("overfit_tui.engine."):
            out.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            out |= {a.name.split(".")[2] for a in node.names if a.name.startswith("overfit_tui.engine.")}
    return out


def test_no_engine_module_imports_one_that_imports_it():
    graph = {p.stem: _imports(p) for p in ENGINE.glob("*.py")}
    assert graph["loop"] >= {"hooks", "fused"}  # the reader sees the imports it should
    cycles = sorted((a, b) for a, deps in graph.items() for b in deps if a < b and a in graph.get(b, set()))
    assert cycles == []
    seen: dict[str, int] = {}  # and no longer cycle either (depth-first search, 1 = on the path)

    def visit(m: str, path: list[str]) -> None:
        seen[m] = 1
        for d in graph.get(m, ()):
            assert seen.get(d) != 1, f"import cycle: {' -> '.join([*path, d])}"
            if d not in seen:
                visit(d, [*path, d])
        seen[m] = 2

    for m in graph:
        if m not in seen:
            visit(m, [m])


def test_resolve_device_is_gone():
    import overfit_tui.engine.device as device

    assert not hasattr(device, "resolve_device")
