"""What several magics share: turning a name on the magic line into the data it means."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from IPython.core.error import UsageError


def resolve_data(shell: Any, ref: str) -> Any:
    """A variable of the user's namespace, else an existing file path (CSV/Parquet/...).

    A quoted name is always a path. Anything else is a ``UsageError`` that says so.
    """
    text = ref.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    ns = shell.user_ns if shell is not None else {}
    if text in ns:
        return ns[text]
    if Path(text).exists() or any(ch in text for ch in "*?["):  # a glob: the DuckDB engine's input
        return text
    raise UsageError(f"no variable or file named '{text}'")


def with_options(table: list[tuple[tuple[str, ...], dict[str, Any]]], *extra: Any) -> Any:
    """Decorate a magic with ``magic_arguments`` built from a topic's shared option table
    (the CLI adds the same table to its parser), then the magic-only ``argument(...)``s."""
    from IPython.core.magic_arguments import argument, magic_arguments

    def deco(func: Any) -> Any:
        decorators = [argument(*flags, **kw) for flags, kw in table] + list(extra)
        for d in reversed(decorators):  # applied bottom-up: keep the table's order in the help
            func = d(func)
        return magic_arguments()(func)

    return deco
