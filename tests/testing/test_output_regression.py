"""Output regression (tag mlops-check-output): sanitised, tolerant, with a readable diff."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mlops_jupyter.testing import TestReport
from mlops_jupyter.testing.outputs import compare_cell, sanitize
from tests.notebooks import make_notebook

ROOT = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).with_name("mlops-jupyter"))
TAG = ["mlops-check-output"]


def _stdout(text: str) -> list[object]:
    return [nbformat.v4.new_output("stream", name="stdout", text=text)]


def test_sanitizers_and_tolerance() -> None:
    saved = _stdout("run 0123456789abcdef0123456789abcdef at 2026-01-01T10:00:00 <X at 0x7f00deadbeef>\n"
                    "loss 0.30000000000000004 in 1.52 s\n")
    now = _stdout("run fedcba9876543210fedcba9876543210 at 2026-11-29T16:45:12 <X at 0x7f11cafe0000>\n"
                  "loss 0.3 in 0.98 s\n")
    assert compare_cell(saved, now, "cell-1").outcome == "passed"
    changed = compare_cell(saved, _stdout("run x at 2026-11-29T16:45:12\nloss 0.31 in 1 s\n"), "cell-1")
    assert changed.outcome == "failed" and "-loss 0.30000000000000004 in <duration>" in changed.diff
    assert "+loss 0.31 in <duration>" in changed.diff
    assert sanitize("Wall time: 1.2 s") == "Wall time: <duration>"
    assert compare_cell([], now, "cell-2").outcome == "skipped"


@pytest.mark.slow
def test_output_checks_in_a_real_kernel(project: Path) -> None:
    nb = make_notebook([
        ("import uuid, time\nprint('run', uuid.uuid4().hex, 'at', time.strftime('%Y-%m-%dT%H:%M:%S'))\nprint(0.1 + 0.2)", TAG),
        ("print(object())", TAG),
        ("print(len([1, 2, 3]))", TAG),
        ("print('new cell')", TAG),
    ])
    nb.cells[0].outputs = _stdout("run 0123456789abcdef0123456789abcdef at 2020-01-01T00:00:00\n0.3\n")
    nb.cells[1].outputs = _stdout("<object object at 0x7f0000000000>\n")
    nb.cells[2].outputs = _stdout("4\n")
    nbformat.write(nb, project / "out.ipynb")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([CLI, "test", "out.ipynb", "--json"], cwd=project, env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 1, out.stdout + out.stderr
    cases = {c.name: c for c in TestReport.from_dict(json.loads(out.stdout)).cases}
    assert cases["output[cell-1]"].outcome == "passed"
    assert cases["output[cell-2]"].outcome == "passed"
    assert cases["output[cell-3]"].outcome == "failed" and "-4\n+3" in cases["output[cell-3]"].diff
    assert cases["output[cell-4]"].outcome == "skipped"
