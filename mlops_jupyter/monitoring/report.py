"""``MonitorReport``: a service's health, latency, drift and quality per window, and SLOs."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from .._util import json_safe
from .slo import SloResult


@dataclass
class MonitorReport:
    """What :func:`mj.monitor` returns. ``.ok`` is False when an SLO rule is breached."""

    service: str
    url: str
    running: bool
    window: str
    window_s: float
    generated: float
    arms: list[dict[str, Any]]
    windows: Any  # DataFrame: one row per (window start, arm)
    drift: dict[float, dict[str, Any]] = field(default_factory=dict)
    down: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    slo: list[SloResult] = field(default_factory=list)
    reference: bool = False
    elapsed_s: float = 0.0
    actions: list[str] = field(default_factory=list)

    # -- verdict -----------------------------------------------------------------------
    @property
    def breached(self) -> list[SloResult]:
        return [r for r in self.slo if not r.ok]

    @property
    def ok(self) -> bool:
        return not self.breached

    # drift-trigger protocol (tag / webhook / run jobs on a breach)
    @property
    def name(self) -> str:
        return f"service {self.service}"

    @property
    def drifted(self) -> bool:
        return bool(self.breached)

    @property
    def method(self) -> str:
        return "slo"

    def summary(self) -> dict[str, Any]:
        return {"service": self.service, "ok": self.ok, "share": None,
                "drifted_columns": [r.rule for r in self.breached], "breached": [r.rule for r in self.breached],
                "arms": json_safe(self.arms)}

    # -- forms -------------------------------------------------------------------------
    def to_frame(self) -> Any:
        """One row per (window, arm): requests, rate, error rate, latency quantiles, quality,
        drift share and prediction drift (drift is per window, all arms)."""
        import pandas as pd

        frame = self.windows.copy()
        if self.drift:
            d = pd.DataFrame([{"window": w, "drift_share": v.get("drift_share"),
                               "prediction_drift": v.get("prediction_drift")} for w, v in self.drift.items()])
            frame = frame.merge(d, on="window", how="left")
        if len(frame):
            frame.insert(0, "start", pd.to_datetime(frame["window"], unit="s", utc=True))
        return frame

    def to_dict(self) -> dict[str, Any]:
        frame = self.to_frame()
        if "start" in frame.columns:
            frame = frame.assign(start=frame["start"].astype(str))
        return json_safe({
            "service": self.service, "url": self.url, "running": self.running, "ok": self.ok,
            "window": self.window, "generated": self.generated, "arms": self.arms,
            "windows": frame.to_dict(orient="records"), "slo": [r.to_dict() for r in self.slo],
            "down": {a: [list(iv) for iv in ivs] for a, ivs in self.down.items()},
            "elapsed_s": self.elapsed_s, "actions": self.actions,
        })

    def __str__(self) -> str:
        from ..display.html import text_table

        state = "running" if self.running else "not running"
        head = f"service {self.service} ({state}) {self.url} — window {self.window}"
        rows = [[a["arm"], a["model_version"], a["requests"], _pct(a["error_rate"]), _ms(a["p50_latency"]),
                 _ms(a["p95_latency"]), _ms(a["p99_latency"]), _pct(a["uptime"]), a["labelled"],
                 _pct(a["accuracy"])] for a in self.arms]
        lines = [head, text_table(["arm", "version", "requests", "errors", "p50", "p95", "p99", "uptime",
                                   "labelled", "accuracy"], rows)]
        last = self._last_drift()
        if last:
            lines.append(f"last window: drift share {_pct(last.get('drift_share'))}, "
                         f"prediction drift {_num(last.get('prediction_drift'))}")
        for r in self.slo:
            lines.append(f"{'ok  ' if r.ok else 'FAIL'} {r.rule}: {r.reason}" + (f", worst {_num(r.worst)}" if r.worst is not None else ""))
        return "\n".join(lines)

    def _last_drift(self) -> dict[str, Any]:
        return self.drift[max(self.drift)] if self.drift else {}

    def _repr_html_(self) -> str:
        from ..display.monitoring import report_html

        return report_html(self)

    def figure(self) -> Any:
        """A plotly figure: request rate, p95 latency, error rate, arm up/down, drift, accuracy."""
        from ..display.monitoring import report_figure

        return report_figure(self)

    def live(self, interval: float = 5.0, **monitor_kwargs: Any) -> Any:
        """A FigureWidget refreshed every ``interval`` s in an interactive kernel (a static
        figure in headless runs); ``.stop()`` ends the refresh."""
        from ..display.monitoring import live_figure

        return live_figure(self, interval, monitor_kwargs)


def _pct(v: Any) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.1f}%"


def _ms(v: Any) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.1f} ms"


def _num(v: Any) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3g}"


def age(t: float) -> str:
    return f"{time.time() - t:.0f} s ago"
