"""The data-versions demo notebook runs end to end in a real kernel on a prepared project."""

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


def _text(nb: nbformat.NotebookNode) -> str:
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            out.append(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")))
    return "\n".join(out)


def test_demo_02_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the kernel and its `!python -m mlops_jupyter` import the code under test
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    source = ROOT / "demo_notebooks" / "02_data_versions.ipynb"
    committed = nbformat.read(source, as_version=4)
    assert all(not c.get("outputs") for c in committed.cells if c.cell_type == "code"), "commit without outputs"
    run_dir = prepare(tmp_path / "_run")
    nb = nbformat.read(run_dir / source.name, as_version=4)
    execute(nb, run_dir, timeout=300)
    text = _text(nb)
    assert "old = DataFrame 178 rows" in text
    assert "removed 59, changed 119 (key sample_id)" in text
    assert "DataIntegrityError: data/wine.csv" in text
    assert "train on wine v1" in text and "train on wine v2" in text
