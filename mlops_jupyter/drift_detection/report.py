"""Result objects of drift: one :class:`ColumnDrift` per column, a :class:`DriftReport`
per comparison, a :class:`DriftTimeline` for windows over time."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .._util import json_safe
from .._views import Viewable


@dataclass
class ColumnDrift:
    """The verdict on one column: which test and why, its score, and the null signal."""

    column: str
    kind: str
    role: str  # feature | prediction | target
    method: str | None
    why: str
    statistic: float | None = None
    p_value: float | None = None
    score: float | None = None
    threshold: float | None = None
    score_kind: str | None = None  # p_value | distance
    status: str = "skipped"  # ok | drift | skipped (not tested) | undefined (the test has no answer)
    reason: str | None = None
    effect: float | None = None
    effect_label: str = ""
    n_ref: int = 0
    n_cur: int = 0
    null_ref: int = 0
    null_cur: int = 0
    inf_ref: int = 0
    inf_cur: int = 0
    null_rate_ref: float = 0.0
    null_rate_cur: float = 0.0
    null_drifted: bool = False
    value_drifted: bool = False
    auto_drifted: bool | None = None  # Evidently-compatible verdict, shown beside robust's
    auto_method: str | None = None
    p_adjusted: float | None = None
    hist: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def drifted(self) -> bool:
        """Values drifted, or the share of nulls changed beyond the null rule."""
        return self.value_drifted or self.null_drifted

    @property
    def tested(self) -> bool:
        """Counted in the dataset verdict: a test gave an answer, or the null rate drifted."""
        return self.status in ("ok", "drift") or self.null_drifted

    def verdict(self) -> str:
        """drift | null drift | ok | skipped | undefined."""
        if self.drifted:
            return "drift" if self.value_drifted else "null drift"
        return self.status if self.status in ("skipped", "undefined") else "ok"

    def to_dict(self, with_hist: bool = False) -> dict[str, Any]:
        d = asdict(self)
        if not with_hist:
            d.pop("hist", None)
        d["drifted"] = self.drifted
        d["verdict"] = self.verdict()
        return json_safe(d)


@dataclass(repr=False)
class DriftReport(Viewable):
    """Per-column verdicts plus the dataset verdict (``drifted``) of one comparison."""

    name: str
    method: str
    columns: list[ColumnDrift]
    n_ref: int
    n_cur: int
    drift_share: float = 0.5
    extras: list[ColumnDrift] = field(default_factory=list)  # prediction / target
    window: str | None = None
    elapsed_s: float = 0.0
    actions: list[str] = field(default_factory=list)

    @property
    def features(self) -> list[ColumnDrift]:
        return self.columns

    @property
    def tested(self) -> list[ColumnDrift]:
        return [c for c in self.columns if c.tested]

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    @property
    def undefined_columns(self) -> list[str]:
        """Columns whose test is undefined on these values (not counted, never "no drift")."""
        return [c.column for c in [*self.columns, *self.extras] if c.verdict() == "undefined"]

    @property
    def share(self) -> float | None:
        """Share of tested feature columns that drifted (None when none could be tested)."""
        tested = self.tested
        return len(self.drifted_columns) / len(tested) if tested else None

    @property
    def dataset_drifted(self) -> bool:
        share = self.share
        return share is not None and share >= self.drift_share

    @property
    def prediction(self) -> ColumnDrift | None:
        return next((c for c in self.extras if c.role == "prediction"), None)

    @property
    def target(self) -> ColumnDrift | None:
        return next((c for c in self.extras if c.role == "target"), None)

    @property
    def drifted(self) -> bool:
        """The verdict: dataset drift (share >= drift_share), or prediction/target drift."""
        return self.dataset_drifted or any(c.drifted for c in self.extras)

    @property
    def ok(self) -> bool:
        return not self.drifted

    @property
    def undetermined(self) -> bool:
        return not self.tested and not any(c.tested for c in self.extras)

    def column(self, name: str) -> ColumnDrift:
        for c in [*self.columns, *self.extras]:
            if c.column == name:
                return c
        raise KeyError(name)

    def summary(self) -> dict[str, Any]:
        """A small JSON-safe summary (webhooks, check history, tags)."""
        return json_safe({
            "name": self.name, "method": self.method, "window": self.window,
            "drifted": self.drifted, "dataset_drifted": self.dataset_drifted,
            "share": self.share, "drift_share": self.drift_share,
            "drifted_columns": self.drifted_columns, "undefined_columns": self.undefined_columns,
            "n_columns": len(self.columns), "n_tested": len(self.tested),
            "n_ref": self.n_ref, "n_cur": self.n_cur,
            "prediction_drifted": self.prediction.drifted if self.prediction else None,
            "target_drifted": self.target.drifted if self.target else None,
        })

    def to_dict(self) -> dict[str, Any]:
        out = self.summary()
        out["ok"] = self.ok
        out["columns"] = [c.to_dict() for c in self.columns]
        out["extras"] = [c.to_dict() for c in self.extras]
        out["elapsed_s"] = round(self.elapsed_s, 4)
        out["actions"] = list(self.actions)
        return out

    def to_frame(self) -> Any:
        """One row per column (features, then prediction/target)."""
        import pandas as pd

        rows = [c.to_dict() for c in [*self.columns, *self.extras]]
        return pd.DataFrame(rows).set_index("column") if rows else pd.DataFrame()

    def figure(self) -> Any:
        """Plotly bar chart of the per-column scores against their thresholds."""
        return self._view("figure")

    def distribution_figure(self, column: str) -> Any:
        """Plotly figure: reference and current distributions of ``column`` overlaid."""
        return self._view("distribution_figure", column)

    def widget(self) -> Any:
        """A notebook widget: scores chart and a column selector for distribution overlays."""
        return self._view("widget")


@dataclass
class DriftWindow:
    """One window of a timeline: its label, row count and report (or why it has none).

    A window with fewer rows than the timeline's ``min_window_rows`` is *too small*: it is
    listed, marked, and not tested.
    """

    label: str
    n_rows: int
    report: DriftReport | None
    reason: str | None = None
    too_small: bool = False
    is_reference: bool = False

    @property
    def status(self) -> str:
        """drift | ok | too small | no rows | reference."""
        if self.report is not None:
            return "drift" if self.report.drifted else "ok"
        if self.is_reference:
            return "reference"
        if self.too_small:
            return "too small"
        return "no rows" if self.n_rows == 0 else "not tested"


@dataclass(repr=False)
class DriftTimeline(Viewable):
    """Drift of each time window of ``current`` against one reference."""

    name: str
    by: str
    freq: str
    method: str
    windows: list[DriftWindow]
    reference_label: str
    elapsed_s: float = 0.0
    actions: list[str] = field(default_factory=list)
    min_window_rows: int = 0

    @property
    def too_small_windows(self) -> list[str]:
        """Windows below ``min_window_rows``: marked, not tested."""
        return [w.label for w in self.windows if w.too_small]

    @property
    def reports(self) -> list[DriftReport]:
        return [w.report for w in self.windows if w.report is not None]

    @property
    def drifted_windows(self) -> list[str]:
        return [w.label for w in self.windows if w.report is not None and w.report.drifted]

    @property
    def drifted(self) -> bool:
        """True when any window drifted."""
        return bool(self.drifted_windows)

    @property
    def ok(self) -> bool:
        return not self.drifted

    @property
    def share(self) -> float | None:
        """Drift share of the latest window with a report."""
        reports = self.reports
        return reports[-1].share if reports else None

    @property
    def latest(self) -> DriftReport | None:
        reports = self.reports
        return reports[-1] if reports else None

    def summary(self) -> dict[str, Any]:
        return json_safe({
            "name": self.name, "by": self.by, "freq": self.freq, "method": self.method,
            "drifted": self.drifted, "drifted_windows": self.drifted_windows,
            "n_windows": len(self.windows), "share": self.share,
            "too_small_windows": self.too_small_windows, "min_window_rows": self.min_window_rows,
        })

    def to_dict(self) -> dict[str, Any]:
        out = self.summary()
        out["ok"] = self.ok
        out["windows"] = [
            {"label": w.label, "n_rows": w.n_rows, "status": w.status, "reason": w.reason,
             "report": w.report.to_dict() if w.report else None}
            for w in self.windows
        ]
        out["actions"] = list(self.actions)
        return json_safe(out)

    def to_frame(self) -> Any:
        """Window x column drift scores, plus ``share`` and ``drifted`` per window."""
        import pandas as pd

        rows = []
        for w in self.windows:
            row: dict[str, Any] = {"window": w.label, "n_rows": w.n_rows, "status": w.status}
            if w.report is not None:
                row["share"] = w.report.share
                row["drifted"] = w.report.drifted
                for c in w.report.columns:
                    row[c.column] = c.score
            else:
                row["drifted"] = None
            rows.append(row)
        return pd.DataFrame(rows).set_index("window") if rows else pd.DataFrame()

    def figure(self) -> Any:
        """Plotly timeline: drift share per window with the threshold, and a heat map."""
        return self._view("figure")
