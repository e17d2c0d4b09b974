"""Views of runs: the run card (HTML + text), run lists, and the comparison with the best run."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from .html import badge, card, fit, fmt, table, text_table
from .registry import view

if TYPE_CHECKING:
    from ..tracking.comparison import CompareResult
    from ..tracking.models import LoggedModel
    from ..tracking.spool import SyncResult

if TYPE_CHECKING:
    from ..tracking.listing import RunList

MAX_METRIC_ROWS = 30


@dataclass
class RunView:
    """A run card: experiment, run, status, where it is stored, what was captured."""

    summary: dict[str, Any]
    link: str | None = None
    ui_command: str | None = None
    note: str | None = None

    @classmethod
    def of(cls, handle: Any, note: str | None = None) -> RunView:
        from ..tracking import store

        s = handle.summary()
        return cls(
            summary=s,
            link=store.ui_link(handle.uri, handle.experiment_id, handle.run_id, handle.ui_url),
            ui_command=store.ui_command(handle.uri),
            note=note,
        )

    @property
    def ok(self) -> bool:
        return self.summary.get("status") in ("RUNNING", "FINISHED")

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary, "link": self.link, "ui_command": self.ui_command}

    def _rows(self) -> list[tuple[str, Any]]:
        s = self.summary
        cap = s.get("captured") or {}
        rows: list[tuple[str, Any]] = [
            ("experiment", f"{s['experiment']} (id {s['experiment_id']})"),
            ("run", f"{s['run_name']} ({s['run_id']})"),
            ("store", s["tracking_uri"]),
        ]
        if cap.get("git"):
            rows.append(("git", f"{cap['git']}{' + uncommitted changes' if cap.get('dirty') else ''}"))
        if cap.get("notebook"):
            rows.append(("notebook", cap["notebook"]))
        if cap.get("history"):
            rows.append(("cell history", cap["history"]))
        if cap.get("parameters"):
            rows.append(("papermill parameters", ", ".join(cap["parameters"])))
        rows.append(("points logged", s.get("points", 0)))
        if s.get("spooling"):
            rows.append(("spool", "store unreachable: events spooled under .mlops/spool (run sync)"))
        return rows

    def __str__(self) -> str:
        s = self.summary
        lines = [f"run {s['run_name']} ({s['run_id']}) {s['status']} in experiment {s['experiment']}"]
        if self.note:
            lines.append(self.note)
        lines.append(text_table(["", ""], self._rows()))
        metrics = list((s.get("metrics") or {}).items())[:MAX_METRIC_ROWS]
        if metrics:
            lines.append(text_table(["metric", "latest"], metrics))
        if self.link:
            lines.append(f"MLflow UI: {self.link}")
        elif self.ui_command:
            lines.append(f"MLflow UI: {self.ui_command}")
        return fit("\n".join(lines))

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        s = self.summary
        head = f"<div>{badge(s['status'])} <b>{escape(str(s['run_name']))}</b></div>"
        if self.note:
            head += f"<div class='mlops-muted-text'>{escape(self.note)}</div>"
        body = table(["", ""], self._rows())
        metrics = list((s.get("metrics") or {}).items())[:MAX_METRIC_ROWS]
        if metrics:
            body += table(["metric", "latest"], metrics)
        if self.link:
            body += f"<div><a href='{escape(self.link, quote=True)}' target='_blank'>open in the MLflow UI</a></div>"
        elif self.ui_command:
            body += f"<div class='mlops-muted-text'>MLflow UI: <code>{escape(self.ui_command)}</code></div>"
        return card("mlops run", head + body)


def _run_rows(result: RunList) -> list[list[Any]]:
    return [
        [r["run_id"][:12], r["run_name"], r["status"], r["start"],
         ", ".join(f"{k}={fmt(v)}" for k, v in list(r["metrics"].items())[:4])]
        for r in result.runs
    ]


@view("mlops_jupyter.tracking.listing.RunList", "text")
def runs_text(result: RunList) -> str:
    """Plain-text run list (``mlops-jupyter runs``)."""
    if not result.runs:
        return f"experiment {result.experiment}: no runs"
    return fit(f"experiment {result.experiment}\n" + text_table(["run", "name", "status", "started", "metrics"], _run_rows(result)))


@view("mlops_jupyter.tracking.listing.RunList", "html")
def runs_html(result: RunList) -> str:
    """HTML run list (``mj.runs()`` in a notebook)."""
    return card(f"runs of {result.experiment}", table(["run", "name", "status", "started", "metrics"], _run_rows(result)))


_BEST_COL = "best other run"


@view("mlops_jupyter.tracking.comparison.CompareResult", "text")
def compare_text(result: CompareResult) -> str:
    """Plain-text comparison (terminals, CLI)."""
    cur = result.current
    if result.best is None:
        return fit(f"run {cur['run_name']} ({cur['run_id'][:8]}): no other finished run with '{result.metric}' to compare with")
    verdict = result.verdict_phrase()
    lines = [
        f"{result.metric} ({result.mode}): run {cur['run_name']} is {verdict} "
        f"{result.best['run_name']} ({result.best['run_id'][:8]})",
        text_table(["metric", "this run", _BEST_COL], result.metrics),
    ]
    if result.params:
        lines.append("params that differ:")
        lines.append(text_table(["param", "this run", _BEST_COL], result.params))
    return fit("\n".join(lines))


@view("mlops_jupyter.tracking.comparison.CompareResult", "html")
def compare_html(result: CompareResult) -> str:
    """HTML comparison: metrics side by side and the params that differ."""
    cur = result.current
    if result.best is None:
        return card("mlops compare", f"<div>{escape(compare_text(result))}</div>")
    label = {"best": "best so far", "tied": "tied with best", "worse": "worse than best"}[result.verdict]
    verdict = badge(label, "mlops-ok") if result.ok else badge(label, "mlops-warn")
    by = f" (tie broken by <b>{escape(result.decided_by)}</b>)" if result.decided_by != result.metric else ""
    head = (
        f"<div>{verdict} on <b>{escape(result.metric)}</b> ({result.mode}){by}; compared with "
        f"{'the previous best' if result.ok else 'the best'} run "
        f"<b>{escape(str(result.best['run_name']))}</b> <span class='mlops-muted-text'>{escape(result.best['run_id'])}</span></div>"
    )
    body = table(["metric", f"this run ({cur['run_name']})", _BEST_COL], result.metrics)
    if result.params:
        body += "<div>params that differ</div>" + table(["param", "this run", _BEST_COL], result.params)
    return card("mlops compare", head + body)


@view("mlops_jupyter.tracking.comparison.CompareResult", "figure")
def compare_figure(result: CompareResult) -> Any:
    """A grouped bar chart: each metric, this run vs the best run."""
    import plotly.graph_objects as go

    from .figtext import plotly_text, plotly_texts

    names = plotly_texts(m for m, _, _ in result.metrics)
    fig = go.Figure()
    fig.add_bar(name=plotly_text(f"this run ({result.current['run_name']})"), x=names,
                y=[c for _, c, _ in result.metrics])
    if result.best is not None:
        fig.add_bar(name=plotly_text(f"best other run ({result.best['run_name']})"), x=names,
                    y=[b for _, _, b in result.metrics])
    fig.update_layout(barmode="group", height=320, margin={"l": 40, "r": 10, "t": 30, "b": 40},
                      title=plotly_text(f"compare on {result.metric}"))
    return fig


@view("mlops_jupyter.tracking.spool.SyncResult", "text")
def sync_text(res: SyncResult) -> str:
    """What ``sync`` replayed and what is still spooled."""
    if not res.replayed_runs and not res.pending_runs and not res.errors:
        return "sync: nothing spooled, the store is up to date"
    lines = [f"sync: replayed {res.replayed_ops} spooled events of {len(res.replayed_runs)} run(s)"]
    if res.pending_runs:
        lines.append(f"still spooled (store unreachable): {', '.join(res.pending_runs)}")
    lines += [f"error: {e}" for e in res.errors]
    return fit("\n".join(lines))


@view("mlops_jupyter.tracking.spool.SyncResult", "html")
def sync_html(res: SyncResult) -> str:
    status = badge("ok" if res.ok else "pending", "mlops-ok" if res.ok else "mlops-warn")
    return card("mlops sync", f"{status}<pre>{escape(sync_text(res))}</pre>")


@view("mlops_jupyter.tracking.models.LoggedModel", "text")
def model_text(m: LoggedModel) -> str:
    text = f"model '{m.name}' ({m.flavor}) logged in run {m.run_id[:8]}: {m.model_uri}"
    if m.registered_name:
        text += f"; registered as {m.registered_name} version {m.version}"
    return text


@view("mlops_jupyter.tracking.models.LoggedModel", "html")
def model_html(m: LoggedModel) -> str:
    rows = [("model", m.name), ("flavour", m.flavor), ("uri", m.model_uri), ("run", m.run_id)]
    if m.registered_name:
        rows.append(("registered", f"{m.registered_name} version {m.version}"))
    return card("mlops model", f"<div>{escape(model_text(m))}</div>" + table(["", ""], rows))
