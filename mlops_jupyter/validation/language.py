"""The rule language: one rule per line, read aloud, parsed without ``eval``.

Tokens are names (``price``, ``champion.accuracy``, or any text in backquotes), numbers,
strings (raw: backslashes are kept for regexes, ``\\"`` is a quote), operators and
punctuation. ``#`` starts a comment outside strings. The grammar is in docs/validation.md;
this module turns text into :class:`Rule` objects whose expressions are small trees of
:class:`Expr` nodes (column names, numbers, strings, arithmetic) evaluated by the engine.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import RuleError

CMP_OPS = ("<=", ">=", "==", "!=", "<", ">")
TYPE_NAMES = ("integer", "float", "numeric", "string", "boolean", "datetime", "category", "object")
AGGREGATES = ("min", "max", "mean", "median", "std", "sum", "quantile", "distinct count",
              "unique fraction", "null fraction")
RULE_STARTS = (
    "rows", "columns", "no duplicate rows", "(a, b) is unique", "type of", *AGGREGATES, "length of",
    "<column or expression>",
)

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#.*)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<bq>`[^`]+`)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op><=|>=|==|!=|<|>|\+|-|\*|/|%|\(|\)|\{|\}|\[|\]|,)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # num | str | name | col (backquoted) | op
    text: str
    value: Any


def tokenize(text: str, line: int = 1) -> list[Token]:
    """Split one rule line into tokens; raise :class:`RuleError` on stray characters."""
    out: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise RuleError(
                f"line {line}: unexpected character {text[pos]!r} in '{text.strip()}'",
                hint="names with spaces or symbols go in backquotes: `my col`",
            )
        pos = m.end()
        kind = m.lastgroup or ""
        raw = m.group()
        if kind in ("ws", "comment"):
            continue
        if kind == "num":
            out.append(Token("num", raw, float(raw) if any(c in raw for c in ".eE") else int(raw)))
        elif kind == "str":
            quote = raw[0]
            out.append(Token("str", raw, raw[1:-1].replace("\\" + quote, quote)))
        elif kind == "bq":
            out.append(Token("col", raw, raw[1:-1]))
        else:
            out.append(Token(kind, raw, raw))
    return out


# -- expressions --------------------------------------------------------------------
@dataclass(frozen=True)
class Expr:
    """A node of a row expression: ``num``, ``str``, ``col``, ``len``, ``neg`` or ``bin``."""

    kind: str
    value: Any = None
    left: Expr | None = None
    right: Expr | None = None

    def columns(self) -> list[str]:
        """Column (or metric) names this expression reads, in order, without repeats."""
        out: list[str] = []
        for node in (self.left, self.right):
            if node is not None:
                out += [c for c in node.columns() if c not in out]
        if self.kind in ("col", "len") and self.value not in out:
            out.insert(0, self.value)
        return out

    def text(self) -> str:
        if self.kind == "num":
            return repr(self.value)
        if self.kind == "str":
            return '"' + str(self.value).replace('"', '\\"') + '"'
        if self.kind == "col":
            return quote_name(self.value)
        if self.kind == "len":
            return f"length of {quote_name(self.value)}"
        if self.kind == "neg":
            assert self.left is not None
            return f"-{self.left.text()}"
        assert self.left is not None and self.right is not None
        return f"({self.left.text()} {self.value} {self.right.text()})"


_KEYWORDS = {"and", "or", "is", "not", "in", "of", "between", "strictly", "matches", "does",
             "match", "mostly", "parses", "as", "length", "rows", "columns", "unique", "null"}


def quote_name(name: str) -> str:
    """A column name as rule text: bare when it is a plain name, else in backquotes."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and name not in _KEYWORDS:
        return name
    return f"`{name}`"


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

    def row_rule(self) -> bool:
        """True when the rule judges rows one by one (``mostly`` applies)."""
        return self.kind in ("compare", "between", "not_null", "in_set", "matches", "parses",
                             "not_future", "unique", "compound_unique", "monotonic", "duplicates")


