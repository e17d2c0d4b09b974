"""Views of result objects, registered from outside by type name.

As IPython's formatters register a printer with ``for_type_by_name(module, name, func)``
without importing the type, every view module of ``display/`` (and the ``widgets/``
surface) registers its functions for the dotted name of the result class they show::

    @view("mlops_jupyter.data.pins.DatasetPin", "text")
    def pin_text(p: DatasetPin) -> str: ...

Result classes know nothing of ``display/``: they inherit :class:`~mlops_jupyter._views.Viewable`,
whose ``__str__`` / ``_repr_html_`` / ``_repr_mimebundle_`` / ``_view(kind)`` ask
:func:`render` here, and this module imports the providers (:data:`PROVIDERS`) the first
time a view is asked for. A lookup walks the object's MRO, so a subclass shows as its base
unless it registers its own view.

Kinds in use: ``text`` (``__str__``), ``html`` (``_repr_html_``), ``bundle``
(``_repr_mimebundle_``: a full mime bundle, or None to let IPython use the others), and
named extras called through the result's methods (``figure``, ``widget``, ``live``,
``distribution_figure``).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

# the modules that register views, imported on the first lookup (light: plotly and
# ipywidgets are imported inside the functions that build figures and widgets)
PROVIDERS: list[str] = [
    "mlops_jupyter.display.ci_summary",
    "mlops_jupyter.display.data",
    "mlops_jupyter.display.doctor",
    "mlops_jupyter.display.drift",
    "mlops_jupyter.display.export",
    "mlops_jupyter.display.monitoring",
    "mlops_jupyter.display.release",
    "mlops_jupyter.display.serving",
    "mlops_jupyter.display.testing",
    "mlops_jupyter.display.testing_coverage",
    "mlops_jupyter.display.tracking",
    "mlops_jupyter.display.validation",
    "mlops_jupyter.widgets",  # the surface with buttons: the data status panel (bundle, widget)
]

_VIEWS: dict[str, dict[str, Callable[..., Any]]] = {}  # "module.QualName" -> kind -> function
_lock = threading.Lock()
_loaded = False


def for_type_by_name(type_module: str, type_name: str, kind: str, func: Callable[..., Any]) -> Callable[..., Any] | None:
    """Register ``func`` as the ``kind`` view of the class ``type_module.type_name``; returns
    the view it replaces (None if there was none), as IPython's formatter does. The
    providers are loaded first, so a view registered here replaces theirs."""
    _load()
    return _register(type_module, type_name, kind, func)


def _register(type_module: str, type_name: str, kind: str, func: Callable[..., Any]) -> Callable[..., Any] | None:
    views = _VIEWS.setdefault(f"{type_module}.{type_name}", {})
    old = views.get(kind)
    views[kind] = func
    return old


def view(type_path: str, kind: str) -> Callable[[F], F]:
    """Decorator: register the function as the ``kind`` view of the class at ``type_path``
    (``"package.module.ClassName"``); the function is returned unchanged."""
    module, _, name = type_path.rpartition(".")

    def register(func: F) -> F:
        _register(module, name, kind, func)
        return func

    return register


def _load() -> None:
    global _loaded
    if _loaded:
        return
    with _lock:
        if not _loaded:
            for name in PROVIDERS:
                importlib.import_module(name)
            _loaded = True


def lookup(obj: Any, kind: str) -> Callable[..., Any] | None:
    """The ``kind`` view of ``obj`` (its class or the nearest base with one), or None."""
    _load()
    for cls in type(obj).__mro__:
        views = _VIEWS.get(f"{cls.__module__}.{cls.__qualname__}")
        if views and kind in views:
            return views[kind]
    return None


def render(obj: Any, kind: str, *args: Any, **kwargs: Any) -> Any:
    """``obj`` shown by its ``kind`` view; LookupError when none is registered (a bug: the
    import guard test checks every result class has its text and HTML views)."""
    func = lookup(obj, kind)
    if func is None:
        raise LookupError(f"no {kind} view is registered for {type(obj).__module__}.{type(obj).__qualname__}")
    return func(obj, *args, **kwargs)


def registered() -> dict[str, set[str]]:
    """Every registered type name with its view kinds (after loading the providers)."""
    _load()
    return {name: set(views) for name, views in _VIEWS.items()}
