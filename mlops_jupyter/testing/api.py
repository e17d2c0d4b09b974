"""``mj.run_tests``: the API twin of ``%%mlops_test``; results go to the run and the checks."""

from __future__ import annotations

import os
import re
import sys
from typing import Any

from .incell import TestsFailed, cell_key, run_cell_tests
from .report import TestReport

RESULTS_ENV = "MLOPS_TEST_RESULTS"  # set by `mlops-jupyter test`: append each report here


def run_tests(source: str, namespace: dict[str, Any] | None = None, *, k: str | None = None,
              lf: bool = False, exitfirst: bool = False, name: str | None = None,
              cell_id: str | None = None, timeout: float | None = None, fail: bool = False,
              first_line: int = 1, record: bool = True, cov: bool = False) -> TestReport:
    """Run the pytest tests defined in ``source`` against ``namespace``.

    ``namespace`` defaults to the caller's globals (the notebook's namespace in a kernel).
    Tests of the same cell (``name``, else ``cell_id``, else the source) replace those of
    its earlier runs. ``k``/``lf``/``exitfirst`` are pytest's ``-k``/``--lf``/``-x``;
    ``timeout`` bounds each test in seconds. The report is recorded in the check history
    and, when a run is active, on the run; ``fail=True`` raises :class:`TestsFailed`.
    ``cov=True`` measures which lines of the kernel's cells the tests ran (``report.coverage``).
    """
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    key = cell_key(source, cell_id, name)
    history = namespace.get("In") if isinstance(namespace.get("In"), list) else None
    report = run_cell_tests(source, namespace, key=key, k=k, lf=lf, exitfirst=exitfirst,
                            timeout=timeout, first_line=first_line, cov=cov, history=history)
    if record:
        record_report(report)
    if fail and not report.ok:
        bad = [c.name for c in report.cases if c.outcome in ("failed", "error")]
        raise TestsFailed(f"{len(bad)} of {len(report.cases)} tests failed in {key}: "
                          f"{', '.join(bad[:5]) or '; '.join(report.errors_outside_tests[:1])}",
                          report=report, hint="see the report for each assertion and line")
    return report


def _metric_key(name: str) -> str:
    return "tests." + (re.sub(r"[^A-Za-z0-9_.\-]", "_", name) or "cell")


def record_report(report: TestReport) -> None:
    """Check history (side panel), the active run (metrics, tag, report JSON), the CLI file."""
    from ..checks import record_check

    record_check("test", report.name, report.ok, report.summary())
    handle = _current_run()
    if handle is not None:
        c = report.counts()
        key = _metric_key(report.name)
        handle.log_metrics({f"{key}.{o}": float(c[o]) for o in ("passed", "failed", "error", "skipped")})
        handle.set_tags({f"mlops.{key}": "passed" if report.ok else "failed"})
        handle.log_dict(report.to_dict(), f"tests/{key[len('tests.'):]}.json")
        if report.coverage is not None:
            handle.log_metrics({f"{key}.coverage_percent": report.coverage.percent})
    path = os.environ.get(RESULTS_ENV)
    if path:
        import json

        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(report.to_dict(), default=str) + "\n")


def _current_run() -> Any:
    try:
        from ..tracking import current_run
    except ImportError:
        return None
    return current_run()
