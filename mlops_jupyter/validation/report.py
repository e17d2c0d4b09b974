"""Validation results: one :class:`RuleResult` per rule, gathered in a :class:`ValidationReport`.

Data first: every field is plain data (``to_dict`` is JSON-safe, ``to_frame`` one row per
rule); the HTML and text views live in :mod:`mlops_jupyter.display.validation`.
Size is bounded whatever the data: each rule keeps at most ``sample`` failing values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .._util import json_safe
from .._views import Viewable

PASS, FAIL, ERROR = "pass", "fail", "error"


@dataclass
class RuleResult:
    """The verdict of one rule: status, how many rows failed, what was observed, examples."""

    rule: str
    line: int
    kind: str
    status: str
    columns: list[str] = field(default_factory=list)
    checked: int | None = None
    failing: int | None = None
    observed: Any = None
    message: str = ""
    samples: list[dict[str, Any]] = field(default_factory=list)
    mostly: float | None = None
    wrong_type: int | None = None  # row rules: failing values of the wrong type (never excused by mostly)

    @property
    def ok(self) -> bool:
        return self.status == PASS

    @property
    def failing_fraction(self) -> float | None:
        """Failing rows / checked rows (``None`` for table-level rules)."""
        if self.failing is None or not self.checked:
            return None if self.failing is None else 0.0
        return self.failing / self.checked

    def to_dict(self) -> dict[str, Any]:
        return json_safe({
            "rule": self.rule, "line": self.line, "kind": self.kind, "status": self.status,
            "columns": self.columns, "checked": self.checked, "failing": self.failing,
            "failing_fraction": self.failing_fraction, "observed": self.observed,
            "message": self.message, "samples": self.samples, "mostly": self.mostly,
            "wrong_type": self.wrong_type,
        })


@dataclass
class ValidationReport(Viewable):
    """All rule results of one validation (data or metrics), with the table's shape."""

    name: str
    target: str
    rows: int
    columns: int
    results: list[RuleResult]
    seconds: float = 0.0
    warn_only: bool = False
    unit: str = "rows"  # what ``rows`` counts: rows of data, or metrics of a run

    @property
    def ok(self) -> bool:
        """True when every rule passed (errors count as failures)."""
        return all(r.ok for r in self.results)

    @property
    def failed(self) -> list[RuleResult]:
        return [r for r in self.results if not r.ok]

    @property
    def pass_fraction(self) -> float:
        """Passed rules / all rules (1.0 for an empty suite)."""
        return 1.0 if not self.results else sum(r.ok for r in self.results) / len(self.results)

    def summary(self) -> dict[str, Any]:
        """A few numbers for check history and run metrics."""
        return {
            "target": self.target, "rows": self.rows, "rules": len(self.results),
            "failed": sum(r.status == FAIL for r in self.results),
            "errors": sum(r.status == ERROR for r in self.results),
            "pass_fraction": round(self.pass_fraction, 6),
        }

    def headline(self) -> str:
        s = self.summary()
        verdict = "passed" if self.ok else "FAILED"
        bad = f"{s['failed']} failed" + (f", {s['errors']} errors" if s["errors"] else "")
        return (f"validation '{self.name}' {verdict}: {len(self.results) - len(self.failed)}/"
                f"{len(self.results)} rules passed ({bad}) on {self.target}, {self.rows} {self.unit}")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "ok": self.ok, **self.summary(),
                               "columns": self.columns, "seconds": round(self.seconds, 4),
                               "results": [r.to_dict() for r in self.results]}
        return json_safe(out)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def to_frame(self) -> Any:
        """One row per rule: line, rule, status, checked, failing, fraction, observed, message, wrong_type."""
        import pandas as pd

        rows = [{
            "line": r.line, "rule": r.rule, "status": r.status, "checked": r.checked,
            "failing": r.failing, "failing_fraction": r.failing_fraction,
            "observed": json_safe(r.observed), "message": r.message, "wrong_type": r.wrong_type,
        } for r in self.results]
        cols = ["line", "rule", "status", "checked", "failing", "failing_fraction", "observed", "message",
                "wrong_type"]
        return pd.DataFrame(rows, columns=cols)

    def failures_frame(self) -> Any:
        """The failing samples as a long table: rule, row index, value."""
        import pandas as pd

        rows = [{"line": r.line, "rule": r.rule, "row": s.get("row"), "value": s.get("value")}
                for r in self.results for s in r.samples]
        return pd.DataFrame(rows, columns=["line", "rule", "row", "value"])

    def __repr__(self) -> str:
        return self.headline()

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        # IPython's text/plain (terminal IPython): the rule table, as print(report) shows it
        p.text(self.headline() if cycle else str(self))
