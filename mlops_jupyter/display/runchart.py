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


def chart_mode() -> str:
    """``widget``, ``static`` or ``off`` for a chart drawn now.

    ``MLOPS_LIVE_CHART`` wins over ``live_chart`` in ``[tracking]``; ``auto`` (the default)
    is a widget in interactive kernels and a static figure in headless runs. ``static`` suits
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
        return "static" if session.headless else "widget"
    return mode


class LiveChart:
    """One line per metric (x = step). ``on_points`` is called by the writer thread.

    With ``live=True`` the chart is displayed by :meth:`show` and each redraw updates that
    display in place; with ``live=False`` only :attr:`figure` is kept up to date.
    """

    def __init__(self, title: str, min_interval: float = 1.0, live: bool = True, widget: bool = False) -> None:
        import plotly.graph_objects as go

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
        with fig.batch_update():
            for key, (xs, ys) in data.items():
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
