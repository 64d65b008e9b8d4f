"""The dashboard's pages run in several threads, so first imports happen concurrently: a
module-level import cycle (a package __init__ importing its own submodules is one) can hand a
thread a partially initialised module (netlib/lazy.py). None may exist."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("netlib", "runlayer", "figures", "app")


def _module_imports() -> dict[str, set[str]]:
    """Module -> the project modules it imports at module level (not inside functions)."""
    found: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            deps: set[str] = set()
            for node in ast.parse(path.read_text()).body:
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    deps |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
                elif isinstance(node, ast.Import):
                    deps |= {a.name for a in node.names}
            found[name] = deps
    return {m: {d for d in deps if d in found and d != m} for m, deps in found.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    state: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                out.append([*stack[stack.index(d) :], d])
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    return out


def test_no_module_level_import_cycles():
    graph = _module_imports()
    assert len(graph) > 50  # every module was read
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_package_that_imports_its_own_submodule():
    graph = {"pkg": {"pkg.a"}, "pkg.a": {"pkg"}, "other": set()}
    assert _cycles(graph) == [["pkg", "pkg.a", "pkg"]]


def test_packages_still_offer_their_names():
    import figures
    import runlayer
    from netlib.data import DataError

    assert runlayer.RunRegistry.__module__ == "runlayer.registry"
    assert callable(figures.loss_curve) and DataError.__module__ == "netlib.data.dataset"
    assert set(figures.__all__) >= {"loss_curve", "stack_diagram", "layer_maps_figure"}
