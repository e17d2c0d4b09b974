"""The release demo notebook runs end to end in a real kernel on a prepared demo project."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "demo_notebooks"))
sys.path.insert(0, str(ROOT / "tests"))

from notebooks import execute  # noqa: E402
from run_demo import prepare  # noqa: E402

pytestmark = pytest.mark.slow


def _text(nb: nbformat.NotebookNode) -> str:
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            out.append(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                       + str(o.get("data", {}).get("text/html", "")))
    return "\n".join(out)


def test_demo_05_release_runs(tmp_path: Path) -> None:
    source = ROOT / "demo_notebooks" / "05_release.ipynb"
    committed = nbformat.read(source, as_version=4)
    assert all(not c.get("outputs") for c in committed.cells if c.cell_type == "code"), "commit without outputs"
    run_dir = prepare(tmp_path / "_run")
    nb = nbformat.read(run_dir / source.name, as_version=4)
    execute(nb, run_dir, timeout=400)
    text = _text(nb)
    assert "<Decision promoted: promoted breast_cancer v1 to &#x27;champion&#x27; (no champion yet" in text \
        or "promoted breast_cancer v1 to 'champion' (no champion yet" in text
    assert "refused - False" in text and "accuracy 0.8684 < min 0.9" in text
    assert "champion is still version 1" in text
    assert "challenger vs champion" in text  # the comparison view rendered
    assert "[('data', 'passed'), ('drift', 'passed'), ('metrics', 'passed'), ('ab', 'passed')]" in text
    assert "champion -> 3" in text
    assert "ReadOnlyEnvironment: cannot promote a model" in text
    assert "exit code 1" in text
