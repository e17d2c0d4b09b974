"""Every demo notebook runs, exports (both modes), and its job rehearses in a fresh kernel:
the job reproduces the metrics of the notebook's own run."""

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
    """The demo project of `make demo`, with every demo notebook executed in order."""
    sys.path.insert(0, str(DEMO_DIR))
    try:
        from run_demo import execute, prepare  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(DEMO_DIR))
    root = Path(prepare(tmp_path_factory.mktemp("demo") / "_run"))
    for name in NOTEBOOKS:
        execute(root / name, root, timeout=300)
    return root


def test_there_are_demo_notebooks() -> None:
    assert NOTEBOOKS, f"no demo notebooks in {DEMO_DIR}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_demo_notebook_exports_and_rehearses(demo_project: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(demo_project)
    nb = demo_project / name
    # every magic of the demo has a script form
    script = mj.export_notebook(nb, mode="script", out=demo_project / "jobs" / f"{nb.stem}_script")
    compile((script.job_dir / "job.py").read_text(), "job.py", "exec")
    # the notebook job runs in a fresh kernel (headless, tracked, tagged) and reproduces
    # every metric of the notebook's own run within tolerance
    report = mj.rehearse(nb, out=demo_project / "jobs" / nb.stem)
    assert report.job is not None and report.job.exit_code == 0, str(report)
    assert report.job.executed is not None and report.job.executed.exists()
    if report.compared:
        assert report.reproduced, str(report)
        assert report.source_run_id not in report.job.run_ids


def test_tracking_demo_is_compared_and_reproduced(demo_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(demo_project)
    report = mj.rehearse(demo_project / "01_tracking.ipynb", strict=True)
    assert report.compared and report.reproduced, str(report)
    assert "reproduced" in str(report)
