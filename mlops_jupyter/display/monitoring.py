"""Views of ``MonitorReport``: an HTML card, a bounded plotly figure, a live FigureWidget."""

from __future__ import annotations

import math
import threading
from html import escape
from typing import TYPE_CHECKING, Any

from .html import badge, card, table, text_table
from .registry import view

if TYPE_CHECKING:
    from ..monitoring.report import MonitorReport

REPORT = "mlops_jupyter.monitoring.report.MonitorReport"

MAX_WINDOWS = 500  # points per trace: a bounded figure whatever the log size


def _scored(report: MonitorReport) -> bool:
    """An AUC column only for models that give scores (a probability per labelled request)."""
    return any(a.get("auc") is not None for a in report.arms)


@view(REPORT, "text")
def report_text(report: MonitorReport) -> str:
    """Plain text: the arms table, the last window's drift, the SLO verdicts."""
    state = "running" if report.running else "not running"
    head = f"service {report.service} ({state}) {report.url} — window {report.window}"
    scored = _scored(report)
    rows = [[a["arm"], a["model_version"], a["requests"], _text_pct(a["error_rate"]), _ms(a["p50_latency"]),
             _ms(a["p95_latency"]), _ms(a["p99_latency"]), _text_pct(a["uptime"]), a["labelled"],
             _text_pct(a["accuracy"]), *([_num(a.get("auc"))] if scored else [])] for a in report.arms]
    lines = [head, text_table(["arm", "version", "requests", "errors", "p50", "p95", "p99", "uptime",
                               "labelled", "accuracy", *(["AUC"] if scored else [])], rows)]
    last = report._last_drift()
    if last:
        lines.append(f"last window: drift share {_text_pct(last.get('drift_share'))}, "
                     f"prediction drift {_num(last.get('prediction_drift'))}")
    for r in report.slo:
        lines.append(f"{'ok  ' if r.ok else 'FAIL'} {r.rule}: {r.reason}" + (f", worst {_num(r.worst)}" if r.worst is not None else ""))
    return "\n".join(lines)


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _text_pct(v: Any) -> str:
    return "—" if _missing(v) else f"{100 * v:.1f}%"


def _ms(v: Any) -> str:
    return "—" if _missing(v) else f"{v:.1f} ms"


def _num(v: Any) -> str:
    return "—" if _missing(v) else f"{v:.3g}"


@view(REPORT, "html")
def report_html(report: MonitorReport) -> str:
    state = badge("ok" if report.ok else "fail") + " " + badge("running" if report.running else "stopped",
                                                             "mlops-info" if report.running else "mlops-muted")
    scored = _scored(report)
    rows = [[a["arm"], a["model_version"], a["requests"], _pct(a["error_rate"]), a["p50_latency"], a["p95_latency"],
             a["p99_latency"], _pct(a["uptime"]), a["labelled"], _pct(a["accuracy"]),
             *([a.get("auc")] if scored else [])] for a in report.arms[:10]]
    body = f"<div>{state} <code>{escape(report.url)}</code> window {escape(report.window)}</div>"
    body += table(["arm", "version", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "uptime", "labelled", "accuracy",
                   *(["AUC"] if scored else [])], rows)
    if report.slo:
        body += table(["SLO", "verdict", "windows", "worst"],
                      [[r.rule, badge("ok" if r.ok else "fail"), r.reason, r.worst] for r in report.slo[:20]],
                      raw_html_cols={1})
    return card(f"monitor: service {report.service}", body)


def _pct(v: Any) -> str:
    return "—" if v is None or v != v else f"{100 * v:.1f}%"


@view(REPORT, "figure")
def report_figure(report: MonitorReport) -> Any:
    """Six panels sharing the time axis; one trace per arm where the measure is per arm."""
    import pandas as pd
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=3, cols=2, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("requests / s", "p95 latency (ms)", "error rate", "arm up",
                                        "input drift share / prediction drift", "accuracy (labelled)"))
    w = report.windows.tail(MAX_WINDOWS * max(1, len(report.arms)))
    for arm in [a["arm"] for a in report.arms]:
        rows = w[w["arm"] == arm]
        x = pd.to_datetime(rows["window"], unit="s", utc=True)
        fig.add_trace(go.Scatter(x=x, y=rows["request_rate"], name=f"{arm} rate", legendgroup=arm), 1, 1)
        fig.add_trace(go.Scatter(x=x, y=rows["p95_latency"], name=f"{arm} p95", legendgroup=arm), 1, 2)
        fig.add_trace(go.Scatter(x=x, y=rows["error_rate"], name=f"{arm} errors", legendgroup=arm), 2, 1)
        if "accuracy" in rows.columns:
            fig.add_trace(go.Scatter(x=x, y=rows["accuracy"], name=f"{arm} accuracy", legendgroup=arm), 3, 2)
        xs, ys = _up_steps(report, arm)
        fig.add_trace(go.Scatter(x=pd.to_datetime(xs, unit="s", utc=True), y=ys, name=f"{arm} up",
                                 line={"shape": "hv"}, legendgroup=arm), 2, 2)
    if report.drift:
        items = sorted(report.drift.items())[-MAX_WINDOWS:]
        x = pd.to_datetime([k for k, _ in items], unit="s", utc=True)
        fig.add_trace(go.Scatter(x=x, y=[v.get("drift_share") for _, v in items], name="input drift share"), 3, 1)
        fig.add_trace(go.Scatter(x=x, y=[v.get("prediction_drift") for _, v in items], name="prediction drift"), 3, 1)
    fig.update_layout(height=650, title=f"service {report.service}", margin={"t": 60, "l": 40, "r": 20, "b": 30})
    return fig


def _up_steps(report: MonitorReport, arm: str) -> tuple[list[float], list[int]]:
    """A step line: 1 while up, 0 during each down interval (the gap in the uptime chart)."""
    start = float(report.windows["window"].min()) if len(report.windows) else report.generated
    xs, ys = [start], [1]
    for a, b in report.down.get(arm, [])[-MAX_WINDOWS:]:
        xs += [a, b]
        ys += [0, 1]
    xs.append(report.generated)
    ys.append(ys[-1] if not report.down.get(arm) or report.down[arm][-1][1] < report.generated else 0)
    return xs, ys


class LiveMonitor:
    """A FigureWidget that re-reads the service every ``interval`` seconds until ``stop()``."""

    def __init__(self, report: MonitorReport, interval: float, kwargs: dict[str, Any]) -> None:
        import plotly.graph_objects as go

        self.widget = go.FigureWidget(report_figure(report))
        self.interval, self.kwargs, self.service = interval, kwargs, report.service
        self._stop = threading.Event()
        self.refreshes = 0
        self._thread = threading.Thread(target=self._run, name=f"mlops-monitor-{report.service}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from ..monitoring.api import monitor

        while not self._stop.wait(self.interval):
            try:
                fresh = report_figure(monitor(self.service, **self.kwargs))
            except Exception:  # a refresh that fails keeps the last chart; the next one retries
                continue
            with self.widget.batch_update():
                self.widget.data = ()
                self.widget.add_traces(list(fresh.data), rows=None)
                self.widget.layout = fresh.layout
            self.refreshes += 1

    def stop(self) -> None:
        self._stop.set()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


@view(REPORT, "live")
def live_figure(report: MonitorReport, interval: float, kwargs: dict[str, Any]) -> Any:
    """A live widget in interactive kernels; the static figure where widgets are not wanted."""
    from .runchart import chart_mode

    if chart_mode() != "widget":
        return report_figure(report)
    return LiveMonitor(report, interval, kwargs)
