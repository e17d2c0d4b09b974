"""Small, dependency-free HTML and text building blocks shared by every result view.

Every view is bounded in size whatever the data: callers pass already-capped rows.
CSS classes carry the ``mlops-`` prefix.

Styles of an output are scoped to that output: :func:`card` wraps the view in a
``mlops-out-<digest>`` class and every selector of its ``<style>`` starts with that class,
so an output's rules reach nothing outside it (not the side panel, not another output).
Colours follow the notebook's theme: text inherits the front-end's colour (muted text is
the same colour at lower opacity), borders use JupyterLab's ``--jp-*`` variables with a
fallback elsewhere, and status badges are solid fills with white text that keep WCAG AA
contrast (≥ 4.5:1) on light and dark themes alike.

Text views wrap to the terminal's width (:func:`terminal_width`): :func:`text_table`
wraps cells instead of cutting them and falls back to one block per row when even
narrow columns do not fit; :func:`fit` wraps any other long line.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import textwrap
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

# Solid badge fills: each has ≥ 4.5:1 contrast with white text (checked by axe in tests/ui).
BADGE_COLOURS = {
    "mlops-ok": "#1a7f37", "mlops-fail": "#cf222e", "mlops-warn": "#9a6700",
    "mlops-info": "#0969da", "mlops-muted": "#57606a",
}

# ``{s}`` is the output's scope class; every selector starts with it (no bare element selector).
_RULES = (
    "{s}.mlops-card{{font-family:var(--jp-ui-font-family,sans-serif);font-size:13px;color:inherit;"
    "border:1px solid var(--jp-border-color2,rgba(127,127,127,.4));border-radius:6px;padding:8px 12px;"
    "margin:4px 0;max-width:100%;box-sizing:border-box;overflow-x:auto;text-align:left}}",
    "{s} h4{{margin:0 0 6px 0;font-size:14px;color:inherit}}",
    "{s} .mlops-table{{border-collapse:collapse;font-size:12px;table-layout:auto;width:auto;"
    "margin:4px 0;color:inherit}}",
    "{s} .mlops-table th,{s} .mlops-table td{{border:none;"
    "border-bottom:1px solid var(--jp-border-color2,rgba(127,127,127,.3));padding:2px 8px;text-align:left;"
    "vertical-align:top;white-space:normal;overflow-wrap:break-word;word-break:normal;max-width:none;"
    "line-height:1.35}}",
    "{s} .mlops-table th{{font-weight:600}}",
    "{s} .mlops-table td.mlops-nowrap{{white-space:nowrap}}",
    "{s} .mlops-table td.mlops-long{{min-width:14em}}",
    "{s} .mlops-badge{{display:inline-block;border-radius:10px;padding:0 8px;font-size:11px;"
    "font-weight:600;line-height:1.6;color:#fff;white-space:nowrap}}",
    *(f"{{s}} .{cls}{{{{background:{colour}}}}}" for cls, colour in BADGE_COLOURS.items()),
    "{s} .mlops-muted-text{{color:inherit;opacity:.78}}",
    "{s} code{{overflow-wrap:break-word;white-space:pre-wrap}}",
    "{s} details>summary{{cursor:pointer}}",
)


def scope_class(body_html: str) -> str:
    """The class that scopes one output's styles: a digest of its content (stable output)."""
    return "mlops-out-" + hashlib.sha1(body_html.encode("utf-8", "replace")).hexdigest()[:12]


