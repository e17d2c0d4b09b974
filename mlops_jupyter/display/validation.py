"""Views of validation reports and suites: HTML for notebooks, text for terminals.

Failed rules come first; each failing rule's sample sits in an expandable ``<details>``.
Size is bounded whatever the data: at most :data:`MAX_RULES_SHOWN` rules and the
(already capped) samples per rule.
"""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING, Any

from .html import badge, card, fit, fmt, table, text_table
from .registry import view

if TYPE_CHECKING:
    from ..validation.report import RuleResult, ValidationReport
    from ..validation.suites import Suite

MAX_RULES_SHOWN = 200
MAX_CELL = 120


def _cut(text: str, limit: int = MAX_CELL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _value(v: Any) -> str:
    if isinstance(v, dict):
        return _cut(", ".join(f"{k}={fmt(x)}" for k, x in v.items()))
    if isinstance(v, (list, tuple)):
        return _cut(json.dumps(list(v), default=str))
    return _cut(fmt(v))


def _ordered(report: ValidationReport) -> list[RuleResult]:
    rank = {"error": 0, "fail": 1, "pass": 2}
    return sorted(report.results, key=lambda r: (rank.get(r.status, 3), r.line))


def _fraction(r: RuleResult) -> str:
    f = r.failing_fraction
    return "" if f is None else f"{f:.2%}"


@view("mlops_jupyter.validation.report.ValidationReport", "text")
def report_text(report: ValidationReport) -> str:
    """Plain text: headline, then one line per rule (failed first), then samples."""
    lines = [report.headline()]
    rows = [(r.status.upper(), r.line, _cut(r.rule, 200), "" if r.failing is None else r.failing,
             _fraction(r), _value(r.observed), _cut(r.message, 300))
            for r in _ordered(report)[:MAX_RULES_SHOWN]]
    if rows:
        lines.append(text_table(["status", "line", "rule", "failing", "fraction", "observed", "message"], rows))
    if len(report.results) > MAX_RULES_SHOWN:
        lines.append(f"… {len(report.results) - MAX_RULES_SHOWN} more rules (see .to_frame())")
    for r in report.failed[:MAX_RULES_SHOWN]:
        if len(r.message) > 60:  # the table cuts messages: a failed rule's reason is shown whole
            lines.append(f"  line {r.line}: {_cut(r.message, 300)}")
        if r.samples:
            shown = "; ".join(f"row {fmt(s['row'])}: {_value(s['value'])}" for s in r.samples)
            lines.append(f"  line {r.line} samples: {_cut(shown, 300)}")
    return fit("\n".join(lines))


def _samples_html(r: RuleResult) -> str:
    if not r.samples:
        return ""
    body = table(["row", "value"], [(fmt(s["row"]), _value(s["value"])) for s in r.samples])
    more = "" if (r.failing or 0) <= len(r.samples) else f" (first {len(r.samples)} of {r.failing})"
    return f"<details><summary>failing values{escape(more)}</summary>{body}</details>"


@view("mlops_jupyter.validation.report.ValidationReport", "html")
def report_html(report: ValidationReport) -> str:
    """The notebook view: verdict, then a table of rules, failed first, samples folded."""
    verdict = badge("passed" if report.ok else "failed")
    if report.warn_only and not report.ok:
        verdict += " " + badge("warn only", "mlops-warn")
    s = report.summary()
    head = (f"<div>{verdict} <span class='mlops-muted-text'>{escape(report.target)}: "
            f"{report.rows} {report.unit}{'' if report.unit != 'rows' else f' × {report.columns} columns'}; {s['rules']} rules, {s['failed']} failed"
            f"{', ' + str(s['errors']) + ' errors' if s['errors'] else ''}; {report.seconds:.3f} s</span></div>")
    headers = ["status", "line", "rule", "failing", "fraction", "observed", "details"]
    shown = _ordered(report)[:MAX_RULES_SHOWN]
    failed = [_row_html(r) for r in shown if not r.ok]
    passed = [_row_html(r) for r in shown if r.ok]
    body = table(headers, failed, raw_html_cols={0, 2, 6}) if failed else ""
    if passed:  # passing rules folded: the failures are what needs reading
        body += (f"<details><summary>{len(passed)} passed rules</summary>"
                 f"{table(headers, passed, raw_html_cols={0, 2, 6})}</details>")
    if len(report.results) > MAX_RULES_SHOWN:
        body += f"<div class='mlops-muted-text'>… {len(report.results) - MAX_RULES_SHOWN} more rules: use .to_frame()</div>"
    return card(f"validation: {report.name}", head + body)


def _row_html(r: RuleResult) -> tuple[Any, ...]:
    detail = escape(_cut(r.message, 400)) + _samples_html(r)
    return (badge(r.status), r.line, f"<code>{escape(_cut(r.rule, 100))}</code>",
            "" if r.failing is None else r.failing, _fraction(r), _value(r.observed), detail)


@view("mlops_jupyter.validation.suites.Suite", "html")
def suite_html(suite: Suite) -> str:
    """A suite as a numbered list of its rules."""
    rows = [(i + 1, f"<code>{escape(_cut(rule, 160))}</code>") for i, rule in enumerate(suite.rules[:MAX_RULES_SHOWN])]
    desc = f"<div class='mlops-muted-text'>{escape(suite.description)}</div>" if suite.description else ""
    return card(f"suite: {suite.name} ({len(suite.rules)} rules)", desc + table(["#", "rule"], rows, raw_html_cols={1}))


@view("mlops_jupyter.validation.suites.Suite", "text")
def suite_text(suite: Suite) -> str:
    """Plain text of a suite: the head line and one rule per line."""
    head = f"suite '{suite.name}' ({len(suite.rules)} rules)"
    if suite.description:
        head += f": {suite.description}"
    return fit(head + "\n" + "\n".join(f"  {r}" for r in suite.rules))
