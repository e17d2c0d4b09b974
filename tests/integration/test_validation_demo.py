"""The demo notebook 03_validate runs to the end in a prepared demo project."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

from tests.notebooks import execute

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_demo_notebook_runs_to_the_end(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "demo_notebooks"))
    try:
        import run_demo
    finally:
        sys.path.remove(str(ROOT / "demo_notebooks"))
    run = run_demo.prepare(run_dir=tmp_path / "_run")
    nb = nbformat.read(run / "03_validate.ipynb", as_version=4)
    execute(nb, cwd=run, timeout=300)
    texts = ["".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in c.get("outputs", []))
             for c in nb.cells if c.cell_type == "code"]
    joined = "\n".join(texts)
    assert "validation 'tips' passed" in joined  # the inferred suite passes on its source
    assert "validation 'tips' FAILED" in joined  # and catches the broken batch
    assert "exit code: 1" in joined  # the CLI fails the same check
    assert "validation 'metrics' passed" in joined or "validation 'metrics' FAILED" in joined
    assert (run / "mlops" / "suites" / "tips.yaml").is_file()
    # section 7: the notebook's tests catch the bug in bill_band, then pass once it is fixed
    reports = [t for t in texts if t.startswith("TestReport('bill_band'")]
    assert reports == ["TestReport('bill_band': 3 passed, 2 failed, 0 errors, 0 skipped)",
                       "TestReport('bill_band': 5 passed, 0 failed, 0 errors, 0 skipped)"], texts
