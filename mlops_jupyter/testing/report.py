"""Results of notebook tests: one :class:`TestCase` per test, gathered in a :class:`TestReport`.

Reports are data first (``to_dict`` / ``from_dict`` round-trip, so a kernel can hand them
to the CLI or the pytest plugin as JSON), text second.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .._views import Viewable

OUTCOMES = ("passed", "failed", "error", "skipped")


@dataclass
class TestCase:
    """One test function (one parametrized case) and its outcome."""

    __test__ = False  # not a pytest test class

    name: str                   # test name with parametrize id, e.g. ``test_add[1-2]``
    outcome: str                # passed | failed | error | skipped
    cell: str = ""              # the cell's name (``cell-3``, a ``--name``, or a source digest)
    duration: float = 0.0
    message: str = ""           # one line: the exception (``assert 3 == 4``) or skip reason
    diff: str = ""              # the assertion explanation pytest wrote (may span lines)
    line: int | None = None     # line in the cell where the test failed (1-based, cell lines)
    longrepr: str = ""          # pytest's full failure text
    stdout: str = ""            # captured output of the test
    notebook: str = ""          # set when the tests ran from outside the kernel

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestCase:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass
class TestReport(Viewable):
    """The outcome of a test cell (or of all test cells of a notebook)."""

    __test__ = False

    name: str
    cases: list[TestCase] = field(default_factory=list)
    duration: float = 0.0
    notebook: str = ""
    errors_outside_tests: list[str] = field(default_factory=list)  # notebook/cell failures
    coverage: Any = None        # a CellCoverage when measured
    warnings: list[str] = field(default_factory=list)
    log: str = ""               # pytest's own terminal output (collection problems, warnings)

    def _of(self, outcome: str) -> list[TestCase]:
        return [c for c in self.cases if c.outcome == outcome]

    @property
    def passed(self) -> list[TestCase]:
        return self._of("passed")

    @property
    def failed(self) -> list[TestCase]:
        return self._of("failed")

    @property
    def errors(self) -> list[TestCase]:
        return self._of("error")

    @property
    def skipped(self) -> list[TestCase]:
        return self._of("skipped")

    @property
    def ok(self) -> bool:
        """True when no test failed or errored and nothing outside the tests failed."""
        return not self.failed and not self.errors and not self.errors_outside_tests

    def counts(self) -> dict[str, int]:
        """Number of tests per outcome, plus ``total``."""
        out = {o: len(self._of(o)) for o in OUTCOMES}
        out["total"] = len(self.cases)
        return out

    def merge(self, other: TestReport) -> None:
        """Add another report's cases (a notebook's report is the sum of its cells)."""
        self.cases.extend(other.cases)
        self.duration += other.duration
        self.errors_outside_tests.extend(other.errors_outside_tests)
        self.warnings.extend(other.warnings)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (what the kernel hands to the CLI and what a run stores)."""
        return {
            "name": self.name,
            "notebook": self.notebook,
            "ok": self.ok,
            "counts": self.counts(),
            "duration": self.duration,
            "cases": [asdict(c) for c in self.cases],
            "errors_outside_tests": list(self.errors_outside_tests),
            "warnings": list(self.warnings),
            "coverage": self.coverage.to_dict() if self.coverage is not None else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestReport:
        cov = None
        if data.get("coverage"):
            from .cellcoverage import CellCoverage

            cov = CellCoverage.from_dict(data["coverage"])
        return cls(name=data.get("name", ""), notebook=data.get("notebook", ""),
                   cases=[TestCase.from_dict(c) for c in data.get("cases", [])],
                   duration=float(data.get("duration", 0.0)),
                   errors_outside_tests=list(data.get("errors_outside_tests", [])),
                   warnings=list(data.get("warnings", [])), coverage=cov)

    def summary(self) -> dict[str, Any]:
        """Counts and the failing test names (for the check history and the run)."""
        bad = [c.name for c in self.cases if c.outcome in ("failed", "error")]
        return {**self.counts(), "failing": bad[:50], "errors_outside_tests": self.errors_outside_tests[:10]}

    def to_frame(self) -> Any:
        """One row per test: name, outcome, cell, line, duration, message."""
        import pandas as pd

        cols = ["name", "outcome", "cell", "line", "duration", "message", "notebook"]
        return pd.DataFrame([{k: getattr(c, k) for k in cols} for c in self.cases], columns=cols)

    def __repr__(self) -> str:
        c = self.counts()
        return (f"TestReport({self.name!r}: {c['passed']} passed, {c['failed']} failed, "
                f"{c['error']} errors, {c['skipped']} skipped)")
