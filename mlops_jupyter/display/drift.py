"""Views of drift results: HTML and text tables, plotly figures, a column-selector widget.

Figures are built from the binned summaries stored in each :class:`ColumnDrift`
(``hist``), never from raw rows, so their size does not grow with the data. plotly and
ipywidgets are imported inside the functions that need them.
"""

from __future__ import annotations

import itertools
from html import escape
from typing import TYPE_CHECKING, Any

from .figtext import plotly_text, plotly_texts
from .html import badge, card, fit, fmt, table, text_table
from .registry import view

if TYPE_CHECKING:
    from ..drift_detection.report import DriftReport, DriftTimeline

MAX_ROWS = 200  # columns shown in HTML/text views


def _verdict_badge(verdict: str) -> str:
    kind = {"drift": "mlops-fail", "null drift": "mlops-fail", "ok": "mlops-ok",
            "undefined": "mlops-warn", "too small": "mlops-warn"}.get(verdict, "mlops-muted")
    return badge(verdict, kind)


def _rows(report: DriftReport, html: bool) -> list[list[Any]]:
    rows = []
    robust = report.method == "robust"
    for c in [*report.columns, *report.extras][:MAX_ROWS]:
        verdict = c.verdict()
        name = c.column if c.role == "feature" else f"{c.column} ({c.role})"
        row: list[Any] = [name, c.kind, c.method or "—", c.score, c.threshold, c.p_value]
        if robust:
            row.append(c.p_adjusted)
        row += [
            _verdict_badge(verdict) if html else verdict,
        ]
        if robust:
            auto = "—" if c.auto_drifted is None else ("drift" if c.auto_drifted else "ok")
            row.append(_verdict_badge(auto) if html else auto)
        null = f"{c.null_rate_ref:.1%} → {c.null_rate_cur:.1%}" if (c.null_ref or c.null_cur) else "—"
        row += [c.effect, null, c.reason or c.why]
        rows.append(row)
    return rows


def _headers(report: DriftReport) -> list[str]:
    robust = report.method == "robust"
    h = ["column", "kind", "test", "score", "threshold", "p-value"]
    if robust:
        h.append("p (BH)")
    h.append("verdict")
    if robust:
        h.append("auto (Evidently)")
    return [*h, "effect", "nulls ref → cur", "why / note"]


def _headline(report: DriftReport) -> str:
    share = report.share
    if report.undetermined:
        return "undetermined: no column could be tested"
    verdict = "DRIFT" if report.drifted else "no drift"
    txt = f"{verdict}: {len(report.drifted_columns)} of {len(report.tested)} tested columns drifted"
    if share is not None:
        txt += f" ({share:.0%}; dataset drift at ≥ {report.drift_share:.0%})"
    undefined = report.undefined_columns
    if undefined:
        txt += f"; undefined (not counted): {', '.join(undefined[:8])}{' …' if len(undefined) > 8 else ''}"
    for c in report.extras:
        txt += f"; {c.role} {c.column}: {c.verdict()}"
    return txt


@view("mlops_jupyter.drift_detection.report.DriftReport", "text")
def report_text(report: DriftReport) -> str:
    """Plain-text rendering of a :class:`DriftReport`."""
    head = (f"drift {report.name} [{report.method}] {report.n_ref} vs {report.n_cur} rows\n"
            f"{_headline(report)}\n")
    body = text_table(_headers(report), _rows(report, html=False), max_width=70)
    more = len(report.columns) + len(report.extras) - MAX_ROWS
    tail = f"\n… {more} more columns (report.to_frame())" if more > 0 else ""
    acts = ("\nactions: " + "; ".join(report.actions)) if report.actions else ""
    return fit(head + body + tail + acts)


@view("mlops_jupyter.drift_detection.report.DriftReport", "html")
def report_html(report: DriftReport) -> str:
    """HTML rendering of a :class:`DriftReport` (bounded: at most MAX_ROWS columns)."""
    kind = "mlops-muted" if report.undetermined else ("mlops-fail" if report.drifted else "mlops-ok")
    label = "undetermined" if report.undetermined else ("drift" if report.drifted else "no drift")
    headers = _headers(report)
    raw = {headers.index("verdict")}
    if "auto (Evidently)" in headers:
        raw.add(headers.index("auto (Evidently)"))
    top = (f"<div>{badge(label, kind)} {escape(_headline(report))} "
           f"<span class='mlops-muted-text'>({report.n_ref} vs {report.n_cur} rows, {report.elapsed_s:.2f} s; "
           f"charts: report.figure(), report.widget())</span></div>")
    acts = f"<div>actions: {escape('; '.join(report.actions))}</div>" if report.actions else ""
    return card(f"drift: {report.name} [{report.method}]", top + table(headers, _rows(report, html=True), raw) + acts)


