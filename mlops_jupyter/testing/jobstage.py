"""The test stage of an exported job: the notebook's tests run before it trains.

``run_job`` calls :func:`run_test_stage` before executing a notebook job. When the notebook
has test cells, the notebook down to its last test cell runs first (``test_notebook`` in a
fresh kernel, with the job's
parameters, tracking into a throw-away store under ``out/tests/`` so the stage leaves no
runs in the project's experiment). Failing tests stop the job before training (exit 1);
the JUnit file and the report sit in ``out/tests/``, and the counts are logged on the
runs the job makes when it trains (:func:`log_on_runs`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .report import TestReport

JUNIT_IN_OUT = "tests/junit.xml"  # under the job's out/ folder; the CI templates name it too


@dataclass
class TestStage:
    """Outcome of the test stage: the report and where its files are."""

    __test__ = False

    report: TestReport
    junit: Path
    report_path: Path

    @property
    def ok(self) -> bool:
        return self.report.ok

    def detail(self) -> str:
        c = self.report.counts()
        text = f"{c['passed']} passed, {c['failed']} failed, {c['error']} errors, {c['skipped']} skipped"
        bad = [f"{t.name} ({t.cell}:{t.line}): {t.message}" for t in self.report.failed + self.report.errors]
        bad += self.report.errors_outside_tests
        return text + ("; " + "; ".join(bad[:5]) if bad else "")


def has_test_cells(notebook: Path) -> bool:
    from .notebook import is_test_cell

    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return any(is_test_cell(c) for c in nb.get("cells", []) if isinstance(c, dict))


def run_test_stage(code: Path, params: dict[str, Any], out_dir: Path, kernel: str | None,
                   timeout: float | None, cwd: Path | None = None) -> TestStage | None:
    """Run the notebook's tests (None when it has no test cells)."""
    if not has_test_cells(code):
        return None
    from ..errors import MlopsError
    from .junit import write_junit
    from .notebook import test_notebook

    folder = (out_dir / JUNIT_IN_OUT).parent
    folder.mkdir(parents=True, exist_ok=True)
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{(folder / 'mlflow.db').resolve()}"}
    try:
        report = test_notebook(code, params, timeout=timeout, kernel=kernel, env=env, cwd=cwd,
                               until_last_test=True)
    except MlopsError as exc:
        report = TestReport(name=code.stem, notebook=str(code), errors_outside_tests=[exc.one_line()])
    junit = write_junit([report], out_dir / JUNIT_IN_OUT)
    report_path = folder / "report.json"
    report_path.write_text(json.dumps(report.to_dict(), indent=2, default=str) + "\n", encoding="utf-8")
    return TestStage(report, junit, report_path)


def log_on_runs(stage: TestStage, run_ids: list[str], tracking_uri: str) -> None:
    """Counts as metrics, a tag and the JUnit file as an artifact on each run of the job."""
    if not run_ids:
        return
    from ..tracking.store import get_client

    client = get_client(tracking_uri)
    c = stage.report.counts()
    for run_id in run_ids:
        for outcome in ("passed", "failed", "error", "skipped"):
            client.log_metric(run_id, f"tests.job.{outcome}", float(c[outcome]))
        client.set_tag(run_id, "mlops.tests.job", "passed" if stage.ok else "failed")
        client.log_artifact(run_id, str(stage.junit), "tests")
