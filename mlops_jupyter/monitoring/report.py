"""``MonitorReport``: a service's health, latency, drift and quality per window, and SLOs."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .._util import json_safe
from .._views import Viewable
from .slo import SloResult


@dataclass
class MonitorReport(Viewable):
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

    def _last_drift(self) -> dict[str, Any]:
        return self.drift[max(self.drift)] if self.drift else {}

    def figure(self) -> Any:
        """A plotly figure: request rate, p95 latency, error rate, arm up/down, drift, accuracy."""
        return self._view("figure")

    def live(self, interval: float = 5.0, **monitor_kwargs: Any) -> Any:
        """A FigureWidget refreshed every ``interval`` s in an interactive kernel (a static
        figure in headless runs); ``.stop()`` ends the refresh."""
        return self._view("live", interval, monitor_kwargs)


def age(t: float) -> str:
    return f"{time.time() - t:.0f} s ago"
