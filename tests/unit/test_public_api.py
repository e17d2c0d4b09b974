"""The public API is typed and visible: mypy and IDEs see each lazy name's real signature.

Every package ``__init__`` lists its lazy names in one table and repeats them as
``TYPE_CHECKING`` imports (the static view); :func:`mlops_jupyter._lazy.attach` serves the
table at run time. These tests keep the two views equal and ask mypy itself what
``mj.drift`` is.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import mlops_jupyter
from mlops_jupyter import _lazy

ROOT = Path(mlops_jupyter.__file__).resolve().parent.parent


def _lazy_packages() -> list[tuple[str, str]]:
    """(package, table name) for every ``__init__`` that calls ``attach(__name__, TABLE)``."""
    found = []
    for init in sorted((ROOT / "mlops_jupyter").rglob("__init__.py")):
        for node in ast.walk(ast.parse(init.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "attach"
                    and len(node.args) == 2 and isinstance(node.args[1], ast.Name)):
                package = ".".join(init.relative_to(ROOT).parent.parts)
                found.append((package, node.args[1].id))
    return found


def _static_view(package: str) -> dict[str, str]:
    """Names imported under ``if TYPE_CHECKING:`` in ``package``'s ``__init__`` → absolute module."""
    init = ROOT.joinpath(*package.split("."), "__init__.py")
    view: dict[str, str] = {}
    for node in ast.walk(ast.parse(init.read_text())):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom), f"{package}: only imports belong in the static view"
                module = importlib.util.resolve_name("." * stmt.level + (stmt.module or ""), package)
                for alias in stmt.names:
                    assert alias.asname == alias.name, f"{package}: write `import {alias.name} as {alias.name}` (a re-export)"
                    view[alias.name] = module
    return view


def test_every_hand_written_lazy_init_uses_the_one_helper() -> None:
    packages = dict(_lazy_packages())
    assert {"mlops_jupyter", "mlops_jupyter.export", "mlops_jupyter.monitoring", "mlops_jupyter.release",
            "mlops_jupyter.serving", "mlops_jupyter.testing", "mlops_jupyter.tracking",
            "mlops_jupyter.validation"} <= set(packages)
    for init in (ROOT / "mlops_jupyter").rglob("__init__.py"):
        tree = ast.parse(init.read_text())
        defs = [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        assert "__getattr__" not in defs, f"{init}: use mlops_jupyter._lazy.attach instead of a hand-written __getattr__"


@pytest.mark.parametrize(("package", "table"), _lazy_packages())
def test_lazy_table_and_static_view_name_the_same_objects(package: str, table: str) -> None:
    module = importlib.import_module(package)
    names: dict[str, str] = getattr(module, table)
    view = _static_view(package)
    assert set(view) == set(names), f"{package}: add `from MODULE import NAME as NAME` under TYPE_CHECKING for each entry of {table}"
    assert set(names) <= set(module.__all__)
    assert set(names) <= set(dir(module))
    for name, where in view.items():
        defined = importlib.import_module(where)
        real = _lazy.resolve(where, name) if name in _lazy._TABLES.get(where, {}) else getattr(defined, name)
        assert _lazy.resolve(package, name) is real, f"{package}.{name}"
        if f"{package}.{name}" not in sys.modules:  # else the attribute is that submodule (see below)
            assert getattr(module, name) is real, f"{package}.{name}"


# The modules that define mj.promote and mj.rehearse (named promote.py / rehearse.py until
# this test found them shadowing their functions once imported).
DEFINING = ("mlops_jupyter.release.promotion", "mlops_jupyter.export.rehearsal")


def test_no_module_of_the_package_shadows_a_public_name() -> None:
    # Importing mlops_jupyter/NAME.py sets the attribute mlops_jupyter.NAME to that module,
    # whatever the lazy table says: mj.NAME would then be a module (why drift/ became
    # drift_detection/). Name the module otherwise, as in drift_detection.
    names = set(mlops_jupyter._API)
    modules = {p.stem for p in (ROOT / "mlops_jupyter").glob("*.py")}
    packages = {p.parent.name for p in (ROOT / "mlops_jupyter").glob("*/__init__.py")}
    assert names & (modules | packages) == set()
    # nor in the topic packages: `from mlops_jupyter.export import rehearse` is the function
    shadowed = set()
    for package, table in _lazy_packages():
        folder = ROOT.joinpath(*package.split("."))
        for name in getattr(importlib.import_module(package), table):
            if (folder / f"{name}.py").exists() or (folder / name / "__init__.py").exists():
                shadowed.add(f"{package}.{name}")
    assert shadowed == set()


def test_public_names_stay_functions_after_their_modules_are_imported() -> None:
    script = textwrap.dedent(
        f"""
        import importlib
        for name in {DEFINING!r}:
            importlib.import_module(name)
        import mlops_jupyter as mj
        from mlops_jupyter.export import rehearse
        from mlops_jupyter.release import promote
        print(callable(mj.promote), callable(mj.rehearse), callable(promote), callable(rehearse))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "True", "True", "True"]


@pytest.mark.slow  # seconds with the cache `make lint` leaves; a cold mypy cache takes minutes
def test_mypy_reveals_real_signatures_of_the_public_api(tmp_path: Path) -> None:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(textwrap.dedent(
        """
        import mlops_jupyter as mj
        from mlops_jupyter.release import promote

        reveal_type(mj.drift)
        reveal_type(mj.validate)
        reveal_type(mj.track)
        reveal_type(promote)
        mj.not_a_public_name
        """
    ))
    env = {**os.environ, "MYPYPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
         "--cache-dir", str(ROOT / ".mypy_cache"), "--no-error-summary", "--hide-error-context", str(snippet)],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=900,
    )
    revealed = {}
    errors = []
    for line in out.stdout.splitlines():
        # by file name: mypy's incremental cache may report an unchanged snippet under the
        # path of an earlier run's copy
        found = re.match(r"^(?:.*[/\\])?snippet\.py:(\d+):", line)
        lineno = int(found.group(1)) if found else 0
        if "Revealed type is" in line:
            revealed[lineno] = line.split("Revealed type is ", 1)[1].strip('"')
        elif ": error:" in line:
            errors.append((lineno, line))
    assert len(revealed) == 4, out.stdout + out.stderr
    drift, validate, track, promote = (revealed[n] for n in sorted(revealed))
    assert drift.startswith("def (reference: Any, current: Any =, columns: typing.Sequence[str] | None =, method: str =")
    assert drift.endswith("-> mlops_jupyter.drift_detection.report.DriftReport | mlops_jupyter.drift_detection.report.DriftTimeline")
    assert validate.startswith("def (data: Any, rules: str | list[str] | None =, suite: str | mlops_jupyter.validation.suites.Suite | None =, *, warn_only: bool =")
    assert validate.endswith("-> mlops_jupyter.validation.report.ValidationReport")
    assert track.startswith("def (name: str | None =, experiment: str | None =")
    assert promote.startswith("def (model: str, candidate:"), promote
    assert promote.endswith("-> mlops_jupyter.release.decision.Decision"), promote
    # a misspelt name is an error, not Any
    assert [n for n, _ in errors] == [9], errors
    assert 'Module has no attribute "not_a_public_name"' in errors[0][1]
