"""HTML view of coverage per cell: per function covered or not, per cell the missed lines."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from .html import badge, table
from .registry import view

if TYPE_CHECKING:
    from ..testing.cellcoverage import CellCoverage

MAX_ROWS = 200


@view("mlops_jupyter.testing.cellcoverage.CellCoverage", "html")
def coverage_html(cov: CellCoverage) -> str:
    """A section (not a card: it sits inside a test report's card, or alone)."""
    head = (f"<div><b>Coverage by tests</b>: {cov.percent:.0f}% "
            f"({cov.executed}/{cov.statements} statements of cells that define functions)</div>")
    rows = [[escape(f.name), badge("covered", "mlops-ok") if f.covered else badge("not run", "mlops-fail"),
             escape(f"{f.cell}:{f.line}"), f"{f.executed}/{f.statements}"] for f in cov.functions[:MAX_ROWS]]
    cells = [[escape(c.cell), f"{len(c.executed)}/{len(c.statements)}",
              escape(", ".join(map(str, c.missing[:40])) or "—")] for c in cov.cells[:MAX_ROWS]]
    out = head
    if rows:
        out += table(["function", "status", "cell:line", "lines run"], rows, raw_html_cols={0, 1, 2, 3})
    if cells:
        out += table(["cell", "lines run", "lines not run"], cells, raw_html_cols={0, 1, 2})
    return f'<div class="mlops-coverage">{out}</div>'


@view("mlops_jupyter.testing.cellcoverage.CellCoverage", "text")
def coverage_text(cov: CellCoverage) -> str:
    lines = [f"Coverage of notebook cells by tests: {cov.percent:.0f}% "
             f"({cov.executed}/{cov.statements} statements)"]
    for c in cov.cells:
        lines.append(f"  {c.cell}: {len(c.executed)}/{len(c.statements)} lines; missing {c.missing[:20]}")
    for f in cov.functions:
        lines.append(f"  {'covered  ' if f.covered else 'NOT RUN  '} {f.name} ({f.cell}:{f.line})")
    return "\n".join(lines)