class _Parser:
    def __init__(self, tokens: list[Token], text: str, line: int) -> None:
        self.toks = tokens
        self.i = 0
        self.text = text.strip()
        self.line = line

    # token helpers
    def peek(self, k: int = 0) -> Token | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def at(self, *words: str) -> bool:
        for k, w in enumerate(words):
            t = self.peek(k)
            if t is None or t.kind not in ("name", "op") or t.text.lower() != w:
                return False
        return True

    def eat(self, *words: str) -> bool:
        if self.at(*words):
            self.i += len(words)
            return True
        return False

    def need(self, *words: str) -> None:
        if not self.eat(*words):
            self.fail(f"expected '{' '.join(words)}'")

    def done(self) -> bool:
        return self.i >= len(self.toks)

    def fail(self, why: str, hint: str | None = None) -> RuleError:
        where = self.peek()
        near = f" near '{where.text}'" if where is not None else " at end of rule"
        raise RuleError(f"line {self.line}: {why}{near} in '{self.text}'", hint=hint)

    def number(self) -> float:
        neg = self.eat("-")
        t = self.peek()
        if t is None or t.kind != "num":
            self.fail("expected a number")
        assert t is not None
        self.i += 1
        return -t.value if neg else t.value

    def column_name(self) -> str:
        t = self.peek()
        if t is None or t.kind not in ("name", "col"):
            self.fail("expected a column name")
        assert t is not None
        if t.kind == "name" and t.text.lower() in _KEYWORDS:
            self.fail(f"'{t.text}' is a keyword, not a column name", hint=f"write `{t.text}` in backquotes")
        self.i += 1
        return str(t.value)

    # expressions
    def expr(self) -> Expr:
        node = self.term()
        while self.peek() is not None and self.at_op("+", "-"):
            op = self.toks[self.i].text
            self.i += 1
            node = Expr("bin", op, node, self.term())
        return node

    def at_op(self, *ops: str) -> bool:
        t = self.peek()
        return t is not None and t.kind == "op" and t.text in ops

    def term(self) -> Expr:
        node = self.unary()
        while self.at_op("*", "/", "%"):
            op = self.toks[self.i].text
            self.i += 1
            node = Expr("bin", op, node, self.unary())
        return node

    def unary(self) -> Expr:
        if self.at_op("-"):
            self.i += 1
            inner = self.unary()
            if inner.kind == "num":
                return Expr("num", -inner.value)
            return Expr("neg", left=inner)
        return self.atom()

    def atom(self) -> Expr:
        t = self.peek()
        if t is None:
            self.fail("expected a value")
        assert t is not None
        if t.kind == "num":
            self.i += 1
            return Expr("num", t.value)
        if t.kind == "str":
            self.i += 1
            return Expr("str", t.value)
        if self.at_op("("):
            self.i += 1
            inner = self.expr()
            self.need(")")
            return inner
        if self.at("length", "of"):
            self.i += 2
            return Expr("len", self.column_name())
        if t.kind == "name" and t.text.lower() in ("inf", "nan"):
            self.fail(f"'{t.text}' is not allowed as a bound", hint="use a finite number")
        return Expr("col", self.column_name())

    def value_list(self) -> list[Any]:
        close = "}" if self.eat("{") else ("]" if self.eat("[") else None)
        if close is None:
            self.fail("expected a set like {\"a\", \"b\"}")
        values: list[Any] = []
        while not self.eat(close or "}"):
            t = self.peek()
            if t is not None and t.kind == "name" and t.text.lower() in ("null", "none"):
                self.i += 1
                values.append(None)
            else:
                neg = self.eat("-")
                t = self.peek()
                if t is None or t.kind not in ("num", "str"):
                    self.fail("set members must be numbers or strings")
                assert t is not None
                self.i += 1
                values.append(-t.value if neg else t.value)
            if not self.eat(","):
                self.need(close or "}")
                break
        return values

    def name_list(self) -> list[str]:
        names = [self.column_name()]
        while self.eat(","):
            names.append(self.column_name())
        return names

    def comparison_tail(self, rule: Rule) -> Rule:
        """``OP expr`` or ``[strictly] between expr and expr`` after a subject."""
        if self.eat("strictly", "between"):
            rule.kind, rule.exclusive = "between", True
        elif self.eat("between"):
            rule.kind = "between"
        if rule.kind == "between":
            rule.low = self.expr()
            self.need("and")
            rule.high = self.expr()
            return rule
        t = self.peek()
        if t is not None and t.kind == "op" and t.text in CMP_OPS:
            self.i += 1
            rule.op = t.text
            rule.right = self.expr()
            rule.kind = "compare"
            return rule
        words = ["between", "strictly between", "matches", "does not match", "in", "not in", "is",
                 "parses as datetime"]
        close = difflib.get_close_matches(t.text if t is not None else "", words, n=1, cutoff=0.6)
        self.fail("unknown rule: expected a comparison (<, <=, ==, !=, >=, >), 'between', 'in', "
                  "'matches', 'is …' or 'parses as datetime'",
                  hint=f"did you mean '{close[0]}'?" if close else "see docs/validation.md for the grammar")
        return rule

    # rules
    def rule(self) -> Rule:
        rule = Rule(kind="", text=self.text, line=self.line)
        toks = self.toks
        if (len(toks) >= 2 and toks[-2].kind == "name" and toks[-2].text.lower() == "mostly"):
            if toks[-1].kind != "num" or not 0 < float(toks[-1].value) <= 1:
                self.i = len(toks) - 1
                self.fail("'mostly' needs a fraction in (0, 1]")
            rule.mostly = float(toks[-1].value)
            self.toks = toks[:-2]
        self._body(rule)
        if not self.done():
            self.fail("unexpected text after the rule")
        if rule.mostly is not None and not rule.row_rule():
            raise RuleError(f"line {self.line}: 'mostly' applies only to row rules, not to '{self.text}'")
        return rule

    def _body(self, rule: Rule) -> None:
        if self.eat("rows"):
            rule.kind = "rows"
            rule.expr = Expr("col", "rows")
            self.comparison_tail(rule)
            rule.kind = "rows_" + rule.kind
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
            t = self.peek()
            if t is None or t.kind != "str":
                self.fail("expected a regular expression in quotes")
            assert t is not None
            self.i += 1
            try:
                re.compile(t.value)
            except re.error as exc:
                raise RuleError(f"line {self.line}: bad regular expression {t.text}: {exc} in '{self.text}'") from None
            rule.pattern = t.value
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

    def _need_column(self, rule: Rule, what: str) -> None:
        if rule.column is None:
            raise RuleError(f"line {self.line}: {what} needs a single column on its left in '{self.text}'")

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
            return False
        if not self.eat("of"):
            self.i = start
            return False
        rule.agg = agg
        rule.column = self.column_name()
        rule.expr = Expr("col", rule.column)
        self.comparison_tail(rule)
        for side in (rule.right, rule.low, rule.high):
            if side is not None and side.kind != "num":
                raise RuleError(f"line {self.line}: an aggregate is compared with numbers only in '{self.text}'")
        rule.kind = "agg_" + rule.kind
        return True

    def _compound_unique(self, rule: Rule) -> bool:
        start = self.i
        self.i += 1
        try:
            names = self.name_list()
            ok = self.eat(")") and self.eat("is", "unique") and len(names) > 1
        except RuleError:
            ok = False
        if not ok:
            self.i = start
            return False
        rule.kind, rule.columns = "compound_unique", names
        return True


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
