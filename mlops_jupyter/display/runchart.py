"""A live plotly chart of a run's metrics, updated from the background writer (throttled).

Two ways to draw, chosen by the caller:

- ``widget=True`` (an interactive kernel with a live frontend): a plotly ``FigureWidget``;
  its comm messages reach the frontend from any thread and any later cell.
- ``widget=False`` (headless runs: jobs, CI): a plain figure shown under a display id and
  redrawn with ``update_display``. Executed notebooks and run snapshots keep the final
  figure (kilobytes) instead of a widget state that embeds plotly.js (megabytes); JupyterLab
  does not apply display updates to a cell whose execution has finished, so this mode is
  not used there.

Which one (or none) is chosen by :func:`chart_mode`: ``live_chart`` in the ``[tracking]``
table, or ``MLOPS_LIVE_CHART``.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

LIVE_CHART_MODES = ("auto", "widget", "static", "off")
TRACKING_KEYS = {"live_chart"}
MAX_POINTS_PER_SERIES = 5000
MAX_SERIES = 12
PLOTLY_MIME = "application/vnd.plotly.v1+json"
MAX_TITLE_VALUES = 6


def _short(value: float) -> str:
    return f"{value:.4g}"


def chart_mode() -> str:
    """``widget``, ``static`` or ``off`` for a chart drawn now.

    ``MLOPS_LIVE_CHART`` wins over ``live_chart`` in ``[tracking]``; ``auto`` (the default)
    is a widget in interactive kernels watched by a live frontend (:func:`live_frontend`)
    and a static figure in headless runs, including nbconvert/papermill/nbclient executions. ``static`` suits
    notebooks executed by nbclient for reading later: widget state would embed plotly.js
    (megabytes) in every saved notebook and its snapshot.
    """
    import os

    from ..config import check_keys
    from ..errors import ConfigError
    from ..session import session

    section = session.config().section("tracking")
    check_keys("[tracking]", section, TRACKING_KEYS)
    env = os.environ.get("MLOPS_LIVE_CHART", "").strip().lower()
    mode, where = (env, "MLOPS_LIVE_CHART") if env else (str(section.get("live_chart", "auto")), "[tracking] live_chart")
    if mode not in LIVE_CHART_MODES:
        raise ConfigError(f"{where} is {mode!r}", hint=f"use one of: {', '.join(LIVE_CHART_MODES)}")
    if mode == "auto":
        return "static" if session.headless or not live_frontend() else "widget"
    return mode


HEADLESS_PARENTS = ("nbconvert", "papermill", "nbclient", "mlops-jupyter", "mlops_jupyter.cli")


def _parent_cmdline() -> str:
    """The command line of the process that started this kernel ('' where unknown)."""
    import os

    pid = os.environ.get("JPY_PARENT_PID") or str(os.getppid())
    try:
        with open(f"/proc/{int(pid)}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except (OSError, ValueError):
        pass
    try:
        import psutil

        return " ".join(psutil.Process(int(pid)).cmdline())
    except Exception:
        return ""


def live_frontend() -> bool:
    """True when a person watches this kernel through a frontend that keeps widgets alive.

    A kernel started by a Jupyter server for a notebook has ``JPY_SESSION_NAME`` (JupyterLab,
    Notebook 7, JupyterHub); VS Code marks its kernels with ``VSCODE_PID`` or
    ``__vsc_ipynb_file__``. A kernel started by nbconvert, papermill or nbclient (whose widget
    state would be saved into the notebook: megabytes of plotly.js per chart) has neither, or
    has one inherited from a notebook that ran the command while its own parent process is
    one of those tools. Anything unknown counts as headless: a plain figure shows everywhere.
    """
    import os
    import sys

    parent = _parent_cmdline().lower()
    if any(tool in parent for tool in HEADLESS_PARENTS):
        return False
    if os.environ.get("JPY_SESSION_NAME") or os.environ.get("VSCODE_PID"):
        return True
    ip = sys.modules.get("IPython")
    shell = ip.get_ipython() if ip is not None else None
    return bool(shell is not None and "__vsc_ipynb_file__" in getattr(shell, "user_ns", {}))


class LiveChart:
    """One line per metric (x = step). ``on_points`` is called by the writer thread.

    With ``live=True`` the chart is displayed by :meth:`show` and each redraw updates that
    display in place; with ``live=False`` only :attr:`figure` is kept up to date.
    """

    def __init__(self, title: str, min_interval: float = 1.0, live: bool = True, widget: bool = False) -> None:
        import plotly.graph_objects as go

        self.title = title
        self.min_interval = min_interval
        self.live = live
        self.widget = widget
        self.display_id = f"mlops-chart-{uuid.uuid4().hex}"
        self.series: dict[str, tuple[list[int], list[float]]] = {}
        self._lock = threading.Lock()
        self._last = float("-inf")
        self._dirty = False
        self.redraws = 0
        self._timer: threading.Timer | None = None
        from .figtext import plotly_text

        layout = {"title": plotly_text(title), "height": 300, "margin": {"l": 40, "r": 10, "t": 30, "b": 30},
                  "xaxis": {"title": "step"}, "showlegend": True}  # one metric is named too
        self.figure: Any = go.FigureWidget(layout=layout) if widget else go.Figure(layout=layout)

    def bundle(self) -> dict[str, Any]:
        """The mime bundle of the chart as it is now (plotly JSON + a text fallback)."""
        import plotly.io as pio

        points = sum(len(t.x or ()) for t in self.figure.data)
        return {
            PLOTLY_MIME: json.loads(pio.to_json(self.figure, validate=False)),
            "text/plain": f"<live chart: {len(self.figure.data)} metric(s), {points} point(s)>",
        }

    def show(self) -> None:
        """Display the chart under its display id (call once, from the cell)."""
        from IPython.display import display

        if self.widget:
            display(self.figure)
        else:
            display(self.bundle(), raw=True, display_id=self.display_id)

    def on_points(self, points: list[tuple[str, float, int, int]]) -> None:
        """New points were stored: remember them, redraw at most every ``min_interval`` s."""
        with self._lock:
            for key, value, _ts, step in points:
                if key not in self.series and len(self.series) >= MAX_SERIES:
                    continue
                xs, ys = self.series.setdefault(key, ([], []))
                xs.append(step)
                ys.append(value)
                if len(xs) > MAX_POINTS_PER_SERIES:
                    del xs[: len(xs) - MAX_POINTS_PER_SERIES]
                    del ys[: len(ys) - MAX_POINTS_PER_SERIES]
            self._dirty = True
        wait = self.min_interval - (time.monotonic() - self._last)
        if wait <= 0:
            self.redraw()
        elif self._timer is None and wait < 60:
            # throttled: draw the trailing points once the interval is over
            self._timer = threading.Timer(wait, self._trailing)
            self._timer.daemon = True
            self._timer.start()

    def _trailing(self) -> None:
        self._timer = None
        self.redraw()

    def redraw(self, force: bool = False) -> None:
        """Push the series to the figure and the display; ``force`` sends the display update
        even when nothing changed (the run's end does, from the cell's own thread)."""
        with self._lock:
            if not self._dirty and not force:
                return
            data = {k: (list(x), list(y)) for k, (x, y) in self.series.items()}
            self._dirty = False
            self._last = time.monotonic()
        from .figtext import plotly_text

        fig = self.figure
        existing = {t.name: t for t in fig.data}
        # a metric with one point (a constant logged once, e.g. a hyperparameter logged as a
        # number) is a value in the title, not a step-0 point that squashes the curves
        values = {k: ys[0] for k, (xs, ys) in data.items() if len(xs) == 1 and plotly_text(k) not in existing}
        with fig.batch_update():
            fig.layout.title.text = plotly_text(self.title + (
                "  ·  " + ", ".join(f"{k}={_short(v)}" for k, v in list(values.items())[:MAX_TITLE_VALUES]) if values else ""
            ))
            for key, (xs, ys) in data.items():
                if key in values:
                    continue
                name = plotly_text(key)  # metric names are user text: no plotly markup
                trace = existing.get(name)
                if trace is None:
                    fig.add_scatter(x=xs, y=ys, mode="lines+markers" if len(xs) < 50 else "lines", name=name)
                else:
                    trace.x, trace.y = xs, ys
        self.redraws += 1
        if self.live and not self.widget:
            from IPython.display import update_display

            update_display(self.bundle(), raw=True, display_id=self.display_id)


class LiveCard:
    """The run card, kept true to the run it describes.

    Shown once by the start cell; refreshed (at most every ``min_interval`` s) when points are
    stored, and once more when the run ends, so that it says FINISHED/FAILED and the final
    number of points instead of "RUNNING, 0 points" forever. With ``widget=True`` (a live
    frontend) it is an ``ipywidgets.HTML`` whose value is replaced: its comm messages reach
    JupyterLab from any thread and any later cell, and the bundle carries the card's HTML and
    text for readers without widget state. Otherwise it is a display updated in place with
    ``update_display`` (the same cell in JupyterLab; any cell in nbclient, papermill, classic).
    """

    def __init__(self, handle: Any, widget: bool = False, min_interval: float = 1.0) -> None:
        self.handle = handle
        self.widget = widget
        self.min_interval = min_interval
        self.display_id = f"mlops-card-{uuid.uuid4().hex}"
        self._html: Any = None
        self._last = float("-inf")
        self._lock = threading.Lock()
        self.refreshes = 0

    def _view(self) -> Any:
        from .tracking import RunView

        return RunView.of(self.handle)

    def show(self) -> None:
        """Display the card (call once, from the cell)."""
        from IPython.display import display

        view = self._view()
        if self.widget:
            try:
                import ipywidgets
            except ImportError:  # no widgets installed: a display updated in place
                self.widget = False
                display(view, display_id=self.display_id)
                return

            self._html = ipywidgets.HTML(value=view._repr_html_())
            bundle = dict(self._html._repr_mimebundle_() or {})
            bundle.update({"text/html": view._repr_html_(), "text/plain": str(view)})
            display(bundle, raw=True)
        else:
            display(view, display_id=self.display_id)

    def on_points(self, points: list[Any]) -> None:
        """Points were stored (writer thread): refresh, throttled."""
        self.refresh()

    def refresh(self, force: bool = False) -> None:
        """Redraw the card from the run's current state (``force``: ignore the throttle)."""
        with self._lock:
            if not force and time.monotonic() - self._last < self.min_interval:
                return
            self._last = time.monotonic()
        view = self._view()
        self.refreshes += 1
        if self._html is not None:
            self._html.value = view._repr_html_()
        else:
            from IPython.display import update_display

            update_display(view, display_id=self.display_id)
