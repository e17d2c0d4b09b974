"""Warnings at export, not failures on the runner."""

from __future__ import annotations

from pathlib import Path

import pytest

import mlops_jupyter as mj
from mlops_jupyter.export.preflight import read_paths
from tests.conftest import git, make_dvc_project
from tests.notebooks import make_notebook

TOML = 'experiment = "w"\ndefault_env = "dev"\n[env.dev]\ntracking_uri = "sqlite:///.mlops/mlflow.db"\n'


def test_read_paths_are_literals_passed_to_readers() -> None:
    cells = ["import pandas as pd\ndf = pd.read_csv('data/a.csv')\nout.to_csv('out.csv')",
             "with open(path) as f: pass\nx = np.load(file='arr.npy')\n%time y = 1",
             "pd.read_parquet('https://example.org/x.parquet')"]
    assert read_paths(cells) == [(0, "data/a.csv"), (1, "arr.npy")]


@pytest.mark.slow
def test_export_warns_about_local_remote_unpinned_data_and_missing_source_run(git_project: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "1000")  # text views wrap to the terminal: keep each warning on one line
    # Given a DVC project whose default remote is a folder of this machine, one pinned file
    # and one file that the notebook reads but nobody pinned
    root = make_dvc_project(git_project, toml=TOML, default_remote=True)
    (root / "data" / "pinned.csv").write_text("a\n1\n")
    (root / "data" / "raw.csv").write_text("a\n2\n")
    mj.pin("data/pinned.csv")
    make_notebook(["import pandas as pd\nref = pd.read_csv('data/pinned.csv')\ncur = pd.read_csv('data/raw.csv')"],
                  root / "nb.ipynb")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "nb")
    # When it is exported for GitHub
    res = mj.export_notebook(root / "nb.ipynb", target="github")
    # Then every problem a hosted runner would hit is a warning, shown in the result's text
    text = str(res)
    [remote] = [w for w in res.warnings if "DVC remote 'local'" in w]
    assert "hosted CI runner cannot reach it" in remote
    [data] = [w for w in res.warnings if w.startswith("data read by the notebook is not pinned")]
    assert "data/raw.csv" in data and "data/pinned.csv" not in data
    assert any(w.startswith("no finished run of this notebook") for w in res.warnings)
    assert f"warning: {remote}" in text and "<li>" in res._repr_html_()
    # a generic job (run on this machine) can reach the folder: no remote warning
    res = mj.export_notebook(root / "nb.ipynb", target="generic", out=root / "jobs" / "generic")
    assert not any("DVC remote" in w for w in res.warnings)
