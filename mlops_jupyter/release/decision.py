"""Result objects of a release: one :class:`GateResult` per gate and the :class:`Decision`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .._util import json_safe
from .._views import Viewable

PASSED = "passed"
FAILED = "failed"
SKIPPED = "skipped"

RECORD_VERSION = 1


@dataclass
class GateResult:
    """The outcome of one gate: status, a one-line reason and the numbers behind it."""

    name: str
    status: str  # passed | failed | skipped
    reason: str
    numbers: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """A skipped gate does not block (it is skipped only when it cannot apply)."""
        return self.status != FAILED

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {"name": self.name, "status": self.status, "reason": self.reason,
                "numbers": json_safe(self.numbers)}


@dataclass
class Decision(Viewable):
    """A promotion decision, pass or refuse, as recorded in the registry.

    ``ok``: every configured gate passed. ``promoted``: the alias now points at the
    candidate (False on refusal, on a dry run, or when it already did).
    """

    id: str
    time: float
    model: str
    alias: str
    candidate: dict[str, Any]
    champion: dict[str, Any] | None
    gates: list[GateResult]
    first_champion: bool = False
    promoted: bool = False
    dry_run: bool = False
    already_champion: bool = False
    environment: str = ""
    headless: bool = True
    record: dict[str, Any] = field(default_factory=dict)
    webhook: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """True when every gate passed (or was skipped because it could not apply)."""
        return all(g.ok for g in self.gates)

    @property
    def failed_gates(self) -> list[GateResult]:
        """The gates that refused."""
        return [g for g in self.gates if g.status == FAILED]

    @property
    def reasons(self) -> list[str]:
        """One line per refusing gate (empty when ok)."""
        return [f"{g.name}: {g.reason}" for g in self.failed_gates]

    def gate(self, name: str) -> GateResult:
        """The result of gate ``name`` (KeyError if it did not run)."""
        for g in self.gates:
            if g.name == name:
                return g
        raise KeyError(name)

    @property
    def status(self) -> str:
        """refused | approved (record stored, alias not moved yet) | promoted | dry-run | unchanged."""
        if self.already_champion:
            return "unchanged"
        if not self.ok:
            return "refused"
        if self.dry_run:
            return "dry-run"
        return "promoted" if self.promoted else "approved"

    @property
    def summary(self) -> str:
        """One line: what happened and why."""
        version = self.candidate.get("version")
        who = f"{self.model} v{version}" if version else f"{self.model} candidate {self.candidate.get('run_id') or self.candidate.get('uri')}"
        if not self.ok:
            return f"REFUSED {who} for '{self.alias}': " + "; ".join(self.reasons)
        if self.already_champion:
            return f"{who} already holds '{self.alias}'"
        verb = "would promote" if self.dry_run else ("promoted" if self.promoted else "approved")
        extra = " (no champion yet: first champion)" if self.first_champion else ""
        return f"{verb} {who} to '{self.alias}'{extra}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON decision record."""
        return dict(json_safe({
            "record_version": RECORD_VERSION,
            "id": self.id, "time": self.time, "model": self.model, "alias": self.alias,
            "ok": self.ok, "status": self.status, "promoted": self.promoted, "dry_run": self.dry_run,
            "first_champion": self.first_champion, "already_champion": self.already_champion,
            "candidate": self.candidate, "champion": self.champion,
            "gates": [g.to_dict() for g in self.gates], "reasons": self.reasons,
            "summary": self.summary, "environment": self.environment, "headless": self.headless,
            "record": self.record, "webhook": self.webhook,
        }))

    def to_json(self) -> str:
        """The decision record as strict JSON text."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, allow_nan=False)

    def __repr__(self) -> str:
        return f"<Decision {self.status}: {self.summary}>"

    def to_frame(self) -> Any:
        """One row per gate (name, status, reason) as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame([{"gate": g.name, "status": g.status, "reason": g.reason} for g in self.gates])
