"""A project in a folder of a bigger git repository (a monorepo), DVC initialised with
``dvc init --subdir``: pins, revisions, status, loads and diffs work as at the top level."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter.data.repo import DataRepo
from mlops_jupyter.errors import DataError

DVC = str(Path(sys.executable).with_name("dvc"))
TOML = 'experiment = "churn"\n[env.dev]\ndvc_remote = "local"\n'


def sh(root: Path, *cmd: str) -> str:
    return subprocess.run(list(cmd), cwd=root, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def sub_project(git_project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``<git top>/ml/churn`` with its own mlops.toml and DVC (``--subdir``), committed."""
    sub = git_project / "ml" / "churn"
    (sub / "data").mkdir(parents=True)
    (sub / "mlops.toml").write_text(TOML)
    (sub / ".gitignore").write_text(".mlops/\n")
    sh(sub, DVC, "init", "-q", "--subdir")
    sh(sub, DVC, "remote", "add", "local", str(git_project.parent / "remote"))
    sh(git_project, "git", "add", "-A")
    sh(git_project, "git", "commit", "-q", "-m", "churn project")
    monkeypatch.chdir(sub)
    return sub


def write_csv(path: Path, rows: list[tuple[int, str]]) -> None:
    pd.DataFrame(rows, columns=["id", "name"]).to_csv(path, index=False)


def test_pin_revisions_status_load_and_diff_in_a_subfolder_project(sub_project: Path, git_project: Path) -> None:
    sub = sub_project
    repo = DataRepo.find()
    assert repo.root == sub.resolve() and repo.prefix == "ml/churn"
    # Given a pinned, committed and pushed file
    write_csv(sub / "data" / "t.csv", [(1, "a"), (2, "b")])
    v1 = mj.pin("data/t.csv", message="data v1", push=True)
    rev1 = sh(git_project, "git", "rev-parse", "HEAD")
    # Then it is clean, at the commit that changed its .dvc file (found through the subfolder)
    assert v1.state == "clean" and v1.committed and v1.pushed is True and v1.revision == rev1
    assert "ml/churn/data/t.csv.dvc" in sh(git_project, "git", "show", "--name-only", "--format=", "HEAD")
    assert not (git_project / ".dvc").exists()
    # When the data changes and is pinned again, the old revision still loads, verified
    write_csv(sub / "data" / "t.csv", [(1, "a"), (2, "B"), (3, "c")])
    v2 = mj.pin("data/t.csv", message="data v2")
    assert v2.revision != rev1 and v2.state == "not pushed"
    assert mj.load("data/t.csv", rev=rev1).to_dict("list") == {"id": [1, 2], "name": ["a", "b"]}
    d = mj.data_diff("data/t.csv", rev1, key="id")
    assert (d.rows_added, d.rows_removed, d.rows_changed) == (1, 0, 1)
    # And status tells committed from uncommitted and modified inside the subfolder
    write_csv(sub / "data" / "u.csv", [(9, "z")])
    mj.pin("data/u.csv")
    states = {r.path: (r.state, r.revision) for r in mj.data_status(check_remote=False).rows}
    assert states == {"data/t.csv": ("clean", v2.revision), "data/u.csv": ("not committed", None)}
    write_csv(sub / "data" / "t.csv", [(1, "changed")])
    assert {r.path: r.state for r in mj.data_status(check_remote=False).rows}["data/t.csv"] == "modified"


def test_paths_outside_the_subfolder_project_are_refused(sub_project: Path, git_project: Path) -> None:
    (git_project / "other.csv").write_text("a\n1\n")
    with pytest.raises(DataError, match="outside the repository"):
        mj.pin("../../other.csv")


def test_init_in_a_subfolder_project_uses_dvc_subdir(git_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sub = git_project / "team" / "proj"
    sub.mkdir(parents=True)
    (sub / "mlops.toml").write_text('experiment = "p"\n')
    (sub / "x.csv").write_text("a\n1\n")
    monkeypatch.chdir(sub)
    # Without DVC anywhere the error names both ways to set it up
    with pytest.raises(DataError, match="not a DVC repository") as err:
        mj.pin("x.csv")
    assert "--subdir" in (err.value.hint or "")
    # With --init, DVC is initialised in the project folder (mlops.toml's), not at the top
    pin = mj.pin("x.csv", init=True, message="first pin")
    assert pin.state == "clean" and pin.committed
    assert (sub / ".dvc").is_dir() and not (git_project / ".dvc").exists()
    assert "team/proj/.dvc/config" in sh(git_project, "git", "show", "--name-only", "--format=", "HEAD")
