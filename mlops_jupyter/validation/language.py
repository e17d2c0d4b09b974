"""The rule language: one rule per line, read aloud, parsed without ``eval``.

The grammar is in docs/validation.md. :mod:`.grammar` splits a line into tokens and parses
its expressions (small trees of :class:`Expr` nodes evaluated by the engine); this module
parses the rule phrases (``rows …``, ``columns …``, ``x is unique``, ``mean of x …``,
comparisons, sets, patterns) into :class:`Rule` objects. ``Expr``, ``Token``,
``tokenize`` and ``quote_name`` stay importable from here.
"""

from __future__ import annotations

import datetime as _dt
import difflib

from ..errors import RuleError
from .grammar import Expr, Token, quote_name, tokenize
from .phrases import TYPE_NAMES, Phrases
from .rule import Rule

CMP_OPS = ("<=", ">=", "==", "!=", "<", ">")
AGGREGATES = ("min", "max", "mean", "median", "std", "sum", "quantile", "distinct count",
              "unique fraction", "null fraction")
RULE_STARTS = (
    "rows", "columns", "column count", "no duplicate rows", "(a, b) is unique", "(a, b) in", "type of",
    *AGGREGATES, "distinct values of", "most common value of", "length of", "<column or expression>",
)


class _Parser(Phrases):
    """The rule phrases on top of the expression grammar: one :class:`Rule` per line."""

    def comparison_tail(self, rule: Rule) -> Rule:
        """``OP expr`` or ``[strictly] between expr and expr`` after a subject."""
        if self.eat("strictly", "between"):
            rule.kind, rule.exclusive = "between", True
        elif self.eat("between"):
            rule.kind = "between"
        if self.within_tail(rule):
            return rule
        if rule.kind == "between":
            rule.low = self.expr()
            self.need("and")
            rule.high = self.expr()
            self._check_range(rule)
            return rule
        t = self.peek()
        if t is not None and t.kind == "op" and t.text in CMP_OPS:
            self.i += 1
            rule.op = t.text
            rule.right = self.expr()
            rule.kind = "compare"
            return rule
        words = ["between", "strictly between", "matches", "does not match", "in", "not in", "is",
                 "parses as datetime", "within", "where", "has no outliers"]
        close = difflib.get_close_matches(t.text if t is not None else "", words, n=1, cutoff=0.6)
        self.fail("unknown rule: expected a comparison (<, <=, ==, !=, >=, >), 'between', 'in', "
                  "'matches', 'is …' or 'parses as datetime'",
                  hint=f"did you mean '{close[0]}'?" if close else "see docs/validation.md for the grammar")
        return rule

    def _check_range(self, rule: Rule) -> None:
        """Refuse ``between`` ranges that no value can satisfy (low above high)."""
        assert rule.low is not None and rule.high is not None
        lo, hi = _constant(rule.low), _constant(rule.high)
        if lo is None or hi is None or type(lo) is not type(hi):
            return
        if lo > hi or (rule.exclusive and lo == hi):  # type: ignore[operator]
            raise RuleError(f"line {self.line}: an empty range: no value is {'strictly ' if rule.exclusive else ''}"
                            f"between {rule.low.text()} and {rule.high.text()} in '{self.text}'",
                            hint="write the lower bound first: 'between LOW and HIGH'")

    # rules
    def rule(self) -> Rule:
        rule = Rule(kind="", text=self.text, line=self.line)
        self._modifiers(rule)
        if self._where(rule):
            self._modifiers(rule)  # "x > 0 mostly 0.9 where …" reads the same
        self._body(rule)
        if not self.done():
            self.fail("unexpected text after the rule")
        if rule.mostly is not None and not rule.row_rule():
            raise RuleError(f"line {self.line}: 'mostly' applies only to row rules, not to '{self.text}'")
        if rule.nulls_fail and not rule.row_rule():
            raise RuleError(f"line {self.line}: ', nulls fail' applies only to row rules, not to '{self.text}'")
        return rule

    def _where(self, rule: Rule) -> bool:
        """Split ``RULE where COND [and COND …]``: the rule then judges only matching rows."""
        at = [k for k, t in enumerate(self.toks) if t.kind == "name" and t.text.lower() == "where"]
        if not at:
            return False
        k = at[0]
        cond = _Parser(self.toks[k + 1 :], self.text, self.line)
        self.toks = self.toks[:k]
        if cond.done():
            cond.fail("'where' needs a condition, e.g. 'price > 0 where status == \"paid\"'")
        while True:
            part = Rule(kind="", text=self.text, line=self.line)
            cond._body(part)
            if not part.row_rule() or part.kind in ("unique", "compound_unique", "duplicates", "monotonic"):
                raise RuleError(f"line {self.line}: a 'where' condition must judge each row on its own "
                                f"(a comparison, range, set, pattern or 'is not null'), not '{part.kind}' in '{self.text}'")
            rule.where.append(part)
            if cond.done():
                break
            cond.need("and")
        rule.where_text = " ".join(t.text for t in cond.toks)
        return True

    def _modifiers(self, rule: Rule) -> None:
        """Strip the trailing ``mostly F`` and ``, nulls fail`` (in either order) off the tokens."""
        toks = self.toks
        for _ in range(2):
            if len(toks) >= 3 and [t.text.lower() for t in toks[-3:]] == [",", "nulls", "fail"] \
                    and toks[-2].kind == "name":
                rule.nulls_fail, toks = True, toks[:-3]
                continue
            at = [k for k, t in enumerate(toks) if t.kind == "name" and t.text.lower() == "mostly"]
            if not at or rule.mostly is not None:
                break
            k = at[-1]
            if any(t.kind == "name" and t.text.lower() == "where" for t in toks[k + 1 :]):
                break  # "mostly" before "where": read after the condition is split off
            tail, toks = toks[k + 1 :], toks[:k]
            sign = -1 if tail and tail[0].text == "-" else 1
            number = tail[1:] if sign < 0 else tail
            got = ("-" if sign < 0 else "") + " ".join(t.text for t in number) or "nothing"
            if len(number) != 1 or number[0].kind != "num" or not 0 < sign * float(number[0].value) <= 1:
                raise RuleError(f"line {self.line}: 'mostly' needs a fraction in (0, 1], got {got} in '{self.text}'",
                                hint="e.g. 'x > 0 mostly 0.99': at least 99 % of the checked rows pass")
            rule.mostly = float(number[0].value)
        self.toks = toks

    def _body(self, rule: Rule) -> None:
        if self.eat("rows"):
            rule.kind = "rows"
            rule.expr = Expr("col", "rows")
            self.comparison_tail(rule)
            for side in (rule.right, rule.low, rule.high):
                if side is not None and (side.kind != "num" or side.value != int(side.value)):
                    raise RuleError(f"line {self.line}: rows is compared with whole numbers only in '{self.text}'",
                                    hint="e.g. 'rows >= 100' or 'rows between 1 and 1000'")
            rule.kind = "rows_" + rule.kind
            return
        if self.shape_rule(rule) or self.distinct_rule(rule):
            return
        if self.eat("columns"):
            for word, kind in (("include", "columns_include"), ("exclude", "columns_exclude"),
                               ("are", "columns_exact")):
                if self.eat(word):
                    self.eat("exactly")
                    rule.kind = kind
                    rule.columns = self.name_list()
                    return
            self.fail("expected 'columns include …', 'columns exclude …' or 'columns are …'")
        if self.eat("no", "duplicate", "rows"):
            rule.kind = "duplicates"
            return
        if self.eat("type", "of"):
            rule.column = self.column_name()
            self.need("is")
            t = self.peek()
            if t is None or t.kind != "str":
                self.fail('expected a dtype in quotes, e.g. "Int64"')
            assert t is not None
            self.i += 1
            rule.kind, rule.type_name = "dtype_exact", str(t.value)
            return
        if self._aggregate(rule):
            return
        if self.at_op("(") and self._compound_unique(rule):
            return
        subject = self.expr()
        rule.expr = subject
        if subject.kind == "col":
            rule.column = subject.value
        if self.outliers_tail(rule) or self.json_tail(rule):
            return
        if self.eat("is"):
            self._is_tail(rule)
            return
        if self.eat("not", "in") or self.eat("in"):
            rule.negate = self.toks[self.i - 2].text.lower() == "not"
            rule.kind = "in_set"
            self._need_column(rule, "'in'")
            rule.values = self.value_list()
            return
        if self.eat("matches") or self.eat("does", "not", "match") or self.eat("not", "matches"):
            rule.negate = self.toks[self.i - 1].text.lower() != "matches" or self.toks[self.i - 2].text.lower() == "not"
            rule.kind = "matches"
            self._need_column(rule, "'matches'")
            rule.pattern = self.regex()
            return
        if self.eat("parses", "as", "datetime"):
            rule.kind = "parses"
            self._need_column(rule, "'parses as datetime'")
            t = self.peek()
            if t is not None and t.kind == "str":
                self.i += 1
                rule.pattern = t.value
            return
        self.comparison_tail(rule)

    _need_column = Phrases.need_column

    def _is_tail(self, rule: Rule) -> None:
        self._need_column(rule, "'is'")
        if self.eat("unique"):
            rule.kind = "unique"
        elif self.eat("not", "null"):
            rule.kind = "not_null"
        elif self.eat("not", "in", "the", "future") or self.eat("not", "in", "future"):
            rule.kind = "not_future"
        elif self.eat("strictly", "increasing") or self.eat("strictly", "decreasing"):
            rule.kind, rule.exclusive = "monotonic", True
            rule.op = self.toks[self.i - 1].text.lower()
        elif self.eat("increasing") or self.eat("decreasing"):
            rule.kind, rule.op = "monotonic", self.toks[self.i - 1].text.lower()
        else:
            t = self.peek()
            if t is not None and t.kind == "name" and t.text.lower() in TYPE_NAMES:
                self.i += 1
                rule.kind, rule.type_name = "dtype", t.text.lower()
                self.types_tail(rule, rule.type_name)
                return
            close = difflib.get_close_matches((t.text if t else ""), [*TYPE_NAMES, "unique", "not null", "increasing", "decreasing"], n=1)
            self.fail("unknown property after 'is'",
                      hint=f"did you mean '{close[0]}'?" if close else
                      f"use unique, not null, increasing, decreasing, not in the future or a type ({', '.join(TYPE_NAMES)})")

    def _aggregate(self, rule: Rule) -> bool:
        start = self.i
        agg: str | None = None
        for words in (("distinct", "count"), ("unique", "fraction"), ("null", "fraction")):
            if self.eat(*words):
                agg = "_".join(words)
                break
        if agg is None:
            for word in ("min", "max", "mean", "median", "std", "sum"):
                if self.at(word, "of"):
                    self.i += 1
                    agg = word
                    break
        if agg is None and self.at("quantile"):
            t = self.peek(1)
            if t is not None and t.kind == "num":
                self.i += 2
                agg, rule.q = "quantile", float(t.value)
                if not 0 <= rule.q <= 1:
                    self.i -= 1
                    self.fail("a quantile must be between 0 and 1")
        if agg is None:
            for word in ("min", "max", "mean", "median", "std", "sum"):
                if self.at(word, "("):  # max(ts) reads as max of ts
                    self.i += 2
                    agg = word
                    rule.column = self.column_name()
                    self.need(")")
                    break
        if agg is None:
            return False
        if rule.column is None:
            if not self.eat("of"):
                self.i = start
                return False
            rule.column = self.column_name()
        rule.agg = agg
        rule.expr = Expr("col", rule.column)
        self.comparison_tail(rule)
        for side in (rule.right, rule.low, rule.high):
            if side is not None and (side.columns() or side.kind == "len"):
                raise RuleError(f"line {self.line}: an aggregate is compared with numbers (or, for datetimes, "
                                f"dates, now, today and durations), not with columns, in '{self.text}'")
        rule.kind = "agg_" + rule.kind
        return True

    def _compound_unique(self, rule: Rule) -> bool:
        """``(a, b) is unique`` or ``(a, b) [not] in {(…), …}``."""
        start = self.i
        self.i += 1
        try:
            names = self.name_list()
            ok = self.eat(")") and len(names) > 1
        except RuleError:
            ok = False
        if ok and (self.eat("not", "in") or self.eat("in")):
            rule.negate = self.toks[self.i - 2].text.lower() == "not"
            self.tuple_set(rule, names)
            return True
        if not ok or not self.eat("is", "unique"):
            self.i = start
            return False
        rule.kind, rule.columns = "compound_unique", names
        return True


