"""A magic line parsed once: the API call it means, runnable and renderable as source.

Each magic parses (and checks) its line into a :class:`Call` — a public API function name,
positional and keyword arguments — exactly once. The magic *runs* the call in the kernel;
the script exporter *renders* the same call as Python source for an exported job
(``call.source()``). Names on the magic line that stand for data are :class:`Ref`
(a notebook variable, else a path); ``{expr}`` and ``$name`` values are :class:`Code`.
This module is core: it imports neither IPython nor the magics.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Ref:
    """A data reference on a magic line: a variable name, else a path (quoted: always a path)."""

    text: str

    def source(self) -> str:
        text = self.text.strip()
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            return repr(text[1:-1])
        return text if is_name(text) else repr(text)


@dataclass(frozen=True)
class Code:
    """A Python expression written on the magic line: ``{expr}`` (kept in parentheses) or
    ``$name`` (``bare``: the name alone)."""

    expr: str
    bare: bool = False

    def source(self) -> str:
        return self.expr if self.bare else f"({self.expr})"


@dataclass
class Call:
    """``mj.<func>(*args, **kwargs)``, parsed from a magic line."""

    func: str
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
    # set by resolved(): the arguments are values now (user data is never walked again)
    ready: bool = field(default=False, repr=False, compare=False)

    def resolved(self, resolve: Callable[[Ref], Any] | None = None) -> Call:
        """The same call with each :class:`Ref` replaced by ``resolve(ref)`` (else its text)."""

        def value(v: Any) -> Any:
            if isinstance(v, Ref):
                return resolve(v) if resolve is not None else v.text
            if isinstance(v, Code):
                raise TypeError(f"{v.expr!r} is source code, not a value: the kernel expands it before the magic runs")
            if isinstance(v, dict) and _has_code(v):
                return {k: value(x) for k, x in v.items()}
            if isinstance(v, list) and _has_code(v):
                return [value(x) for x in v]
            return v

        if self.ready:
            return self
        return Call(self.func, [value(a) for a in self.args], {k: value(v) for k, v in self.kwargs.items()}, ready=True)

    def run(self, resolve: Callable[[Ref], Any] | None = None) -> Any:
        """Call the public API; ``resolve`` turns each :class:`Ref` into its value."""
        import mlops_jupyter

        call = self.resolved(resolve)
        return getattr(mlops_jupyter, self.func)(*call.args, **call.kwargs)

    def source(self, module: str = "mj") -> str:
        """The call as Python source, e.g. ``mj.drift(ref, 'cur.csv', method='psi')``."""
        parts = [source_of(a) for a in self.args]
        parts += [f"{k}={source_of(v)}" for k, v in self.kwargs.items()]
        return f"{module}.{self.func}({', '.join(parts)})"


def source_of(value: Any) -> str:
    """Python source of a call argument (``Ref``/``Code`` inside dicts and lists included)."""
    if isinstance(value, (Ref, Code)):
        return value.source()
    if isinstance(value, dict) and any(_has_code(v) for v in value.values()):
        return "{" + ", ".join(f"{k!r}: {source_of(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list) and any(_has_code(v) for v in value):
        return "[" + ", ".join(source_of(v) for v in value) + "]"
    return repr(value)


def _has_code(value: Any) -> bool:
    if isinstance(value, (Ref, Code)):
        return True
    if isinstance(value, dict):
        return any(_has_code(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_code(v) for v in value)
    return False


def is_name(text: str) -> bool:
    """A Python identifier that is not a keyword (a script global it can stand for)."""
    return text.isidentifier() and not keyword.iskeyword(text)