TIMELINE_HEADERS = ["window", "rows", "share", "verdict", "drifted columns / note"]


def _timeline_rows(tl: DriftTimeline) -> list[list[Any]]:
    rows = []
    for w in tl.windows[:MAX_ROWS]:
        if w.report is None:
            rows.append([w.label, w.n_rows, None, w.status, w.reason or ""])
        else:
            r = w.report
            rows.append([w.label, w.n_rows, r.share, w.status, ", ".join(r.drifted_columns[:8])])
    return rows


def _timeline_headline(tl: DriftTimeline) -> str:
    txt = f"{len(tl.drifted_windows)} of {len(tl.reports)} tested windows drifted"
    small = tl.too_small_windows
    if small:
        txt += f"; {len(small)} too small (< {tl.min_window_rows} rows), not tested"
    return txt


@view("mlops_jupyter.drift_detection.report.DriftTimeline", "text")
def timeline_text(tl: DriftTimeline) -> str:
    """Plain-text rendering of a :class:`DriftTimeline`."""
    head = f"drift over time: {tl.name} [{tl.method}]\n{_timeline_headline(tl)}\n"
    return fit(head + text_table(TIMELINE_HEADERS, _timeline_rows(tl)))


@view("mlops_jupyter.drift_detection.report.DriftTimeline", "html")
def timeline_html(tl: DriftTimeline) -> str:
    """HTML rendering of a :class:`DriftTimeline`."""
    rows = _timeline_rows(tl)
    for r in rows:
        r[3] = _verdict_badge(r[3])
    kind = "mlops-fail" if tl.drifted else "mlops-ok"
    top = (f"<div>{badge('drift' if tl.drifted else 'no drift', kind)} {escape(_timeline_headline(tl))} "
           f"<span class='mlops-muted-text'>(chart: timeline.figure())</span></div>")
    return card(f"drift over time: {tl.name}", top + table(TIMELINE_HEADERS, rows, {3}))


# -- figures ------------------------------------------------------------------------

def _go() -> Any:
    import plotly.graph_objects as go

    return go


@view("mlops_jupyter.drift_detection.report.DriftReport", "figure")
def scores_figure(report: DriftReport) -> Any:
    """Bar chart of each column's score; colour says drift; threshold markers per column."""
    go = _go()
    cols = [c for c in [*report.columns, *report.extras] if c.score is not None][:MAX_ROWS]
    names = plotly_texts(c.column for c in cols)
    colors = ["#cf222e" if c.drifted else "#1a7f37" for c in cols]
    fig = go.Figure()
    fig.add_bar(x=names, y=[c.score for c in cols], marker_color=colors, name="score",
                customdata=[[c.method, c.verdict()] for c in cols],
                hovertemplate="%{x}<br>%{customdata[0]}: %{y:.4g}<br>%{customdata[1]}<extra></extra>")
    fig.add_scatter(x=names, y=[c.threshold for c in cols], mode="markers", name="threshold",
                    marker={"symbol": "line-ew-open", "size": 24, "color": "#57606a"})
    logy = any(c.score_kind == "p_value" for c in cols) and all(c.score_kind == "p_value" for c in cols)
    fig.update_layout(title=plotly_text(f"drift scores: {report.name}"), yaxis_title="score (p-value or distance)",
                      height=380, margin={"t": 50, "b": 40}, bargap=0.3)
    if logy:
        fig.update_yaxes(type="log")
    return fig


