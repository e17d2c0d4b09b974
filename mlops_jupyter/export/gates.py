"""Job gates: metric thresholds, expected metrics within tolerance, recorded checks."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from ..session import session


@dataclass
class GateResult:
    """One gate: what was checked, the verdict and the numbers."""

    kind: str  # metric | expected | check | execution | tracking
    name: str
    ok: bool
    detail: str
    enforced: bool = True  # False: reported only (checks whose cell did not raise)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "ok": self.ok, "detail": self.detail,
                "enforced": self.enforced}


def recorded_checks(since: float) -> list[GateResult]:
    """Validation/drift verdicts recorded since ``since`` (reported, not enforced)."""
    from ..checks import CHECKS_FILE

    path = session.config().state_dir / CHECKS_FILE
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[-5000:]:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if entry.get("time", 0) < since:
            continue
        # A check that must stop the job raises in its cell (%%validate by default,
        # %drift --fail / --on-drift raise), which fails the execution gate. The history
        # of checks is reported so the job's report shows every verdict.
        ok = bool(entry.get("ok"))
        out.append(GateResult("check", f"{entry.get('kind')}:{entry.get('name')}", ok,
                              "passed" if ok else "failed (reported; its cell did not raise)", enforced=False))
    return out


def close(a: float, b: float, rel_tol: float, abs_tol: float) -> bool:
    """Tolerance test used for expected metrics (NaN equals NaN)."""
    if math.isnan(a) and math.isnan(b):
        return True
    return math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)


def compare_expected(expected: dict[str, Any], metrics: dict[str, float]) -> list[GateResult]:
    """Each expected metric against the job's value, within its tolerances."""
    out = []
    for key, exp in expected.items():
        want = exp["value"]
        got = metrics.get(key)
        if got is None:
            out.append(GateResult("expected", key, False, "missing in the job's run"))
            continue
        want_f = float("nan") if want is None else float(want)
        ok = close(float(got), want_f, exp["rel_tol"], exp["abs_tol"])
        out.append(GateResult("expected", key, ok, f"{got:.6g} vs source {want_f:.6g} (rel_tol {exp['rel_tol']:g})"))
    return out


def check_thresholds(rules: list[dict[str, Any]], metrics: dict[str, float]) -> list[GateResult]:
    """Metric gates such as ``accuracy >= 0.9``."""
    ops = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b,
           "<": lambda a, b: a < b, "==": lambda a, b: a == b}
    out = []
    for rule in rules:
        got = metrics.get(rule["metric"])
        label = f"{rule['metric']} {rule['op']} {rule['value']:g}"
        if got is None:
            out.append(GateResult("metric", label, False, "metric not logged by the job"))
        else:
            out.append(GateResult("metric", label, bool(ops[rule["op"]](got, rule["value"])), f"{got:.6g}"))
    return out
