"""Widgets with buttons: a surface, like ``magics/`` and ``cli/``. Each button calls the
core API; the core never imports this package.

Importing it is light (no ipywidgets): it registers the data status panel as the
``widget`` and ``bundle`` views of :class:`~mlops_jupyter.data.status.DataStatus` in the
display registry, which lists this package among its providers. The panel itself
(:mod:`.data_status`, which imports ipywidgets) is imported when a status is shown in an
interactive kernel or ``status.widget()`` is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..display.data import STATUS, status_html, status_text
from ..display.registry import view

if TYPE_CHECKING:
    from ..data.status import DataStatus
    from .data_status import DataStatusPanel


def widgets_wanted() -> bool:
    """True in an interactive ipykernel (not headless) that a live frontend watches (not a
    kernel run by nbconvert, papermill or nbclient, whose widget state would be saved into
    the notebook: :func:`~mlops_jupyter.display.runchart.live_frontend`) where ipywidgets
    can be imported."""
    import sys

    from ..display.runchart import live_frontend
    from ..session import session

    if session.headless or "IPython" not in sys.modules or not live_frontend():
        return False
    from IPython import get_ipython

    if getattr(get_ipython(), "kernel", None) is None:  # a terminal IPython has no widget front-end
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


@view(STATUS, "widget")
def status_widget(s: DataStatus) -> DataStatusPanel:
    """The interactive status panel (see :mod:`mlops_jupyter.widgets.data_status`)."""
    try:
        from .data_status import DataStatusPanel
    except ImportError:
        from ..errors import DependencyMissing

        raise DependencyMissing("the data status panel needs ipywidgets", hint="pip install ipywidgets") from None
    return DataStatusPanel(s)


@view(STATUS, "bundle")
def status_bundle(s: DataStatus) -> dict[str, Any] | None:
    """The mime bundle of a status: the panel plus its HTML and text fallbacks, or None (no widget here)."""
    if not widgets_wanted():
        return None
    bundle: dict[str, Any] = status_widget(s)._repr_mimebundle_()
    bundle["text/html"] = status_html(s)  # front-ends without a widget manager (nbviewer, GitHub)
    bundle["text/plain"] = status_text(s)
    return bundle
