"""`mlops-jupyter validate` exit codes (subprocess) and a notebook that stops at %%validate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import env_without_overrides
from tests.notebooks import CellExecutionError, execute, make_notebook


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mlops_jupyter", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env=env_without_overrides())


@pytest.fixture
def data_project(project: Path) -> Path:
    pd.DataFrame({"id": [1, 2, 3], "price": [1.0, 2.0, 3.0]}).to_csv(project / "good.csv", index=False)
    pd.DataFrame({"id": [1, 1, 3], "price": [1.0, -2.0, 3.0]}).to_parquet(project / "bad.parquet")
    suites = project / "mlops" / "suites"
    suites.mkdir(parents=True)
    (suites / "prices.yaml").write_text("name: prices\nrules:\n  - id is unique\n  - price > 0\n")
    (suites / "broken.yaml").write_text("rules:\n  - price >>> 0\n")
    return project


def test_cli_exit_codes(data_project: Path) -> None:
    ok = _cli(data_project, "validate", "good.csv", "--suite", "prices")
    assert ok.returncode == 0, ok.stderr
    assert "validation 'prices' passed" in ok.stdout

    failed = _cli(data_project, "validate", "bad.parquet", "--suite", "prices", "--json")
    assert failed.returncode == 1
    report = json.loads(failed.stdout)
    assert report["ok"] is False and report["failed"] == 2
    assert report["results"][0]["samples"][0]["row"] == 0

    for args in (["missing.csv", "--suite", "prices"], ["good.csv", "--suite", "nope"],
                 ["good.csv", "--suite", "broken"], ["good.csv"]):
        bad = _cli(data_project, "validate", *args)
        assert bad.returncode == 2, (args, bad.stdout, bad.stderr)
        assert "Traceback" not in bad.stderr
    assert "line 1" in _cli(data_project, "validate", "good.csv", "--suite", "broken").stderr


@pytest.mark.slow
def test_notebook_stops_at_failing_validate(data_project: Path) -> None:
    nb = make_notebook([
        "%load_ext mlops_jupyter",
        "import pandas as pd\ndf = pd.read_parquet('bad.parquet')",
        "%%validate df --warn-only\nprice > 0",
        "%%validate df\nid is unique\nprice > 0",
        "reached = True",
    ])
    with pytest.raises(CellExecutionError) as info:
        execute(nb, cwd=data_project, timeout=120)
    assert "ValidationFailed" in str(info.value)
    outputs = [c.get("outputs", []) for c in nb.cells]
    assert any("text/html" in o.get("data", {}) for o in outputs[2])  # warn-only report shown
    assert any("text/html" in o.get("data", {}) for o in outputs[3])  # failing report shown too
    assert outputs[4] == []  # execution stopped at the failing cell
