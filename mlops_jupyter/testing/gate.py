"""Release gate ``tests`` (``promote --require-tests``): tests passed on the candidate's run.

Test results reach a run as tags ``mlops.tests.<cell>`` (``%%mlops_test`` in a tracked
run) and ``mlops.tests.job`` (an exported job's test stage), with counts as metrics
``tests.<cell>.<outcome>``. The gate fails when the run has no test result at all, or when
any of them failed.
"""

from __future__ import annotations

from typing import Any

PREFIX = "mlops.tests."


def gate_tests(run: Any) -> Any:
    """The ``tests`` gate on the candidate's MLflow run (None: no run known)."""
    from ..release.decision import FAILED, PASSED, GateResult

    if run is None:
        return GateResult("tests", FAILED, "the candidate has no run to read test results from")
    tags = {k[len(PREFIX):]: v for k, v in run.data.tags.items() if k.startswith(PREFIX)}
    metrics = run.data.metrics
    counts = {o: int(sum(v for k, v in metrics.items() if k.startswith("tests.") and k.endswith("." + o)))
              for o in ("passed", "failed", "error", "skipped")}
    numbers = {"cells": tags, **counts}
    if not tags:
        return GateResult("tests", FAILED, "no test results on the candidate's run "
                          "(run %%mlops_test in the tracked run, or train through an exported job)", numbers)
    failed = sorted(k for k, v in tags.items() if v != "passed")
    if failed:
        return GateResult("tests", FAILED, f"tests failed on the candidate's run: {', '.join(failed[:5])}", numbers)
    return GateResult("tests", PASSED, f"tests passed on the candidate's run ({counts['passed']} passed "
                      f"in {len(tags)} test cell(s))", numbers)
