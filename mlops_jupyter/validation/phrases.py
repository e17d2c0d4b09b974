"""Rule phrases beyond comparisons (issue 13): sets of distinct values, table shape, tuples of
columns, outliers, several allowed types, JSON and JSON Schema, ``within … of …`` bounds.

A mixin of the rule parser in :mod:`.language`; each method either recognises its phrase
(filling the :class:`Rule` and returning True) or leaves the cursor where it was.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import RuleError
from .grammar import Expr, ExprParser
from .rule import Rule

TYPE_NAMES = ("integer", "float", "numeric", "string", "boolean", "datetime", "category", "object")
OUTLIER_DEFAULTS = {"zscore": 3.0, "iqr": 1.5}


class Phrases(ExprParser):
    """The newer phrases, shared by the rule parser."""

    # -- sets of distinct values -----------------------------------------------------
    def distinct_rule(self, rule: Rule) -> bool:
        """``distinct values of C contain [all of] | are | are within {…}``,
        ``most common value of C [is] in {…}``."""
        if self.eat("distinct", "values", "of"):
            rule.column = self.column_name()
            if self.eat("contain", "all", "of") or self.eat("contain") or self.eat("contains"):
                rule.kind = "distinct_contain"
            elif self.eat("are", "within") or self.eat("within") or self.eat("are", "in"):
                rule.kind = "distinct_within"
            elif self.eat("are"):
                rule.kind = "distinct_equal"
            else:
                self.fail("expected 'contain {…}', 'are {…}' or 'are within {…}'")
            rule.values = self._plain_set()
            return True
        if self.eat("most", "common", "value", "of"):
            rule.column = self.column_name()
            if not (self.eat("is", "in") or self.eat("in")):
                self.fail("expected 'in {…}'")
            rule.kind, rule.values = "mode_in", self._plain_set()
            return True
        return False

    def _plain_set(self) -> list[Any]:
        values = self.value_list()
        if any(v is None for v in values):
            self.fail("distinct values never include null", hint="check missing values with 'is not null'")
        return values

    # -- table shape -------------------------------------------------------------------
    def shape_rule(self, rule: Rule) -> bool:
        """``column count OP n`` / ``between``, ``columns in order a, b``, ``columns match "re"``."""
        if self.eat("column", "count"):
            rule.expr = Expr("col", "column count")
            self.comparison_tail(rule)  # type: ignore[attr-defined]
            for side in (rule.right, rule.low, rule.high):
                if side is not None and (side.kind != "num" or side.value != int(side.value)):
                    raise RuleError(f"line {self.line}: column count is compared with whole numbers only "
                                    f"in '{self.text}'")
            rule.kind = "column_count_" + rule.kind
            return True
        if self.eat("columns", "in", "order"):
            rule.kind, rule.columns = "columns_order", self.name_list()
            return True
        if self.at("columns", "match") or self.at("columns", "matching"):
            self.i += 2
            rule.kind, rule.pattern = "columns_match", self.regex()
            return True
        return False

    def regex(self) -> str:
        """A quoted regular expression, checked now."""
        t = self.peek()
        if t is None or t.kind != "str":
            self.fail("expected a regular expression in quotes")
        assert t is not None
        self.i += 1
        try:
            re.compile(t.value)
        except re.error as exc:
            raise RuleError(f"line {self.line}: bad regular expression {t.text}: {exc} in '{self.text}'") from None
        return str(t.value)

    # -- tuples of columns ---------------------------------------------------------------
    def tuple_set(self, rule: Rule, names: list[str]) -> None:
        """``(a, b) [not] in {(1, "x"), (2, "y")}`` after the name list."""
        rule.kind, rule.columns = "tuple_in", names
        close = "}" if self.eat("{") else ("]" if self.eat("[") else None)
        if close is None:
            self.fail('expected a set of tuples like {(1, "x"), (2, "y")}')
        if self.at(close or "}"):
            self.fail("an empty set: list at least one tuple")
        while True:
            self.need("(")
            self.i -= 1
            self.toks[self.i] = type(self.toks[self.i])("op", "[", "[")  # read "( … )" as a list
            closing = self._matching(self.i)
            self.toks[closing] = type(self.toks[closing])("op", "]", "]")
            member = self.value_list()
            if len(member) != len(names):
                self.fail(f"each tuple needs {len(names)} values, one per column, got {len(member)}")
            rule.values.append(tuple(member))
            if not self.eat(","):
                self.need(close or "}")
                return

    def _matching(self, start: int) -> int:
        for j in range(start, len(self.toks)):
            if self.toks[j].kind == "op" and self.toks[j].text == ")":
                return j
        self.fail("a tuple needs a closing ')'")
        return start

    # -- tails after a column ------------------------------------------------------------
    def outliers_tail(self, rule: Rule) -> bool:
        """``C has no outliers by z-score [T]`` or ``… by iqr [K]``."""
        if not self.eat("has", "no", "outliers"):
            return False
        self.need_column(rule, "'has no outliers'")
        self.need("by")
        if self.eat("z", "-", "score") or self.eat("zscore"):
            rule.op = "zscore"
        elif self.eat("iqr"):
            rule.op = "iqr"
        else:
            self.fail("expected 'by z-score' or 'by iqr'")
        rule.kind, rule.q = "outliers", OUTLIER_DEFAULTS[rule.op or ""]
        t = self.peek()
        if t is not None and t.kind == "num":
            self.i += 1
            rule.q = float(t.value)
            if not rule.q > 0:
                self.i -= 1
                self.fail("the outlier threshold must be above 0")
        return True

    def types_tail(self, rule: Rule, first: str) -> bool:
        """``C is integer or string [or …]``: every present value has one of these types."""
        if not self.at("or"):
            return False
        names = [first]
        while self.eat("or"):
            t = self.peek()
            if t is None or t.kind != "name" or t.text.lower() not in TYPE_NAMES:
                self.fail(f"expected a type ({', '.join(TYPE_NAMES)})")
            assert t is not None
            self.i += 1
            names.append(t.text.lower())
        rule.kind, rule.values = "types", names
        return True

    def json_tail(self, rule: Rule) -> bool:
        """``C parses as json`` or ``C matches json schema "…"`` (inline JSON or a file path)."""
        if self.eat("parses", "as", "json"):
            self.need_column(rule, "'parses as json'")
            rule.kind = "json"
            return True
        if not self.eat("matches", "json", "schema"):
            return False
        self.need_column(rule, "'matches json schema'")
        t = self.peek()
        if t is None or t.kind != "str":
            self.fail("expected a JSON Schema in quotes (inline JSON or a .json file path)")
        assert t is not None
        self.i += 1
        rule.kind, rule.pattern, rule.schema = "json_schema", str(t.value), self._schema(str(t.value))
        return True

    def _schema(self, text: str) -> Any:
        import jsonschema

        where = "inline schema"
        if not text.lstrip().startswith(("{", "[")) and text.strip() not in ("true", "false"):
            path = Path(text)
            if not path.is_file():
                raise RuleError(f"line {self.line}: no JSON Schema file '{text}' in '{self.text}'",
                                hint="give a path to a .json file or the schema itself in quotes")
            where, text = f"schema file '{path}'", path.read_text(encoding="utf-8")
        try:
            schema = json.loads(text)
        except ValueError as exc:
            raise RuleError(f"line {self.line}: the {where} is not valid JSON: {exc} in '{self.text}'") from None
        try:
            jsonschema.validators.validator_for(schema).check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise RuleError(f"line {self.line}: the {where} is not a valid JSON Schema: {exc.message} "
                            f"in '{self.text}'") from None
        return schema

    def within_tail(self, rule: Rule) -> bool:
        """``… within D of R``: |subject - R| <= D (a duration, or a number)."""
        if not self.eat("within"):
            return False
        rule.low = self.expr()
        if rule.low.kind not in ("dur", "num") or (rule.low.kind == "num" and rule.low.value < 0) \
                or (rule.low.kind == "dur" and rule.low.value[0] < 0):
            self.fail("'within' needs a distance: a number or a duration such as 1 day")
        self.need("of")
        rule.right = self.expr()
        rule.kind = "within"
        return True

    def need_column(self, rule: Rule, what: str) -> None:
        """Refuse a phrase that needs a single column on its left."""
        if rule.column is None:
            raise RuleError(f"line {self.line}: {what} needs a single column on its left in '{self.text}'")
