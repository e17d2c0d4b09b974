"""Text views in terminals: no line wider than the terminal, nothing cut that matters.

Each result type's ``str()`` (what ``print`` and terminal IPython show) at 80 and 120
columns (``COLUMNS``, as a terminal sets it), with long names, long reasons and many
columns. Validation, drift, suites, the environment and the export are produced by the
real API; the others are their real dataclasses filled with long values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter.display.html import fit, text_table
from tests.notebooks import make_notebook

LONG = "a_rather_long_column_name_of_a_feature_store_export_with_a_suffix"
WHY = ("the share of nulls moved from 0.0% to 8.2%, beyond the null-rate threshold of 5.0 percentage points "
       "set in [drift] null_threshold")


def _results(root: Path) -> dict[str, Any]:
    from mlops_jupyter.data.diff import DataDiff
    from mlops_jupyter.data.pins import DatasetPin
    from mlops_jupyter.data.status import DataStatus, StatusRow
    from mlops_jupyter.diagnosis import Check, DoctorReport
    from mlops_jupyter.display.envview import EnvView
    from mlops_jupyter.display.tracking import RunView
    from mlops_jupyter.export.gates import GateResult as JobGate
    from mlops_jupyter.export.rehearsal import RehearsalReport
    from mlops_jupyter.export.runner import JobResult
    from mlops_jupyter.release.compare import ModelComparison
    from mlops_jupyter.release.decision import Decision, GateResult
    from mlops_jupyter.tracking.comparison import CompareResult
    from mlops_jupyter.tracking.listing import RunList
    from mlops_jupyter.tracking.spool import SyncResult

    rng = np.random.default_rng(0)
    wide = {f"{LONG}_{i}": rng.normal(0, 1, 300) for i in range(12)}
    ref = pd.DataFrame({**wide, "plan": rng.choice(["a", "b"], 300)})
    cur = pd.DataFrame({**{k: v + 0.5 for k, v in wide.items()}, "plan": rng.choice(["a", "b"], 300, p=[0.8, 0.2])})
    cur.loc[:40, f"{LONG}_0"] = None
    frame = pd.DataFrame({LONG: [1.0, 5.0, 2000.0], "day": pd.date_range("2024-01-01", periods=3)})
    rules = f"{LONG} between 0 and 1000\n{LONG} is not null\nrows >= 100"
    timeline_frame = pd.DataFrame({"day": pd.date_range("2024-01-01", periods=120, freq="D").repeat(5),
                                   LONG: rng.normal(0, 1, 600)})
    nb = make_notebook(["import mlops_jupyter as mj", "x = 1"], path=root / f"{LONG}.ipynb")
    assert nb is not None
    run_summary = {"run_name": LONG, "run_id": "0123456789abcdef" * 2, "status": "FINISHED", "experiment": LONG,
                   "experiment_id": "1", "tracking_uri": f"sqlite:///{root}/{LONG}/{LONG}/.mlops/mlflow.db",
                   "captured": {"git": "abc123", "dirty": True, "notebook": str(root / f"{LONG}.ipynb")},
                   "metrics": {f"{LONG}_{i}": 0.5 + i for i in range(5)}, "points": 12}
    gate = GateResult(LONG, "failed", WHY, {"improvement": 0.01, "ci_low": -0.02, "ci_high": 0.04, "n": 1000})
    job_gate = JobGate("metric", LONG, False, WHY)
    job = JobResult(LONG, root, "d" * 40, {LONG: "x" * 90}, "dev", exit_code=1, error=WHY, gates=[job_gate],
                    env_diff=[{"package": LONG, "pinned": "1.0", "installed": "2.0"}],
                    data=[{"path": f"data/{LONG}.csv", "status": WHY}], run_ids=["r" * 32], executed=root / f"{LONG}.ipynb")
    return {
        "validation": mj.validate(frame, rules=rules, warn_only=True, name=LONG),
        "suite": mj.infer_suite(frame, name=LONG),
        "drift": mj.drift(ref, cur, name=LONG),
        "drift timeline": mj.drift(timeline_frame, by="day", freq="M", name=LONG),
        "pin": DatasetPin(path=f"data/{LONG}/{LONG}.csv", md5="e" * 32, size=2 ** 31, files=1, revision="f" * 40,
                          remote="local", state="not pushed", run_id="r" * 32),
        "data status": DataStatus(str(root / LONG), f"s3://{LONG}/{LONG}", [
            StatusRow(path=f"data/{LONG}/{LONG}.csv", state="modified", flags=["modified", "not pushed"], md5="e" * 32,
                      size=10 ** 9, files=1, revision="f" * 40, remote="local", last_runs=["r" * 32, "s" * 32])]),
        "data diff": DataDiff(path=f"data/{LONG}.csv", rev_a="HEAD~1", rev_b="HEAD", kind="table", md5_a="e" * 32,
                              md5_b="f" * 32, key=[LONG], rows_a=10, rows_b=12, rows_added=2, rows_removed=0,
                              rows_changed=1, columns_added=[LONG] * 3,
                              stats=[{"column": LONG, "stat": "mean", "a": 1.0, "b": 2.0, "note": WHY}]),
        "run card": RunView(run_summary, link=None, ui_command=f"mlflow ui --backend-store-uri {run_summary['tracking_uri']}",
                            note=WHY),
        "runs": RunList(LONG, [{"run_id": "r" * 32, "run_name": LONG, "status": "FINISHED", "start": "2024-01-01 10:00",
                                "metrics": {f"{LONG}_{i}": i for i in range(4)}}]),
        "compare": CompareResult(LONG, "max", {"run_name": LONG, "run_id": "r" * 32, "metrics": {LONG: 0.5}},
                                 {"run_name": LONG + "_best", "run_id": "s" * 32, "metrics": {LONG: 0.6}},
                                 [(f"{LONG}_{i}", 0.5, 0.6) for i in range(3)], [(LONG, "x" * 80, "y" * 80)]),
        "export": mj.export_notebook(root / f"{LONG}.ipynb"),
        "job": job,
        "rehearsal": RehearsalReport(f"{LONG}.ipynb", root, "r" * 32, job,
                                     metrics=[{"metric": LONG, "source": 0.5, "job": 0.6, "rel_tol": 0.01, "ok": False}],
                                     packages=[{"package": LONG, "source": "1.0", "job": "2.0"}], notes=[WHY]),
        "decision": Decision("id", 0.0, LONG, "champion", {"uri": f"models:/{LONG}/1"}, {"uri": f"models:/{LONG}/2"},
                             [gate, GateResult("data", "passed", WHY)], environment="dev"),
        "model comparison": ModelComparison(LONG, {"uri": f"models:/{LONG}/1"}, {"uri": f"models:/{LONG}/2"}, 0.95,
                                            metrics=[{"metric": LONG, "higher_is_better": True, "challenger": 0.5,
                                                      "challenger_ci_low": 0.4, "challenger_ci_high": 0.6}],
                                            ab=gate, params=[(LONG, "x" * 70, "y" * 70)]),
        "environment": EnvView.current(show_all=True),
        "doctor": DoctorReport([Check(LONG, "fail", WHY, "run: " + WHY)]),
        "sync": SyncResult(replayed_runs=[LONG], replayed_ops=3, pending_runs=[LONG] * 4, errors=[WHY]),
    }


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("widths")
    mp = pytest.MonkeyPatch()
    mp.chdir(root)
    try:
        return _results(root)
    finally:
        mp.undo()


@pytest.mark.parametrize("columns", [80, 120])
def test_no_text_line_is_wider_than_the_terminal(results: dict[str, Any], columns: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a terminal of COLUMNS columns
    monkeypatch.setenv("COLUMNS", str(columns))
    for kind, result in results.items():
        # When a result is printed
        text = str(result)
        # Then every line fits and the text is not empty
        too_wide = [line for line in text.splitlines() if len(line) > columns]
        assert text.strip() and not too_wide, f"{kind} at {columns} columns:\n" + "\n".join(too_wide)


def test_drift_text_wraps_the_reason_instead_of_cutting_it(results: dict[str, Any],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    text = " ".join(str(results["drift"]).split())
    col = results["drift"].column(f"{LONG}_0")
    # the whole reason of every column is there (words joined again across wrapped lines)
    reason = " ".join((col.reason or col.why).split())
    assert reason and reason[-20:] in text.replace(" ", " ")
    assert "…" not in str(results["drift"])


def test_terminal_ipython_shows_the_validation_rule_table(results: dict[str, Any],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    # IPython's plain-text formatter (terminal IPython, display(report)) shows the rules, not one line
    from IPython.lib.pretty import pretty

    report = results["validation"]
    shown = pretty(report)
    assert shown == str(report)
    assert any(line.split()[:2] == ["status", "line"] for line in shown.splitlines() if line.strip())
    assert "rows >= 100" in shown and "between 0 and 1000" in shown


def test_text_table_wraps_cells_and_falls_back_to_blocks() -> None:
    rows = [["x" * 30, WHY]]
    table = text_table(["name", "why"], rows, max_width=70, width=60)
    assert max(len(line) for line in table.splitlines()) <= 60
    assert " ".join(table.split()).count("null_threshold") == 1  # wrapped, not cut
    many = text_table([f"h{i}" for i in range(14)], [[f"value-{i}" for i in range(14)]], width=80)
    assert many.splitlines()[0] == "[1]" and "h13 : value-13" in many
    assert max(len(line) for line in many.splitlines()) <= 80
    assert fit("    " + "word " * 40, 30).splitlines()[1].startswith("      word")
