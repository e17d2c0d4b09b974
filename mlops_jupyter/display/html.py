"""Small, dependency-free HTML and text building blocks shared by every result view.

Every view is bounded in size whatever the data: callers pass already-capped rows.
CSS classes carry the ``mlops-`` prefix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

STYLE = """<style>
.mlops-card{font-family:var(--jp-ui-font-family,sans-serif);font-size:13px;border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;margin:4px 0;max-width:100%;overflow-x:auto}
.mlops-card h4{margin:0 0 6px 0;font-size:14px}
.mlops-table{border-collapse:collapse;font-size:12px}
.mlops-table th,.mlops-table td{border-bottom:1px solid #eaeef2;padding:2px 8px;text-align:left;vertical-align:top}
.mlops-badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:11px;font-weight:600;color:#fff}
.mlops-ok{background:#1a7f37}.mlops-fail{background:#cf222e}.mlops-warn{background:#9a6700}.mlops-info{background:#0969da}.mlops-muted{background:#6e7781}
.mlops-muted-text{color:#6e7781}
</style>"""

_BADGE = {
    "ok": "mlops-ok", "pass": "mlops-ok", "passed": "mlops-ok", "finished": "mlops-ok",
    "clean": "mlops-ok", "no drift": "mlops-ok", "running": "mlops-info", "active": "mlops-info",
    "fail": "mlops-fail", "failed": "mlops-fail", "error": "mlops-fail", "drift": "mlops-fail",
    "killed": "mlops-fail", "warn": "mlops-warn", "warning": "mlops-warn", "skipped": "mlops-muted",
}


def badge(label: str, kind: str | None = None) -> str:
    """A coloured status pill; ``kind`` defaults from the label (pass/fail/warn...)."""
    css = kind or _BADGE.get(label.lower(), "mlops-muted")
    return f'<span class="mlops-badge {css}">{escape(label)}</span>'


def fmt(value: Any, digits: int = 4) -> str:
    """Readable text for a cell value (floats rounded, None as an em dash)."""
    if value is None:
        return "—"
    if isinstance(value, float):
        if value != value:
            return "NaN"
        return f"{value:.{digits}g}"
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], raw_html_cols: set[int] | None = None) -> str:
    """An HTML table; cells are escaped unless their column index is in ``raw_html_cols``."""
    raw = raw_html_cols or set()
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = "".join(
            f"<td>{cell if i in raw else escape(fmt(cell))}</td>" for i, cell in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f'<table class="mlops-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def card(title: str, body_html: str) -> str:
    """A bordered card with a title: the frame of every result view."""
    return f'{STYLE}<div class="mlops-card"><h4>{escape(title)}</h4>{body_html}</div>'


def text_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], max_width: int = 60) -> str:
    """A plain-text table for terminals (columns padded, long cells cut)."""
    cells = [[fmt(c) for c in r] for r in rows]
    cells = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in r] for r in cells]
    widths = [len(h) for h in headers]
    for r in cells:
        for i, c in enumerate(r):
            widths[i] = max(widths[i], len(c))
    line = "  ".join(h.ljust(widths[i]) for i, h in enumerate(headers))
    sep = "  ".join("-" * w for w in widths)
    out = [line, sep]
    out += ["  ".join(c.ljust(widths[i]) for i, c in enumerate(r)) for r in cells]
    return "\n".join(out)
