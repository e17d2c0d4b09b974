"""Views of ``mlops-jupyter doctor``'s :class:`~mlops_jupyter.diagnosis.DoctorReport`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .html import badge, card, table, text_table
from .registry import view

if TYPE_CHECKING:
    from ..diagnosis import DoctorReport

REPORT = "mlops_jupyter.diagnosis.DoctorReport"
_HEAD = ["status", "check", "detail", "fix"]


@view(REPORT, "text")
def report_text(report: DoctorReport) -> str:
    rows = [(c.status.upper(), c.name, c.detail, c.fix) for c in report.checks]
    return text_table(_HEAD, rows, max_width=80)


@view(REPORT, "html")
def report_html(report: DoctorReport) -> str:
    rows = [(badge(c.status), c.name, c.detail, c.fix) for c in report.checks]
    return card("mlops doctor", table(_HEAD, rows, {0}))
