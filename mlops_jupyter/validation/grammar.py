"""Lexical and expression grammar of the rule language: tokens, expression trees, and the
token helpers every rule parser builds on.

Tokens are names (``price``, ``champion.accuracy``, or any text in backquotes), numbers,
strings (raw: backslashes are kept for regexes, ``\\"`` is a quote), operators and
punctuation. ``#`` starts a comment outside strings. Row expressions (column names,
numbers, strings, arithmetic) become small trees of :class:`Expr` nodes evaluated by the
engine; the rule phrases themselves are parsed in :mod:`.language`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import RuleError

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
    """One lexical token: its kind, its source text and its value."""

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
    """A node of a row expression: ``num``, ``str``, ``col``, ``len``, ``neg``, ``bin``, or a time:
    ``now``, ``today`` and ``dur`` (a duration: value is ``(number, unit)``)."""

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
        """The expression as rule text (fully parenthesised)."""
        if self.kind == "num":
            return repr(self.value)
        if self.kind == "str":
            return '"' + str(self.value).replace('"', '\\"') + '"'
        if self.kind == "col":
            return quote_name(self.value)
        if self.kind == "len":
            return f"length of {quote_name(self.value)}"
        if self.kind in ("now", "today"):
            return self.kind
        if self.kind == "dur":
            return f"{self.value[0]!r} {self.value[1]}s"
        if self.kind == "neg":
            assert self.left is not None
            return f"-{self.left.text()}"
        assert self.left is not None and self.right is not None
        return f"({self.left.text()} {self.value} {self.right.text()})"


def has_time(e: Expr | None) -> bool:
    """True when ``e`` mentions ``now``, ``today`` or a duration."""
    if e is None:
        return False
    return e.kind in ("now", "today", "dur") or has_time(e.left) or has_time(e.right)


_KEYWORDS = {"and", "or", "is", "not", "in", "of", "between", "strictly", "matches", "does",
             "match", "mostly", "parses", "as", "length", "rows", "columns", "unique", "null",
             "where", "within", "now", "today"}

# duration units (singular and plural) -> seconds
UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}


def quote_name(name: str) -> str:
    """A column name as rule text: bare when it is a plain name, else in backquotes."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and name not in _KEYWORDS:
        return name
    return f"`{name}`"


# -- parsing ------------------------------------------------------------------------
class ExprParser:
    """Cursor over one rule line's tokens, with the expression grammar
    (``+ -`` over ``* / %`` over unary minus over atoms), sets and name lists."""

    def __init__(self, tokens: list[Token], text: str, line: int) -> None:
        self.toks = tokens
        self.i = 0
        self.text = text.strip()
        self.line = line

    # token helpers
    def peek(self, k: int = 0) -> Token | None:
        """The token ``k`` places ahead, or None past the end."""
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def at(self, *words: str) -> bool:
        """True when the next tokens are these words (case-insensitive)."""
        for k, w in enumerate(words):
            t = self.peek(k)
            if t is None or t.kind not in ("name", "op") or t.text.lower() != w:
                return False
        return True

    def eat(self, *words: str) -> bool:
        """Consume these words when they come next; say whether they did."""
        if self.at(*words):
            self.i += len(words)
            return True
        return False

    def need(self, *words: str) -> None:
        """Consume these words or fail."""
        if not self.eat(*words):
            self.fail(f"expected '{' '.join(words)}'")

    def done(self) -> bool:
        """True when every token is consumed."""
        return self.i >= len(self.toks)

    def fail(self, why: str, hint: str | None = None) -> RuleError:
        """Raise a :class:`RuleError` naming the line, the place and the rule text."""
        where = self.peek()
        near = f" near '{where.text}'" if where is not None else " at end of rule"
        raise RuleError(f"line {self.line}: {why}{near} in '{self.text}'", hint=hint)

    def column_name(self) -> str:
        """A bare or backquoted column name; keywords must be backquoted."""
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
        """A sum or difference of terms."""
        node = self.term()
        while self.peek() is not None and self.at_op("+", "-"):
            op = self.toks[self.i].text
            self.i += 1
            node = Expr("bin", op, node, self.term())
        return node

    def at_op(self, *ops: str) -> bool:
        """True when the next token is one of these operators."""
        t = self.peek()
        return t is not None and t.kind == "op" and t.text in ops

    def term(self) -> Expr:
        """A product, quotient or remainder of unary expressions."""
        node = self.unary()
        while self.at_op("*", "/", "%"):
            op = self.toks[self.i].text
            self.i += 1
            node = Expr("bin", op, node, self.unary())
        return node

    def unary(self) -> Expr:
        """An atom with optional leading minus signs (folded into numbers)."""
        if self.at_op("-"):
            self.i += 1
            inner = self.unary()
            if inner.kind == "num":
                return Expr("num", -inner.value)
            if inner.kind == "dur":
                return Expr("dur", (-inner.value[0], inner.value[1]))
            return Expr("neg", left=inner)
        return self.atom()

    def atom(self) -> Expr:
        """A number, string, parenthesised expression, ``length of col`` or column."""
        t = self.peek()
        if t is None:
            self.fail("expected a value")
        assert t is not None
        if t.kind == "num":
            self.i += 1
            unit = self.peek()
            if unit is not None and unit.kind == "name" and unit.text.lower().rstrip("s") in UNITS:
                self.i += 1
                return Expr("dur", (t.value, unit.text.lower().rstrip("s")))
            return Expr("num", t.value)
        if t.kind == "name" and t.text.lower() in ("now", "today"):
            self.i += 1
            return Expr(t.text.lower())
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
        """A set ``{…}`` or list ``[…]`` of numbers, strings and null."""
        close = "}" if self.eat("{") else ("]" if self.eat("[") else None)
        if close is None:
            self.fail("expected a set like {\"a\", \"b\"}")
        values: list[Any] = []
        if self.at(close or "}"):
            self.fail("an empty set: list at least one value", hint='e.g. {"a", "b"}')
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
        """Comma-separated column names."""
        names = [self.column_name()]
        while self.eat(","):
            names.append(self.column_name())
        return names
