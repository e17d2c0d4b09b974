"""Run pytest on the test functions of one cell, against a live namespace.

How a cell becomes a test module:

- The cell's source is parsed, its asserts are rewritten by pytest's own
  ``rewrite_asserts`` and it is executed in a **fresh module object** per run. The module
  starts as a shallow copy of the namespace (so tests see the functions and data of
  earlier cells), without names that pytest would collect (``test*``/``Test*``), so tests
  from other cells or from the namespace never run here.
- The module is kept per cell identity (``cell_key``) in :data:`CELLS`, never in the user's
  namespace: a re-run replaces it, so renamed or deleted tests do not linger.
- Semantics of globals: rebinding a global in a test (``global x; x = 1``) changes the
  cell's module copy only; the next run starts again from the namespace. Objects are
  shared, not copied: a test that mutates a DataFrame of the namespace in place mutates
  the user's DataFrame (use a fixture that copies it).
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import io
import linecache
import os
import re
import signal
import tempfile
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import DependencyMissing, MlopsError, MlopsUsageError
from .report import TestCase, TestReport

CELLS: dict[str, types.ModuleType] = {}      # cell key -> its current test module
LAST_FAILED: dict[str, set[str]] = {}        # cell key -> names of tests that failed last run
_TEST_NAME = re.compile(r"^(test|Test)")
_SKIP_NAMES = {"In", "Out", "exit", "quit", "get_ipython", "__builtins__", "__name__",
               "__file__", "__loader__", "__spec__", "__package__", "__doc__"}


class TestCellError(MlopsError):
    """A test cell cannot be run (syntax error, no tests)."""

    __test__ = False


class TestsFailed(MlopsError):
    """Tests failed (raised by ``fail=True``); ``.report`` holds the report."""

    __test__ = False
    exit_code = 1
    http_status = 422

    def __init__(self, message: str, report: Any = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.report = report


class TestTimeout(Exception):
    """A test ran longer than the per-test timeout."""

    __test__ = False


def require_pytest() -> Any:
    """Import pytest or say which pip command installs it (one line)."""
    try:
        import pytest
    except ImportError:
        raise DependencyMissing("notebook tests need pytest, which is not installed",
                                hint="pip install 'mlops_jupyter[notebook-tests]'") from None
    return pytest


def cell_key(source: str, cell_id: str | None = None, name: str | None = None) -> str:
    """The identity of a test cell: its name, else its notebook cell id, else its source."""
    if name:
        return name
    if cell_id:
        return f"cell-{cell_id}"
    return "cell-" + hashlib.sha1(source.encode("utf-8")).hexdigest()[:10]


def _workdir() -> Path:
    path = Path(tempfile.gettempdir()) / f"mlops_tests_{os.getpid()}"
    path.mkdir(parents=True, exist_ok=True)
    ini = path / "pytest.ini"
    if not ini.exists():
        # an empty config: the project's addopts/conftests do not leak into cell tests
        ini.write_text("[pytest]\n", encoding="utf-8")
    return path


def _module_file(key: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_]", "_", key)
    return _workdir() / f"test_mlops_{safe}.py"


_CODE_CACHE: dict[tuple[str, str], Any] = {}  # (filename, source) -> rewritten code, like pytest's .pyc
_CODE_CACHE_SIZE = 64


def compile_cell(source: str, filename: str, key: str, first_line: int = 1) -> Any:
    """Parse and rewrite the asserts of a cell; a syntax error is a one-line TestCellError.
    Unchanged cells reuse their rewritten code (pytest caches rewritten modules as .pyc)."""
    from _pytest.assertion.rewrite import rewrite_asserts

    cached = _CODE_CACHE.get((filename, source))
    if cached is not None:
        return cached
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as exc:
        line = (exc.lineno or 1) + first_line - 1
        raise TestCellError(f"syntax error in test cell {key}, line {line}: {exc.msg}",
                            hint="fix the cell and run it again") from None
    rewrite_asserts(tree, source.encode("utf-8"), module_path=None, config=None)
    code = compile(tree, filename, "exec")
    if len(_CODE_CACHE) >= _CODE_CACHE_SIZE:
        _CODE_CACHE.pop(next(iter(_CODE_CACHE)))
    _CODE_CACHE[(filename, source)] = code
    return code


def _fresh_module(key: str, source: str, namespace: dict[str, Any], first_line: int) -> tuple[types.ModuleType, Any]:
    """A new module over a copy of ``namespace`` and the cell's code (executed by pytest's
    collection, so an error at import shows as a collection error of the cell)."""
    path = _module_file(key)
    path.write_text(source, encoding="utf-8")
    filename = str(path)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    code = compile_cell(source, filename, key, first_line)
    module = types.ModuleType(path.stem)
    module.__file__ = filename
    for k, v in namespace.items():
        if k in _SKIP_NAMES or k.startswith("_i") or _TEST_NAME.match(k) or re.fullmatch(r"_+\d*", k):
            continue
        module.__dict__[k] = v
    return module, code


def _make_collector(pytest: Any, module: types.ModuleType, code: Any, lf: set[str] | None,
                    timeout: float | None, key: str, first_line: int) -> Any:
    """pytest plugin: serve the in-memory module, filter --lf, time-box and record tests."""

    class CellModule(pytest.Module):
        def _getobj(self) -> Any:
            exec(code, module.__dict__)
            return module

    class Collector:
        def __init__(self) -> None:
            self.cases: list[TestCase] = []
            self.collect_errors: list[str] = []

        def pytest_pycollect_makemodule(self, module_path: Path, parent: Any) -> Any:
            if str(module_path) != module.__file__:
                return None
            return CellModule.from_parent(parent, path=module_path)

        def pytest_collection_modifyitems(self, session: Any, config: Any, items: list[Any]) -> None:
            if lf:
                keep = [i for i in items if _short(i.nodeid) in lf]
                if keep:  # like pytest --lf: nothing failed before, run everything
                    config.hook.pytest_deselected(items=[i for i in items if i not in keep])
                    items[:] = keep

        def pytest_collectreport(self, report: Any) -> None:
            if report.failed:
                self.collect_errors.append(str(report.longreprtext))

        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_call(self, item: Any) -> Any:
            with _time_box(item.name, timeout):
                return (yield)

        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_makereport(self, item: Any, call: Any) -> Any:
            rep = yield
            if call.excinfo is not None:
                line = None
                for entry in call.excinfo.traceback:
                    if str(entry.path) == module.__file__:
                        line = entry.lineno + first_line  # entry.lineno is 0-based
                rep.mlops_line = line
                rep.mlops_exc = call.excinfo.exconly()
            return rep

        def pytest_runtest_logreport(self, report: Any) -> None:
            if report.when == "call" or (report.when in ("setup", "teardown") and not report.passed):
                if report.skipped:
                    outcome = "skipped"
                elif report.when != "call" and report.failed:
                    outcome = "error"
                else:
                    outcome = report.outcome
                self.cases.append(_case(report, _short(report.nodeid), outcome, key))

    return Collector()


@contextlib.contextmanager
def _time_box(name: str, limit: float | None) -> Iterator[None]:
    """Raise :class:`TestTimeout` in the test after ``limit`` seconds (main thread only)."""
    if not limit or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _expired(signum: int, frame: Any) -> None:
        __tracebackhide__ = True
        raise TestTimeout(f"{name} timed out after {limit:g} s")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _short(nodeid: str) -> str:
    return nodeid.split("::", 1)[-1]


def _case(report: Any, name: str, outcome: str, key: str) -> TestCase:
    message, diff, longrepr = "", "", ""
    if outcome == "skipped":
        lr = report.longrepr
        message = lr[2] if isinstance(lr, tuple) and len(lr) == 3 else str(lr)
        message = message.removeprefix("Skipped: ")
    elif outcome in ("failed", "error"):
        longrepr = str(report.longreprtext)
        exc = getattr(report, "mlops_exc", "") or ""
        exc = re.sub(r"^(?:\w+\.)+(\w+: )", r"\1", exc)  # pkg.mod.TestTimeout: -> TestTimeout:
        first, _, rest = exc.partition("\n")
        message, diff = first, exc if rest else ""
    return TestCase(name=name, outcome=outcome, cell=key, duration=float(report.duration),
                    message=message, diff=diff, line=getattr(report, "mlops_line", None),
                    longrepr=longrepr[-8000:], stdout=str(report.capstdout)[-4000:])


def run_cell_tests(source: str, namespace: dict[str, Any], *, key: str, k: str | None = None,
                   lf: bool = False, exitfirst: bool = False, timeout: float | None = None,
                   first_line: int = 1, extra_args: list[str] | None = None, cov: bool = False,
                   history: list[str] | None = None) -> TestReport:
    """Run the tests of ``source`` in a fresh module over ``namespace``; see the module doc."""
    pytest = require_pytest()
    module, code = _fresh_module(key, source, namespace, first_line)
    CELLS[key] = module
    collector = _make_collector(pytest, module, code, LAST_FAILED.get(key) if lf else None, timeout,
                                key, first_line)
    workdir = _workdir()
    args = [str(module.__file__), "-c", str(workdir / "pytest.ini"), "--rootdir", str(workdir),
            "--confcutdir", str(workdir), "-p", "no:cacheprovider", "-p", "no:faulthandler",
            "--capture=sys", "-q", "--disable-plugin-autoload", "-o", "python_files=test_mlops_*.py"]
    if k:
        args += ["-k", k]
    if exitfirst:
        args.append("-x")
    args += extra_args or []
    log, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    measured: list[Any] = []
    with contextlib.ExitStack() as stack:
        if cov:
            from .cellcoverage import measure

            measured = stack.enter_context(measure(history))
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(err):
            code = pytest.main(args, plugins=[collector])
    if code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR):
        lines = [ln for ln in (err.getvalue() + log.getvalue()).splitlines() if ln.strip()]
        raise MlopsUsageError(f"pytest refused to run cell {key}: {lines[0] if lines else code}",
                              hint="check -k EXPR and the other options")
    report = TestReport(name=key, cases=collector.cases, duration=time.perf_counter() - start,
                        coverage=measured[0] if measured else None)
    for text in collector.collect_errors:
        report.errors_outside_tests.append(text.strip().splitlines()[-1] if text.strip() else "collection error")
    if not report.cases and not report.errors_outside_tests and not k and not lf:
        report.warnings.append(f"no tests in cell {key}: define functions named test_*")
    failing = {c.name for c in report.cases if c.outcome in ("failed", "error")}
    if lf:  # tests not run this time keep their last-failed state
        failing |= LAST_FAILED.get(key, set()) - {c.name for c in report.cases}
    LAST_FAILED[key] = failing
    report.log = log.getvalue()[-20000:]
    return report


def reset() -> None:
    """Forget every cell's module, last failures and cached code (tests, kernel restarts)."""
    CELLS.clear()
    LAST_FAILED.clear()
    _CODE_CACHE.clear()
