"""The layers hold: every module imports; the core never imports ``display/`` at module level
(result classes reach their views through the registry); no import circle between modules
or topic packages at module level; the circles issue 15 named stay broken at any level;
and every result class has its text and HTML views registered.

A quick guard read from the source (AST), next to the import-linter contracts."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import mlops_jupyter

PKG = Path(mlops_jupyter.__file__).parent
SURFACES = {"magics", "cli", "server", "display", "widgets", "labextension"}


def _name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted(PKG.rglob("*.py")) if "labextension" not in p.parts}


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _target(module: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    """The mlops_jupyter modules an import statement loads (``from . import x`` loads ``pkg.x``)."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
        mod = ".".join([*base, node.module] if node.module else base)
        names = [mod, *(f"{mod}.{a.name}" for a in node.names)]
    out = []
    for n in names:
        while n and n not in MODULES:
            n = n.rpartition(".")[0]
        if n.startswith("mlops_jupyter"):
            out.append(n)
    return out


def imports(module: str, module_level: bool = True) -> set[str]:
    """The package modules ``module`` imports: at module level (not inside functions, not
    under ``if TYPE_CHECKING:``), or anywhere with ``module_level=False``."""
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node):
                visit(node.orelse)
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found.update(_target(module, node))
            if module_level and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if isinstance(node, ast.ClassDef):
                    visit([s for s in node.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))])
                continue
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    visit([child])
                elif isinstance(child, ast.ExceptHandler):
                    visit(child.body)

    visit(ast.parse(MODULES[module].read_text(encoding="utf-8")).body)
    found.discard(module)
    return found


def topic(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "mlops_jupyter"


def is_core(module: str) -> bool:
    return topic(module) not in SURFACES and module != "mlops_jupyter" and not module.endswith("__main__")


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (a depth-first search with colours), or None."""
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def dfs(v: str) -> list[str] | None:
        state[v] = 1
        path.append(v)
        for w in sorted(graph.get(v, ())):
            if state.get(w) == 1:
                return [*path[path.index(w):], w]
            if w not in state and (cycle := dfs(w)):
                return cycle
        path.pop()
        state[v] = 2
        return None

    for v in sorted(graph):
        if v not in state and (cycle := dfs(v)):
            return cycle
    return None


def test_every_module_imports() -> None:
    names = [m.name for m in pkgutil.walk_packages(mlops_jupyter.__path__, "mlops_jupyter.")
             if not m.name.endswith("__main__")]
    assert set(names) >= {m for m in MODULES if m != "mlops_jupyter" and not m.endswith("__main__")}
    for name in names:
        importlib.import_module(name)


def test_core_never_imports_display_at_module_level() -> None:
    bad = {m: sorted(t for t in imports(m) if topic(t) == "display") for m in MODULES if is_core(m)}
    assert {m: t for m, t in bad.items() if t} == {}


def test_results_reach_display_only_through_the_registry() -> None:
    # the mixin (mlops_jupyter._views) is the one core module that asks display/ for views
    bad = {m: sorted(t for t in imports(m, module_level=False) if topic(t) == "display")
           for m in MODULES if is_core(m) and m != "mlops_jupyter._views"}
    assert {m: t for m, t in bad.items() if t} == {}


def test_no_import_cycle_between_modules_at_module_level() -> None:
    assert find_cycle({m: imports(m) for m in MODULES}) is None


def test_no_import_cycle_between_topic_packages_at_module_level() -> None:
    graph: dict[str, set[str]] = {}
    for m in MODULES:
        if m == "mlops_jupyter":  # the lazy public API names every topic
            continue
        graph.setdefault(topic(m), set()).update(topic(t) for t in imports(m) if topic(t) != topic(m))
    assert find_cycle(graph) is None


@pytest.mark.parametrize(("source", "target"), [
    ("mlops_jupyter.data.", "mlops_jupyter.display."),
    ("mlops_jupyter.drift_detection.summary", "mlops_jupyter.drift_detection.engine"),
    ("mlops_jupyter.drift_detection.stats", "mlops_jupyter.drift_detection.engine"),
    ("mlops_jupyter.export.build", "mlops_jupyter.export.rehearsal"),
    ("mlops_jupyter.diagnosis", "mlops_jupyter.display."),
])
def test_the_named_circles_stay_broken_at_any_level(source: str, target: str) -> None:
    edges = {(m, t) for m in MODULES if m.startswith(source) for t in imports(m, module_level=False)
             if t.startswith(target) or t == target.rstrip(".")}
    assert edges == set()


def test_the_guard_sees_imports() -> None:
    # the guard must be able to fail: a known module-level and a known lazy import
    assert "mlops_jupyter.display.html" in imports("mlops_jupyter.display.data")
    assert "mlops_jupyter.display.registry" not in imports("mlops_jupyter._views")
    assert "mlops_jupyter.display.registry" in imports("mlops_jupyter._views", module_level=False)
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_every_result_class_has_text_and_html_views() -> None:
    from mlops_jupyter._views import Viewable
    from mlops_jupyter.display.registry import registered

    for name in MODULES:
        if not name.endswith("__main__"):
            importlib.import_module(name)
    views = registered()

    def subclasses(cls: type) -> list[type]:
        return [c for s in cls.__subclasses__() for c in (s, *subclasses(s))]

    results = {f"{c.__module__}.{c.__qualname__}" for c in subclasses(Viewable) if c.__module__.startswith("mlops_jupyter")}
    assert len(results) >= 20
    assert {r: sorted(views.get(r, set())) for r in results if not {"text", "html"} <= views.get(r, set())} == {}
    # and every registered name is a class that exists (a renamed class would lose its views)
    for name in views:
        module, _, cls = name.rpartition(".")
        assert issubclass(getattr(importlib.import_module(module), cls), Viewable), name
