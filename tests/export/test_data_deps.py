"""Pinned data in jobs: recorded at export, fetched with dvc pull, verified by md5."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import DataIntegrityError
from tests.notebooks import make_notebook

pytestmark = pytest.mark.slow


def _dvc(root: Path, *args: str) -> None:
    subprocess.run([str(Path(sys.executable).with_name("dvc")), *args], cwd=root, check=True, capture_output=True)


def test_pinned_data_is_fetched_and_verified(job_project: Path, tmp_path: Path) -> None:
    # Given a DVC project with a pinned CSV pushed to a local remote
    _dvc(job_project, "init", "-q")
    _dvc(job_project, "remote", "add", "-d", "local", str(tmp_path / "remote"))
    (job_project / "data").mkdir()
    csv = job_project / "data" / "train.csv"
    csv.write_text("a,b\n1,2\n3,4\n")
    pin = mj.pin("data/train.csv", push=True, message="pin train")
    make_notebook([
        "%load_ext mlops_jupyter",
        "%mlops_data load data/train.csv --as df",
        "report = %drift df df\nopen('seen.txt', 'w').write(f'{len(df)} {report.drifted}')",
    ], job_project / "nb.ipynb")
    res = mj.export_notebook(job_project / "nb.ipynb", mode="script")
    [dep] = res.spec["data"]
    assert dep["path"] == "data/train.csv" and dep["dvc_file"] == "data/train.csv.dvc"
    assert dep["md5"] == pin.md5 and dep["rev"] == res.spec["source"]["git"]["commit"]
    # When the data is missing, Then the job pulls it and verifies it
    csv.unlink()
    result = mj.run_job(res.job_dir)
    assert result.exit_code == 0, str(result)
    assert result.data == [{"path": "data/train.csv", "md5": pin.md5, "status": "verified", "fetched": True}]
    # the magics ran as API calls under plain python: a verified load, a drift check
    assert (job_project / "seen.txt").read_text() == "2 False"
    assert any(g.kind == "check" and g.name.startswith("drift:") for g in result.gates)
    # When the file is corrupted with the same size, Then the job refuses before running
    csv.write_text("a,b\n1,2\n3,5\n")
    with pytest.raises(DataIntegrityError, match="does not match its pin") as err:
        mj.run_job(res.job_dir)
    assert err.value.exit_code == 1