@view("mlops_jupyter.drift_detection.report.DriftReport", "distribution_figure")
def distribution_figure(report: DriftReport, column: str) -> Any:
    """Reference and current distributions of one column overlaid (as shares of rows)."""
    go = _go()
    c = report.column(column)
    h = c.hist
    fig = go.Figure()
    if not h:
        fig.update_layout(title=plotly_text(f"{column}: no distribution ({c.reason or 'not tested'})"))
        return fig
    rt, ct = max(1, sum(h["ref"])), max(1, sum(h["cur"]))
    if h["type"] == "numeric":
        e = h["edges"]
        x = [(a + b) / 2 for a, b in itertools.pairwise(e)]
        width = (e[1] - e[0]) if len(e) > 1 else 1
        for side, counts, tot, color in (("reference", h["ref"], rt, "#0969da"), ("current", h["cur"], ct, "#cf222e")):
            fig.add_bar(x=x, y=[v / tot for v in counts], width=width, name=side, opacity=0.55, marker_color=color)
        fig.update_layout(barmode="overlay")
    else:
        for side, counts, tot, color in (("reference", h["ref"], rt, "#0969da"), ("current", h["cur"], ct, "#cf222e")):
            fig.add_bar(x=plotly_texts(h["labels"]), y=[v / tot for v in counts], name=side, marker_color=color)
        fig.update_layout(barmode="group")
    fig.update_layout(title=plotly_text(f"{column}: {c.verdict()} ({c.method} = {fmt(c.score)})"),
                      yaxis_title="share of rows", height=340, margin={"t": 50, "b": 40})
    return fig


@view("mlops_jupyter.drift_detection.report.DriftTimeline", "figure")
def timeline_figure(tl: DriftTimeline) -> Any:
    """Drift share per window with the dataset threshold, over a per-column score heat map."""
    from plotly.subplots import make_subplots

    labels = [w.label for w in tl.windows if w.report is not None]
    reports = tl.reports
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.4, 0.6], vertical_spacing=0.06)
    fig.add_scatter(x=labels, y=[r.share for r in reports], mode="lines+markers", name="drift share",
                    marker={"color": ["#cf222e" if r.drifted else "#1a7f37" for r in reports]}, row=1, col=1)
    if reports:
        thr = reports[0].drift_share
        fig.add_scatter(x=labels, y=[thr] * len(labels), mode="lines", name="dataset threshold",
                        line={"dash": "dash", "color": "#57606a"}, row=1, col=1)
        cols = [c.column for c in reports[0].columns][:60]
        z = [[(1.0 if r.column(col).drifted else 0.0) if _has(r, col) else None for r in reports] for col in cols]
        text = [[fmt(r.column(col).score) if _has(r, col) else "" for r in reports] for col in cols]
        fig.add_heatmap(x=labels, y=plotly_texts(cols), z=z, text=text, texttemplate="%{text}", zmin=0, zmax=1, showscale=False,
                        colorscale=[[0, "#dafbe1"], [1, "#ffcecb"]], name="columns", row=2, col=1)
    small = [w for w in tl.windows if w.too_small]
    if small:  # marked where they fall in time, at share 0, never as a verdict
        fig.add_scatter(x=[w.label for w in small], y=[0.0] * len(small), mode="markers+text", name="too small",
                        text=["too small"] * len(small), textposition="top center",
                        marker={"symbol": "x-open", "size": 10, "color": "#9a6700"},
                        customdata=[w.n_rows for w in small],
                        hovertemplate="%{x}: too small (%{customdata} rows), not tested<extra></extra>", row=1, col=1)
    order = [w.label for w in tl.windows if w.report is not None or w.too_small]
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=order)
    fig.update_layout(title=plotly_text(f"drift over time: {tl.name}"), height=320 + 18 * min(60, len(reports[0].columns) if reports else 0),
                      margin={"t": 50})
    fig.update_yaxes(title_text="share", range=[0, 1.05], row=1, col=1)
    return fig


def _has(report: DriftReport, col: str) -> bool:
    try:
        report.column(col)
    except KeyError:
        return False
    return True


@view("mlops_jupyter.drift_detection.report.DriftReport", "widget")
def report_widget(report: DriftReport) -> Any:
    """A VBox: the scores chart and a dropdown that shows one column's distributions."""
    import ipywidgets as widgets

    options = [c.column for c in [*report.columns, *report.extras] if c.hist]
    out = widgets.Output()
    dropdown = widgets.Dropdown(options=options, description="column",
                                value=next(iter(report.drifted_columns or options), None))

    def show(change: Any = None) -> None:
        out.clear_output(wait=True)
        with out:
            if dropdown.value is not None:
                distribution_figure(report, dropdown.value).show()

    dropdown.observe(show, names="value")
    scores = widgets.Output()
    with scores:
        scores_figure(report).show()
    show()
    return widgets.VBox(children=[scores, dropdown, out])
