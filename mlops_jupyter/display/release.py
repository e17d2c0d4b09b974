"""Views of release results: the promotion decision and the challenger-vs-champion comparison.

HTML for notebooks, plain text for terminals, and a plotly figure (imported lazily) with
each metric's confidence interval per model.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from .html import badge, card, fit, fmt, table, text_table
from .registry import view

if TYPE_CHECKING:
    from ..release.compare import ModelComparison
    from ..release.decision import Decision

MAX_ROWS = 50

_STATUS_BADGE = {"promoted": "ok", "approved": "ok", "dry-run": "info", "unchanged": "muted", "refused": "fail"}


def _badge(status: str) -> str:
    kind = {"ok": "mlops-ok", "fail": "mlops-fail", "info": "mlops-info", "muted": "mlops-muted"}[
        _STATUS_BADGE.get(status, "muted")]
    return badge(status.upper(), kind)


def _gate_rows(decision: Decision) -> list[tuple[Any, ...]]:
    return [(g.name, g.status, g.reason) for g in decision.gates]


@view("mlops_jupyter.release.decision.Decision", "text")
def decision_text(decision: Decision) -> str:
    """Plain-text rendering of a :class:`~mlops_jupyter.release.decision.Decision`."""
    lines = [decision.summary]
    champ = decision.champion
    lines.append(f"champion: {champ['uri']}" if champ else "champion: none yet")
    if decision.gates:
        lines.append(text_table(["gate", "status", "reason"], _gate_rows(decision), max_width=100))
    if decision.record.get("artifact"):
        lines.append(f"record: {decision.record['artifact']}")
    if decision.webhook:
        lines.append(f"webhook: {'delivered' if decision.webhook.get('ok') else decision.webhook.get('error')}")
    return fit("\n".join(lines))


@view("mlops_jupyter.release.decision.Decision", "html")
def decision_html(decision: Decision) -> str:
    """HTML card of a decision: verdict, champion, one row per gate with its numbers."""
    rows = []
    for g in decision.gates:
        numbers = _numbers_brief(g.numbers)
        rows.append((escape(g.name), badge(g.status), escape(g.reason), escape(numbers)))
    champ = decision.champion
    summary = decision.summary.removeprefix("REFUSED ")  # the badge already says it
    head = (f"<p>{_badge(decision.status)} {escape(summary)}</p>"
            f"<p class='mlops-muted-text'>champion before: {escape(champ['uri']) if champ else 'none yet'}"
            f" · environment {escape(decision.environment)}"
            + (f" · record {escape(decision.record['artifact'])}" if decision.record.get("artifact") else "")
            + "</p>")
    body = head + (table(["gate", "status", "reason", "numbers"], rows, {0, 1, 2, 3}) if rows else "")
    return card(f"Release gate: {decision.model} → {decision.alias}", body)


def _numbers_brief(numbers: dict[str, Any]) -> str:
    keys = ("improvement", "ci_low", "ci_high", "p_value", "n", "share", "source")
    parts = [f"{k}={fmt(numbers[k])}" for k in keys if k in numbers and numbers[k] is not None]
    return ", ".join(parts)


def _metric_rows(comp: ModelComparison) -> list[tuple[Any, ...]]:
    rows = []
    for m in comp.metrics[:MAX_ROWS]:
        def cell(side: str, m: dict[str, Any] = m) -> str:
            if side not in m:
                return "—"
            return f"{fmt(m[side])} [{fmt(m[side + '_ci_low'])}, {fmt(m[side + '_ci_high'])}]"
        rows.append((m["metric"], "higher" if m["higher_is_better"] else "lower", cell("challenger"), cell("champion")))
    return rows


def _pairs(comp: ModelComparison, attr: str) -> list[tuple[str, str, str]]:
    data = getattr(comp, attr)
    a, b = data.get("challenger", {}), data.get("champion", {})
    return [(k, a.get(k, "—"), b.get(k, "—")) for k in sorted(set(a) | set(b))][:MAX_ROWS]


def _data_rows(comp: ModelComparison) -> list[tuple[str, str, str]]:
    def fmt_side(items: list[dict[str, Any]]) -> str:
        return "; ".join(f"{d.get('name')}@{str(d.get('digest'))[:12]}" for d in items[:10]) or "—"

    return [("datasets", fmt_side(comp.data.get("challenger", [])), fmt_side(comp.data.get("champion", [])))]


@view("mlops_jupyter.release.compare.ModelComparison", "text")
def comparison_text(comp: ModelComparison) -> str:
    """Plain-text rendering of a :class:`~mlops_jupyter.release.compare.ModelComparison`."""
    champ = comp.champion["uri"] if comp.champion else "none"
    out = [f"{comp.model}: challenger {comp.challenger['uri']} vs champion {champ}"]
    if comp.metrics:
        out.append(f"metrics ({comp.confidence:.0%} bootstrap CI):")
        out.append(text_table(["metric", "better", "challenger", "champion"], _metric_rows(comp)))
    if comp.ab is not None:
        out.append(f"A/B: {comp.ab.status} — {comp.ab.reason}")
    if comp.params:
        out.append("params that differ:")
        out.append(text_table(["param", "challenger", "champion"], comp.params[:MAX_ROWS]))
    out.append(text_table(["", "challenger", "champion"], _data_rows(comp) + _pairs(comp, "git") + _pairs(comp, "environment")))
    return fit("\n".join(out))


@view("mlops_jupyter.release.compare.ModelComparison", "html")
def comparison_html(comp: ModelComparison) -> str:
    """HTML card of a comparison: metrics with CIs, A/B verdict, params, data, git, env."""
    champ = comp.champion["uri"] if comp.champion else "none yet"
    parts = [f"<p>challenger <b>{escape(comp.challenger['uri'])}</b> vs champion <b>{escape(champ)}</b></p>"]
    if comp.metrics:
        parts.append(f"<p>Metrics on the evaluation data ({comp.confidence:.0%} bootstrap CI)</p>")
        parts.append(table(["metric", "better", "challenger", "champion"], _metric_rows(comp)))
    if comp.ab is not None:
        parts.append(f"<p>A/B: {badge(comp.ab.status)} {escape(comp.ab.reason)}</p>")
    if comp.params:
        parts.append("<p>Params that differ</p>" + table(["param", "challenger", "champion"], comp.params[:MAX_ROWS]))
    else:
        parts.append("<p class='mlops-muted-text'>no params differ</p>")
    parts.append("<p>Data versions, git, environment</p>" + table(
        ["", "challenger", "champion"], _data_rows(comp) + _pairs(comp, "git") + _pairs(comp, "environment")))
    return card(f"{comp.model}: challenger vs champion", "".join(parts))


@view("mlops_jupyter.release.compare.ModelComparison", "figure")
def comparison_figure(comp: ModelComparison) -> Any:
    """Plotly figure: per metric, each model's value with its confidence interval."""
    import plotly.graph_objects as go

    from .figtext import plotly_text

    fig = go.Figure()
    for side in ("challenger", "champion"):
        rows = [m for m in comp.metrics if side in m]
        if not rows:
            continue
        fig.add_trace(go.Scatter(
            x=[m[side] for m in rows], y=[plotly_text(m["metric"]) for m in rows], mode="markers", name=side,
            error_x={"type": "data", "symmetric": False,
                     "array": [m[f"{side}_ci_high"] - m[side] for m in rows],
                     "arrayminus": [m[side] - m[f"{side}_ci_low"] for m in rows]},
        ))
    fig.update_layout(title=plotly_text(f"{comp.model}: challenger vs champion ({comp.confidence:.0%} CI)"),
                      height=200 + 40 * len(comp.metrics), margin={"l": 80, "r": 20, "t": 50, "b": 40})
    return fig