def _constant(e: Expr) -> float | _dt.datetime | None:
    """The value of a constant bound (a number, or a quoted ISO date), else None."""
    if e.kind == "num":
        return float(e.value)
    if e.kind == "str":
        try:
            value = _dt.datetime.fromisoformat(str(e.value))
        except ValueError:
            return None
        return value if value.tzinfo is None else value.replace(tzinfo=None) - value.utcoffset()  # type: ignore[operator]
    return None


def parse_rule(text: str, line: int = 1) -> Rule | None:
    """Parse one line; ``None`` for a blank or comment-only line."""
    tokens = tokenize(text, line)
    if not tokens:
        return None
    return _Parser(tokens, text, line).rule()


def parse_rules(text: str | list[str], first_line: int = 1) -> list[Rule]:
    """Parse a rules text (one rule per line) or a list of rule strings."""
    lines = text.splitlines() if isinstance(text, str) else list(text)
    rules = []
    for offset, raw in enumerate(lines):
        if not isinstance(raw, str):
            raise RuleError(f"line {first_line + offset}: a rule must be text, got {type(raw).__name__}")
        rule = parse_rule(raw, first_line + offset)
        if rule is not None:
            rules.append(rule)
    return rules


__all__ = [
    "AGGREGATES",
    "CMP_OPS",
    "RULE_STARTS",
    "TYPE_NAMES",
    "Expr",
    "Rule",
    "Token",
    "parse_rule",
    "parse_rules",
    "quote_name",
    "tokenize",
]
