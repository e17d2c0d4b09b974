"""IPython magics: one Magics class per topic, each method parse → API call → display.

Magic modules import only IPython and this package's light modules at import time; the
API they call (and so mlflow, dvc, scipy, plotly) is imported inside the method.
"""

from __future__ import annotations

import importlib
from typing import Any

from ..session import session

# module -> Magics class; every entry registers on %load_ext
MAGIC_CLASSES: list[tuple[str, str]] = [
    ("mlops_jupyter.magics.env", "EnvMagics"),
    ("mlops_jupyter.magics.tracking", "TrackingMagics"),
    ("mlops_jupyter.magics.data", "DataMagics"),
    ("mlops_jupyter.magics.validate", "ValidateMagics"),
    ("mlops_jupyter.magics.drift", "DriftMagics"),
    ("mlops_jupyter.magics.export", "ExportMagics"),
    ("mlops_jupyter.magics.release", "ReleaseMagics"),
    ("mlops_jupyter.magics.serving", "ServingMagics"),
    ("mlops_jupyter.magics.testing", "TestingMagics"),
]

_HOOKS: list[Any] = []


def register_script_exports() -> None:
    """Register each topic's ``SCRIPT_EXPORTS`` (magic name -> script form) with the
    exporter's registry; the ``mlops_jupyter.script_exports`` entry point names this."""
    from ..export.registry import register_script_export

    for module_name, _ in MAGIC_CLASSES:
        for name, export in (getattr(importlib.import_module(module_name), "SCRIPT_EXPORTS", None) or {}).items():
            register_script_export(name, export)


def register(ipython: Any) -> None:
    """Register every magic class on ``ipython`` and mark the session interactive."""
    session.interactive = True
    for module_name, class_name in MAGIC_CLASSES:
        module = importlib.import_module(module_name)
        ipython.register_magics(getattr(module, class_name))
    register_script_exports()  # %mlops_export in this kernel finds them even without entry points
    for module_name, _ in MAGIC_CLASSES:
        hook = getattr(importlib.import_module(module_name), "on_load", None)
        if hook is not None:
            hook(ipython)
            _HOOKS.append(module_name)


def unregister(ipython: Any) -> None:
    """Call each topic's ``on_unload`` (flush buffers, close runs cleanly)."""
    for module_name in _HOOKS:
        hook = getattr(importlib.import_module(module_name), "on_unload", None)
        if hook is not None:
            hook(ipython)
    _HOOKS.clear()