def style(scope: str) -> str:
    """The ``<style>`` of one output, every selector prefixed with ``.scope``."""
    sel = "." + scope
    return "<style>" + "".join(rule.format(s=sel) for rule in _RULES) + "</style>"


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
        cells = "".join(f"<td>{cell}</td>" if i in raw else _text_cell(fmt(cell)) for i, cell in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    return f'<table class="mlops-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


SHORT_CELL = 14  # a number or a short word: kept on one line ("2.974e-27" never breaks at "-")
LONG_CELL = 40  # prose: a column wide enough to read, not a narrow tower of words


def _text_cell(text: str) -> str:
    """An escaped cell; long names may break after ``_ . /`` (``<wbr>``), short ones never."""
    if len(text) <= SHORT_CELL:
        return f'<td class="mlops-nowrap">{escape(text)}</td>'
    html = _BREAK_AFTER.sub(r"\1<wbr>", escape(text))
    return f'<td class="mlops-long">{html}</td>' if len(text) > LONG_CELL else f"<td>{html}</td>"


_BREAK_AFTER = re.compile(r"([_./\\])(?=[^\s])")


def card(title: str, body_html: str) -> str:
    """A bordered card with a title: the frame of every result view, with its scoped style."""
    inner = f"<h4>{escape(title)}</h4>{body_html}"
    scope = scope_class(inner)
    # focusable: a card wider than the output scrolls, and a keyboard must reach that scroll
    label = escape(title, quote=True)
    return f'{style(scope)}<div class="mlops-card {scope}" tabindex="0" role="region" aria-label="{label}">{inner}</div>'


# -- text for terminals ------------------------------------------------------------

CELL_CAP = 1000  # characters of one text cell (bounded output whatever the data)
MIN_COLUMN = 8  # narrowest column before a table switches to one block per row


UNKNOWN_WIDTH = 160  # no tty and no COLUMNS (pipes, CI logs, kernels): bounded, yet rarely wrapping


def terminal_width() -> int:
    """Columns of the terminal: ``COLUMNS``, else the tty's size, else :data:`UNKNOWN_WIDTH`."""
    return max(40, min(shutil.get_terminal_size(fallback=(UNKNOWN_WIDTH, 24)).columns, 1000))


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for para in text.splitlines() or [""]:
        lines += textwrap.wrap(para, width, break_long_words=True, break_on_hyphens=False,
                               replace_whitespace=True) or [""]
    return lines


def fit(text: str, width: int | None = None) -> str:
    """Wrap every line of ``text`` longer than ``width``, keeping its indentation (+2 after)."""
    width = width or terminal_width()
    out: list[str] = []
    for line in text.splitlines():
        if len(line) <= width:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())][: width // 2]
        out += textwrap.wrap(line.strip(), width, initial_indent=indent, subsequent_indent=indent + "  ",
                             break_long_words=True, break_on_hyphens=False) or [""]
    return "\n".join(out)


def _cap(text: str) -> str:
    return text if len(text) <= CELL_CAP else text[: CELL_CAP - 1] + "…"


def _widths(natural: list[int], available: int) -> list[int] | None:
    """Shrink the widest columns until the table fits; None when it cannot."""
    widths = list(natural)
    while sum(widths) > available:
        i = max(range(len(widths)), key=lambda k: (widths[k], k))
        if widths[i] <= MIN_COLUMN:
            return None
        widths[i] -= 1
    return widths


def text_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], max_width: int = 60,
               width: int | None = None) -> str:
    """A plain-text table no wider than the terminal (or ``width``).

    Columns are at most ``max_width`` wide; longer cells wrap onto more lines (never cut,
    up to :data:`CELL_CAP` characters). When the columns do not fit the terminal even at
    :data:`MIN_COLUMN` characters, each row becomes a block of ``header: value`` lines.
    """
    width = width or terminal_width()
    cells = [[_cap(fmt(c)) for c in r] for r in rows]
    n = len(headers)
    longest = [max([len(x) for x in str(h).splitlines()] or [0]) for h in headers]
    for r in cells:
        for i, c in enumerate(r[:n]):
            longest[i] = max(longest[i], *(len(x) for x in c.splitlines() or [""]))
    natural = [max(1, min(w, max(max_width, 1))) for w in longest]
    widths = _widths(natural, width - 2 * (n - 1)) if n else []
    if widths is None:
        return _records(headers, cells, width)
    out = _row_lines([str(h) for h in headers], widths)
    out.append("  ".join("-" * w for w in widths).rstrip())
    for r in cells:
        out += _row_lines(r, widths)
    return "\n".join(out)


def _row_lines(row: Sequence[str], widths: list[int]) -> list[str]:
    wrapped = [_wrap(row[i] if i < len(row) else "", w) for i, w in enumerate(widths)]
    height = max(len(c) for c in wrapped)
    return ["  ".join((c[k] if k < len(c) else "").ljust(widths[i]) for i, c in enumerate(wrapped)).rstrip()
            for k in range(height)]


def _records(headers: Sequence[str], cells: list[list[str]], width: int) -> str:
    """One block per row: ``header : value`` lines, values wrapped under themselves."""
    key = min(max((len(str(h)) for h in headers), default=0), max(8, width // 3))
    value_width = max(10, width - key - 3)
    out: list[str] = []
    for number, r in enumerate(cells, 1):
        out.append(f"[{number}]")
        for h, c in zip(headers, r, strict=False):
            label = _wrap(str(h), key)
            value = _wrap(c, value_width)
            for k in range(max(len(label), len(value))):
                left = (label[k] if k < len(label) else "").ljust(key)
                sep = " : " if k == 0 else "   "
                out.append((left + sep + (value[k] if k < len(value) else "")).rstrip())
    return "\n".join(out)
