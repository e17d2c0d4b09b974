"""A job's result as GitHub-flavoured Markdown, for the CI run page.

``run_job`` appends it (the ``markdown`` view of a ``JobResult``) to the file named by ``GITHUB_STEP_SUMMARY`` when GitHub Actions sets
that variable, so the verdict, the gates, the metrics and the failing notebook tests are read
on the run's summary page instead of in the log. Every value is escaped: a metric name or a
test message cannot break the table or inject markup.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

from .registry import view

if TYPE_CHECKING:
    from ..export.runner import JobResult

MAX_ROWS = 50
MAX_CELL = 300


def _cell(value: Any) -> str:
    """One table cell: one line, HTML-escaped, pipes and backticks neutralised."""
    text = " ".join(str(value).split())
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - 1] + "…"
    return html.escape(text, quote=False).replace("|", "&#124;").replace("`", "&#96;")


def _table(header: list[str], rows: list[tuple[Any, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows[:MAX_ROWS]]
    if len(rows) > MAX_ROWS:
        lines.append(f"\n{len(rows) - MAX_ROWS} more rows in report.json")
    return lines


@view("mlops_jupyter.export.runner.JobResult", "markdown")
def job_markdown(result: JobResult) -> str:
    """The summary block of one job run (ends with a blank line, so runs can be appended)."""
    verdict = "passed" if result.ok else "failed"
    mark = "✅" if result.ok else "❌"
    out = [f"### {mark} mlops job `{_cell(result.name)}` {verdict} (exit {result.exit_code})", "",
           f"{result.seconds:.1f} s · profile {_cell(result.profile)}"
           + (" · parameters " + ", ".join(f"{_cell(k)}={_cell(repr(v))}" for k, v in result.params.items())
              if result.params else ""), ""]
    if result.error:
        out += [f"**Error:** {_cell(result.error)}", ""]
    gates = [(g.kind, g.name, ("pass" if g.ok else "fail") if g.enforced else ("ok" if g.ok else "warn"), g.detail)
             for g in result.gates]
    if gates:
        out += [*_table(["gate", "name", "verdict", "detail"], gates), ""]
    metrics = [(k, f"{v:.6g}" if isinstance(v, float) and math.isfinite(v) else v)
               for k, v in sorted(result.metrics.items())]
    if metrics:
        out += ["<details><summary>Metrics of the job's runs</summary>", ""]
        out += [*_table(["metric", "value"], metrics), "", "</details>", ""]
    if result.env_diff:
        out += [f"Environment differs from the pinned one in {len(result.env_diff)} package(s).", ""]
    return "\n".join(out) + "\n"
