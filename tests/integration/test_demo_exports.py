"""Every demo notebook exports (both modes), and its job runs in a fresh kernel."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import mlops_jupyter as mj

pytestmark = pytest.mark.slow

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo_notebooks"
NOTEBOOKS = sorted(p.name for p in DEMO_DIR.glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sys.path.insert(0, str(DEMO_DIR))
    try:
        from run_demo import prepare  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(DEMO_DIR))
    return Path(prepare(tmp_path_factory.mktemp("demo") / "_run"))


def test_there_are_demo_notebooks() -> None:
    assert NOTEBOOKS, f"no demo notebooks in {DEMO_DIR}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_demo_notebook_exports_and_its_job_runs(demo_project: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(demo_project)
    nb = demo_project / name
    # every magic of the demo has a script form
    script = mj.export_notebook(nb, mode="script", out=demo_project / "jobs" / f"{nb.stem}_script")
    compile((script.job_dir / "job.py").read_text(), "job.py", "exec")
    # the notebook job runs in a fresh kernel (headless, tracked, tagged)
    res = mj.export_notebook(nb, target="github")
    result = mj.run_job(res.job_dir, timeout=300)
    assert result.exit_code == 0, str(result)
    assert result.executed is not None and result.executed.exists()


def test_tracking_demo_rehearses(demo_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if "01_tracking.ipynb" not in NOTEBOOKS:
        pytest.fail("the tracking demo (01_tracking.ipynb) is missing")
    monkeypatch.chdir(demo_project)
    report = mj.rehearse(demo_project / "01_tracking.ipynb", mode="script")
    # the job's runs are never taken for the notebook's own source run
    assert report.source_run_id is None or report.source_run_id not in report.job.run_ids
    assert report.job is not None and report.job.exit_code in (0, 1)
    assert "rehearsal of 01_tracking.ipynb" in str(report)
