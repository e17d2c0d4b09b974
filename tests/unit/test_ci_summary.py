"""The job summary for GitHub's run page: readable, and no value can break its tables."""

from __future__ import annotations

from pathlib import Path

from mlops_jupyter.display.ci_summary import MAX_ROWS, job_markdown
from mlops_jupyter.export.gates import GateResult
from mlops_jupyter.export.runner import JobResult


def _result(**kw: object) -> JobResult:
    base = dict(name="train", job_dir=Path("jobs/train"), digest="d", params={"n": 5}, profile="dev")
    return JobResult(**{**base, **kw})  # type: ignore[arg-type]


def test_passed_job_lists_gates_and_metrics() -> None:
    r = _result(gates=[GateResult("metric", "auc", True, "0.91 >= 0.8")], metrics={"auc": 0.912345678}, seconds=3.25)
    md = job_markdown(r)
    assert md.startswith("### ✅ mlops job `train` passed (exit 0)\n\n3.2 s · profile dev · parameters n=5\n")
    assert "| metric | auc | pass | 0.91 &gt;= 0.8 |" in md
    assert "| auc | 0.912346 |" in md and md.endswith("\n\n")


def test_hostile_values_stay_inside_their_cell() -> None:
    r = _result(exit_code=1, error="boom\n| x | y |\n<script>alert(1)</script>",
                gates=[GateResult("check", "a|b\nc", False, "`rm -rf`<img src=x>")],
                metrics={"m|<b>": float("nan")})
    md = job_markdown(r)
    rows = [line for line in md.splitlines() if line.startswith("| check")]
    assert rows == ["| check | a&#124;b c | fail | &#96;rm -rf&#96;&lt;img src=x&gt; |"]
    assert "<script>" not in md and "<img" not in md and "<b>" not in md
    assert "**Error:** boom &#124; x &#124; y &#124; &lt;script&gt;" in md
    assert all(line.count("|") in (0, 3, 5) for line in md.splitlines() if line.startswith("|"))


def test_long_tables_are_cut_with_a_pointer_to_the_report() -> None:
    r = _result(metrics={f"m{i:03d}": float(i) for i in range(MAX_ROWS + 7)})
    md = job_markdown(r)
    assert "7 more rows in report.json" in md and "| m049 |" in md and "| m050 |" not in md
