"""Views of test reports: HTML for notebooks, text for terminals (bounded size)."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from .html import badge, card, table, text_table
from .registry import view

if TYPE_CHECKING:
    from ..testing.report import TestCase, TestReport

MAX_SHOWN = 200
MAX_DIFF = 4000


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _headline(report: TestReport) -> str:
    c = report.counts()
    parts = [f"{c['passed']} passed", f"{c['failed']} failed", f"{c['error']} errors", f"{c['skipped']} skipped"]
    return ", ".join(parts) + f" in {report.duration:.2f} s"


def _ordered(report: TestReport) -> list[TestCase]:
    rank = {"error": 0, "failed": 1, "skipped": 2, "passed": 3}
    return sorted(report.cases, key=lambda c: rank.get(c.outcome, 4))[:MAX_SHOWN]


@view("mlops_jupyter.testing.report.TestReport", "html")
def report_html(report: TestReport) -> str:
    """A card: verdict, counts, one row per test, each failure's diff in ``<details>``."""
    verdict = badge("passed" if report.ok else "failed")
    body = [f"<div>{verdict} {escape(_headline(report))}</div>"]
    for text in report.errors_outside_tests[:20]:
        body.append(f"<pre>{escape(_cut(text, MAX_DIFF))}</pre>")
    for text in report.warnings[:20]:
        body.append(f"<div>{badge('warning')} {escape(text)}</div>")
    rows = []
    for c in _ordered(report):
        detail = ""
        if c.outcome in ("failed", "error"):
            text = c.diff or c.message
            detail = (f"<details><summary>{escape(_cut(c.message, 200))}</summary>"
                      f"<pre>{escape(_cut(text, MAX_DIFF))}</pre></details>")
        elif c.message:
            detail = escape(_cut(c.message, 200))
        where = c.cell + (f":{c.line}" if c.line else "")
        rows.append([escape(c.name), badge(c.outcome), escape(where), f"{c.duration * 1000:.0f} ms", detail])
    if rows:
        body.append(table(["test", "outcome", "cell:line", "time", "detail"], rows, raw_html_cols={0, 1, 2, 3, 4}))
    if len(report.cases) > MAX_SHOWN:
        body.append(f'<div class="mlops-muted-text">{len(report.cases) - MAX_SHOWN} more tests not shown</div>')
    if report.coverage is not None:
        from .testing_coverage import coverage_html

        body.append(coverage_html(report.coverage))
    return card(f"Tests: {report.name}", "".join(body))


@view("mlops_jupyter.testing.report.TestReport", "text")
def report_text(report: TestReport) -> str:
    """Plain text: verdict line, then failures with their cell line and diff."""
    lines = [f"Tests {report.name}: {'PASSED' if report.ok else 'FAILED'} — {_headline(report)}"]
    lines += [f"  error: {_cut(t.strip(), 500)}" for t in report.errors_outside_tests[:20]]
    lines += [f"  warning: {t}" for t in report.warnings[:20]]
    rows = [[c.name, c.outcome, c.cell + (f":{c.line}" if c.line else ""), c.message] for c in _ordered(report)]
    if rows:
        lines.append(text_table(["test", "outcome", "cell:line", "message"], rows, max_width=70))
    for c in report.failed + report.errors:
        if c.diff:
            lines.append(f"--- {c.name} ({c.cell}:{c.line})")
            lines.append(_cut(c.diff, MAX_DIFF))
    if report.coverage is not None:
        lines.append(str(report.coverage))
    return "\n".join(lines)
