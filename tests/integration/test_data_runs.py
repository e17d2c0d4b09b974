"""Pins and loads inside a run: MLflow inputs with full-content digests (real SQLite store)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter.data import DataNotSavedWarning
from mlops_jupyter.session import session
from tests.conftest import make_dvc_project

DVC = str(Path(sys.executable).with_name("dvc"))
TOML = 'experiment = "data-runs"\n[env.dev]\ndvc_remote = "local"\n'


def sh(root: Path, *cmd: str) -> str:
    return subprocess.run(list(cmd), cwd=root, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def dvc_project(git_project: Path) -> Path:
    """git + DVC repo with a local-folder remote 'local'."""
    return make_dvc_project(git_project, TOML)


def _inputs(run_id: str) -> dict[str, list[dict[str, str]]]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=session.profile().tracking_uri)
    out: dict[str, list[dict[str, str]]] = {}
    for inp in client.get_run(run_id).inputs.dataset_inputs:
        tags = {t.key: t.value for t in inp.tags}
        out.setdefault(inp.dataset.name, []).append(dict(tags, digest=inp.dataset.digest))
    return out


def test_run_records_inputs_that_another_process_recomputes(dvc_project: Path) -> None:
    root = dvc_project
    pd.DataFrame({"a": [1, 2, 3], "s": ["x", "y", None]}).to_csv(root / "data/t.csv", index=False)
    v1 = mj.pin("data/t.csv", message="v1", push=True)
    rev1 = sh(root, "git", "rev-parse", "HEAD")
    pd.DataFrame({"a": [1, 2, 3, 4], "s": ["x", "y", None, "z"]}).to_csv(root / "data/t.csv", index=False)
    run = mj.start_run("train")
    with pytest.warns(DataNotSavedWarning, match="not committed to git and not pushed"):
        v2 = mj.pin("data/t.csv")
    assert v2.run_id == run.run_id
    old = mj.load("data/t.csv", rev=rev1)
    mj.end_run()
    run_id = run.run_id

    inputs = _inputs(run_id)["data/t.csv"]
    by_action = {i["mlops.data.action"]: i for i in inputs}
    pin_in, load_in = by_action["pin"], by_action["load"]
    assert pin_in["digest"] == pin_in["dvc.md5"] == v2.md5
    assert pin_in["mlops.data.committed"] == "false" and pin_in["mlops.data.pushed"] == "false"
    assert load_in["digest"] == v1.md5 and load_in["dvc.rev"] == rev1 and load_in["dvc.remote"] == "local"
    assert load_in["mlops.data.committed"] == "true" and load_in["mlops.data.pushed"] == "true"
    assert load_in["mlops.data.fingerprint"] == mj.fingerprint(old)

    from mlflow.tracking import MlflowClient

    tags = MlflowClient(tracking_uri=session.profile().tracking_uri).get_run(run_id).data.tags
    assert tags["mlops.data.not_committed"] == "data/t.csv"
    assert tags["mlops.data.not_pushed"] == "data/t.csv"

    # a second process recomputes both digests from the repository alone
    code = (
        "import mlops_jupyter as mj\n"
        f"print(mj.fingerprint('data/t.csv'))\n"
        f"print(mj.fingerprint(mj.load('data/t.csv', rev={rev1!r})))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MLOPS_ENV"}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(mj.__file__).resolve().parents[1]), env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    file_md5, frame_fp = out.stdout.split()
    assert file_md5 == pin_in["digest"]
    assert frame_fp == load_in["mlops.data.fingerprint"]

    st = mj.data_status()
    assert run_id in st.rows[0].last_runs


def test_no_run_no_input(dvc_project: Path) -> None:
    (dvc_project / "data/t.csv").write_text("a\n1\n")
    pin = mj.pin("data/t.csv", message="v1")
    assert pin.run_id is None
    assert not (dvc_project / ".mlops" / "data" / "usage.jsonl").exists()
