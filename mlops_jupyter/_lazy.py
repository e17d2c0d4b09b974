"""One lazy-attribute helper for the package ``__init__``s (in the spirit of ``lazy_loader.attach``).

A package lists its public names in one table, ``name -> module that defines it``, and calls::

    if TYPE_CHECKING:
        from .api import validate as validate      # the static view, for mypy and IDEs
    else:
        __getattr__, __dir__ = attach(__name__, _NAMES)

The first access of a name imports its module (so importing the package stays light: no
mlflow, dvc, scipy or plotly) and keeps the value in the package's namespace. Type checkers
never see ``__getattr__``: they read the ``TYPE_CHECKING`` imports, so ``mj.drift`` has its
real signature and a misspelt name is an error, not ``Any``. ``tests/unit/test_public_api.py``
checks that each table and its static view name the same objects.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Mapping
from typing import Any

# package -> its table (absolute module names), so that a name re-exported from a lazy
# package is resolved through that package's table, not through its attribute: a submodule
# named like a public name would replace that attribute once imported (no module of the
# package is named so any more; tests/unit/test_public_api.py keeps it that way).
_TABLES: dict[str, dict[str, str]] = {}


def attach(package: str, names: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package`` resolving ``names`` lazily.

    ``names`` maps a public name to the module that defines it: absolute
    (``"mlops_jupyter.tracking"``) or relative to ``package`` (``".api"``). A name that is
    also a submodule of ``package`` is not cached, so that importing the submodule still
    gives the module.
    """
    where = {name: importlib.util.resolve_name(module, package) for name, module in names.items()}
    _TABLES[package] = where

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = resolve(package, name)
        if f"{package}.{name}" not in sys.modules:
            setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(where))

    return __getattr__, __dir__


def resolve(package: str, name: str) -> Any:
    """The object ``name`` of lazy ``package``, followed through the tables to its defining module."""
    module = _TABLES[package][name]
    importlib.import_module(module)  # registers its table if it is a lazy package too
    if name in _TABLES.get(module, {}):
        return resolve(module, name)
    return getattr(sys.modules[module], name)


__all__ = ["attach", "resolve"]
