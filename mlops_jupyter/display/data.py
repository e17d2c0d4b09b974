"""HTML and text views of the data topic's results (pins, status, diff). The status panel
with buttons is a surface: :mod:`mlops_jupyter.widgets`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .html import badge, card, fit, table, text_table
from .registry import view

if TYPE_CHECKING:
    from ..data.diff import DataDiff
    from ..data.pins import DatasetPin
    from ..data.status import DataStatus

PIN = "mlops_jupyter.data.pins.DatasetPin"
STATUS = "mlops_jupyter.data.status.DataStatus"
DIFF = "mlops_jupyter.data.diff.DataDiff"

_STATE_KIND = {"clean": "mlops-ok", "modified": "mlops-warn", "missing": "mlops-fail",
               "not committed": "mlops-warn", "not pushed": "mlops-warn", "pin file missing": "mlops-fail"}


def human_size(n: int | None) -> str:
    """Bytes as B / KiB / MiB / GiB."""
    if n is None:
        return "—"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"  # pragma: no cover


def _short(rev: str | None) -> str:
    return rev[:10] if rev else "—"


def _state_badge(state: str) -> str:
    return badge(state, _STATE_KIND.get(state, "mlops-muted"))


def _pin_rows(p: DatasetPin) -> list[tuple[str, Any]]:
    return [
        ("path", p.path), ("md5", p.md5), ("size", human_size(p.size)), ("files", p.files),
        ("revision", _short(p.revision) if p.revision else "not committed"),
        ("remote", p.remote or "—"),
        ("pushed", "—" if p.pushed is None else ("yes" if p.pushed else "no")),
        ("dvc add", "ran" if p.changed else "unchanged (skipped)"),
    ] + ([("run", p.run_id)] if p.run_id else [])


@view(PIN, "text")
def pin_text(p: DatasetPin) -> str:
    """Plain-text view of a DatasetPin."""
    return fit(f"pinned {p.path}: {p.state}\n" + text_table(["key", "value"], _pin_rows(p)))


@view(PIN, "html")
def pin_html(p: DatasetPin) -> str:
    """HTML view of a DatasetPin."""
    return card(f"pinned {p.path}", f"<div>{_state_badge(p.state)}</div>" + table(["key", "value"], _pin_rows(p)))


_STATUS_HEAD = ["path", "state", "size", "files", "revision", "md5", "last runs"]


def _status_rows(s: DataStatus) -> list[list[Any]]:
    return [[r.path, ", ".join(r.flags) or "clean", human_size(r.size), r.files, _short(r.revision), r.md5[:12],
             ", ".join(x[:8] for x in r.last_runs) or "—"] for r in s.rows[:500]]


@view(STATUS, "text")
def status_text(s: DataStatus) -> str:
    """Plain-text status table."""
    if not s.rows:
        return fit(f"no pinned datasets in {s.root}")
    head = f"data status of {s.root} (remote: {s.remote or 'none'})\n"
    return fit(head + text_table(_STATUS_HEAD, _status_rows(s)))


@view(STATUS, "html")
def status_html(s: DataStatus, attention_only: bool = False) -> str:
    """HTML status table with a badge per state (``attention_only``: the rows that are not clean)."""
    if not s.rows:
        return card("data status", f"no pinned datasets in {s.root}")
    title = f"data status (remote: {s.remote or 'none'})"
    rows = []
    for r, text_row in zip(s.rows[:500], _status_rows(s), strict=True):
        if attention_only and not r.flags:
            continue
        badges = " ".join(_state_badge(f) for f in r.flags) or _state_badge("clean")
        rows.append([text_row[0], badges, *text_row[2:]])
    if not rows:
        return card(title, f"every pin is clean ({len(s.rows)} in {s.root})")
    return card(title, table(_STATUS_HEAD, rows, raw_html_cols={1}))


def _diff_lines(d: DataDiff) -> list[str]:
    lines = [f"{d.path}: {d.rev_a} ({d.md5_a[:12]}) -> {d.rev_b} ({d.md5_b[:12]})"]
    if d.identical:
        return [*lines, "identical content"]
    if d.kind == "table":
        lines.append(f"rows: {d.rows_a} -> {d.rows_b}; added {d.rows_added}, removed {d.rows_removed}"
                     + (f", changed {d.rows_changed} (key {', '.join(d.key)})" if d.key else ""))
        if d.columns_added:
            lines.append(f"columns added: {', '.join(map(str, d.columns_added))}")
        if d.columns_removed:
            lines.append(f"columns removed: {', '.join(map(str, d.columns_removed))}")
        for col, (ta, tb) in d.columns_retyped.items():
            lines.append(f"column {col} retyped: {ta} -> {tb}")
    else:
        for label, files in (("added", d.files_added), ("removed", d.files_removed), ("changed", d.files_changed)):
            if files:
                more = f" … (+{len(files) - 50})" if len(files) > 50 else ""
                lines.append(f"files {label}: {', '.join(files[:50])}{more}")
    return lines


def _stat_rows(d: DataDiff) -> tuple[list[str], list[list[Any]]]:
    keys: list[str] = []
    for row in d.stats:
        keys += [k for k in row if k not in keys]
    return keys, [[row.get(k) for k in keys] for row in d.stats[:50]]


@view(DIFF, "text")
def diff_text(d: DataDiff) -> str:
    """Plain-text diff summary."""
    out = "\n".join(_diff_lines(d))
    if d.kind == "table" and d.stats:
        head, rows = _stat_rows(d)
        out += "\nchanged statistics:\n" + text_table(head, rows)
    return fit(out)


@view(DIFF, "html")
def diff_html(d: DataDiff) -> str:
    """HTML diff summary."""
    from html import escape

    lines = _diff_lines(d)
    body = f"<div>{badge('identical' if d.identical else 'changed', 'mlops-ok' if d.identical else 'mlops-warn')}</div>"
    body += "".join(f"<div>{escape(x)}</div>" for x in lines)
    if d.kind == "table" and d.stats:
        head, rows = _stat_rows(d)
        body += "<div><b>changed statistics</b></div>" + table(head, rows)
    return card(f"data diff {d.path}", body)
