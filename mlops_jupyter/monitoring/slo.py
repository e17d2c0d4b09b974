"""SLO rules written like validation rules: ``p95_latency < 200 ms``, ``error_rate < 1%``,
``drift_share < 0.3``, ``accuracy >= 0.85 mostly 0.9``, ``auc >= 0.8``.

A rule is checked on every window that has the measure; it holds when the share of windows
where it holds is at least ``mostly`` (default 1: every window).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import RuleError

OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne,
}
# measure -> (unit it is stored in, units accepted)
MEASURES: dict[str, tuple[str, dict[str, float]]] = {
    "p50_latency": ("ms", {"ms": 1.0, "s": 1000.0, "": 1.0}),
    "p95_latency": ("ms", {"ms": 1.0, "s": 1000.0, "": 1.0}),
    "p99_latency": ("ms", {"ms": 1.0, "s": 1000.0, "": 1.0}),
    "error_rate": ("share", {"%": 0.01, "": 1.0}),
    "request_rate": ("1/s", {"/s": 1.0, "/min": 1 / 60.0, "": 1.0}),
    "uptime": ("share", {"%": 0.01, "": 1.0}),
    "drift_share": ("share", {"%": 0.01, "": 1.0}),
    "prediction_drift": ("score", {"": 1.0}),
    "accuracy": ("share", {"%": 0.01, "": 1.0}),
    "rmse": ("value", {"": 1.0}),
    "auc": ("score", {"": 1.0}),
}
RULE_RE = re.compile(
    r"^\s*(?P<measure>[a-z0-9_]+)\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<value>[-+0-9.eE]+)\s*(?P<unit>%|ms|s|/s|/min)?"
    r"(?:\s+mostly\s+(?P<mostly>[0-9.]+))?\s*$"
)


@dataclass
class SloRule:
    """One parsed SLO rule."""

    text: str
    measure: str
    op: str
    value: float  # in the measure's stored unit
    mostly: float = 1.0

    def holds(self, observed: float) -> bool:
        return OPS[self.op](observed, self.value)


@dataclass
class SloResult:
    """A rule's verdict over the windows of a report."""

    rule: str
    ok: bool
    measure: str
    windows: int = 0
    windows_ok: int = 0
    worst: float | None = None
    reason: str = ""
    breaches: list[str] = field(default_factory=list)  # window starts where it failed

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "ok": self.ok, "measure": self.measure, "windows": self.windows,
                "windows_ok": self.windows_ok, "worst": self.worst, "reason": self.reason,
                "breaches": self.breaches[:50]}


def parse_slo(text: str) -> SloRule:
    """Parse one rule; a bad one is a :class:`RuleError` naming what is wrong."""
    if not isinstance(text, str):
        raise RuleError(f"an SLO rule is text like 'p95_latency < 200 ms', not {type(text).__name__}")
    m = RULE_RE.match(text)
    if m is None:
        raise RuleError(f"cannot read SLO rule {text!r}",
                        hint="write MEASURE OP VALUE [UNIT] [mostly SHARE], e.g. 'p95_latency < 200 ms', 'error_rate < 1%'")
    measure = m.group("measure")
    if measure not in MEASURES:
        raise RuleError(f"unknown SLO measure {measure!r} in {text!r}", hint=f"measures: {', '.join(MEASURES)}")
    unit = m.group("unit") or ""
    units = MEASURES[measure][1]
    if unit not in units:
        raise RuleError(f"unit {unit!r} does not fit {measure} in {text!r}",
                        hint=f"units for {measure}: {', '.join(u or '(none)' for u in units)}")
    try:
        value = float(m.group("value")) * units[unit]
    except ValueError:
        raise RuleError(f"{m.group('value')!r} in {text!r} is not a number") from None
    mostly = float(m.group("mostly")) if m.group("mostly") else 1.0
    if not math.isfinite(value) or not 0 < mostly <= 1:
        raise RuleError(f"bad number in SLO rule {text!r} (mostly is a share in (0, 1])")
    return SloRule(text.strip(), measure, m.group("op"), value, mostly)


def check_slo(rule: SloRule, values: list[tuple[str, float | None]]) -> SloResult:
    """Check ``rule`` on ``[(window, observed)]`` (None: the window lacks the measure)."""
    seen = [(w, v) for w, v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not seen:
        return SloResult(rule.text, True, rule.measure, reason="no window has this measure yet")
    failed = [w for w, v in seen if not rule.holds(v)]
    good = len(seen) - len(failed)
    higher_bad = rule.op in ("<", "<=")
    worst = max(v for _, v in seen) if higher_bad else min(v for _, v in seen)
    ok = good / len(seen) >= rule.mostly
    reason = f"{good}/{len(seen)} windows hold" + (f" (need {rule.mostly:.0%})" if rule.mostly < 1 else "")
    return SloResult(rule.text, ok, rule.measure, len(seen), good, float(worst), reason, failed)
