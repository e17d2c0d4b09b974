"""A parsed rule: :class:`Rule` (kind + arguments), read by the engine's rule modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .grammar import Expr

ROW_KINDS = frozenset({
    "compare", "between", "within", "not_null", "in_set", "matches", "parses", "not_future", "unique",
    "compound_unique", "monotonic", "duplicates", "outliers", "types", "tuple_in", "json", "json_schema",
})


# -- rules --------------------------------------------------------------------------
@dataclass
class Rule:
    """One parsed rule. ``kind`` selects the check; the other fields are its arguments."""

    kind: str
    text: str
    line: int
    column: str | None = None
    columns: list[str] = field(default_factory=list)
    expr: Expr | None = None
    op: str | None = None
    right: Expr | None = None
    low: Expr | None = None
    high: Expr | None = None
    exclusive: bool = False
    negate: bool = False
    values: list[Any] = field(default_factory=list)
    pattern: str | None = None
    type_name: str | None = None
    agg: str | None = None
    q: float | None = None
    mostly: float | None = None
    nulls_fail: bool = False  # ", nulls fail": a row with a missing operand fails instead of being skipped
    where: list[Rule] = field(default_factory=list)  # "… where COND [and COND]": rows the rule applies to
    where_text: str = ""
    schema: Any = None  # "matches json schema": the parsed JSON Schema

    def row_rule(self) -> bool:
        """True when the rule judges rows one by one (``mostly`` applies)."""
        return self.kind in ROW_KINDS


