"""The drift demo notebook runs to the end in a real kernel, in the prepared demo project."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nbformat

from tests.notebooks import execute

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo_notebooks" / "04_drift_monitoring.ipynb"


def test_drift_demo_runs_to_the_end(tmp_path: Path) -> None:
    # Given the demo notebook, committed without outputs
    nb = nbformat.read(DEMO, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert nb.cells[1].source.strip() == "%load_ext mlops_jupyter"
    # When it runs in a fresh kernel inside a demo project (mlops.toml, .mlops state)
    sys.path.insert(0, str(ROOT / "demo_notebooks"))
    try:
        from run_demo import MLOPS_TOML
    finally:
        sys.path.remove(str(ROOT / "demo_notebooks"))
    (tmp_path / "mlops.toml").write_text(MLOPS_TOML)
    shutil.copy(DEMO, tmp_path / DEMO.name)
    execute(nb, tmp_path, timeout=300)
    # Then no cell failed, drift was found where it is real and not in the control
    text = "\n".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
        for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    assert "caught: DriftDetected" in text
    assert "Error" not in "".join(o.get("ename", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    checks = (tmp_path / ".mlops" / "checks.jsonl").read_text()
    assert '"kind":"drift"' in checks
