"""Script forms of magics, registered by the surfaces that define them.

The exporter (``--mode script``) turns ``%name LINE`` into the Python source
``exporter(line, cell_body)`` returns. The core owns this registry but knows no magic:
the magics register their exporters — through the ``mlops_jupyter.script_exports`` entry
point group (papermill-style: each entry point is a callable that registers; this package
declares ``mlops_jupyter.magics:register_script_exports``), and when ``%load_ext`` loads
them. Another package can add script forms for its own magics the same way.
"""

from __future__ import annotations

from collections.abc import Callable

ScriptExport = Callable[[str, "str | None"], str]

ENTRY_POINT_GROUP = "mlops_jupyter.script_exports"

_EXPORTS: dict[str, ScriptExport] = {}
_LOADED = False


def register_script_export(name: str, export: ScriptExport) -> None:
    """Make ``export(line, cell)`` the script form of the magic ``name`` (replacing any)."""
    _EXPORTS[name] = export


def register_entry_points() -> None:
    """Call every registration function of the ``mlops_jupyter.script_exports`` group."""
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        ep.load()()


def script_exports() -> dict[str, ScriptExport]:
    """Every registered script form, by magic name (entry points are loaded on first use)."""
    global _LOADED
    if not _LOADED:
        register_entry_points()
        _LOADED = True
    return dict(_EXPORTS)


def reset() -> None:
    """Forget every registration (tests); the next :func:`script_exports` reloads them."""
    global _LOADED
    _EXPORTS.clear()
    _LOADED = False
