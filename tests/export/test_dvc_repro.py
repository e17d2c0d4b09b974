"""`dvc repro` of an exported job from the project root (the job's dvc.yaml path as target)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import mlops_jupyter as mj
from mlops_jupyter.errors import JobError
from mlops_jupyter.export.ci import DVC_CMD
from mlops_jupyter.export.install import install_if_needed
from tests.conftest import env_without_overrides, git, make_dvc_project
from tests.notebooks import make_notebook

pytestmark = pytest.mark.slow
TOML = 'experiment = "r"\ndefault_env = "dev"\n[env.dev]\ntracking_uri = "sqlite:///.mlops/mlflow.db"\n'
WORKTREE = Path(__file__).resolve().parents[2]


def test_dvc_repro_from_the_root_runs_the_job_stage(git_project: Path) -> None:
    # Given an exported job committed in a DVC project
    root = make_dvc_project(git_project, toml=TOML)
    (root / ".gitignore").write_text(".mlops/\njobs/*/out/\n")  # as a project keeps job outputs out of git
    make_notebook(["open('ran.txt', 'w').write('yes')"], root / "nb.ipynb")
    res = mj.export_notebook(root / "nb.ipynb", mode="script", target="generic")
    stage = yaml.safe_load((res.job_dir / "dvc.yaml").read_text())["stages"]["nb"]
    assert stage["cmd"] == DVC_CMD and "../../nb.ipynb" in stage["deps"]
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "job")
    # When `dvc repro` runs from the project root with the job's dvc.yaml as target
    env = {**env_without_overrides(), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "PYTHONPATH": str(WORKTREE)}
    proc = subprocess.run([str(Path(sys.executable).with_name("dvc")), "repro", "jobs/nb/dvc.yaml"], cwd=root,
                          env=env, capture_output=True, text=True, timeout=600)
    # Then the stage ran the job (this environment already is the job's: nothing installed)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (root / "ran.txt").read_text() == "yes"
    report = json.loads((res.job_dir / "out" / "report.json").read_text())
    assert report["ok"] is True


def test_install_refuses_to_overwrite_a_development_checkout(git_project: Path) -> None:
    # Given a job exported by another build of mlops_jupyter, run from this checkout
    make_notebook(["x = 1"], git_project / "nb.ipynb")
    res = mj.export_notebook(git_project / "nb.ipynb", mode="script")
    spec_path = res.job_dir / "job.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["tool"]["digest"] = "sha256:" + "1" * 64
    spec_path.write_text(yaml.safe_dump(spec))
    # When `run --install` would install the job's wheel, Then it refuses, saying where to run it
    with pytest.raises(JobError, match="runs mlops_jupyter from a checkout") as err:
        install_if_needed(res.job_dir)
    assert "python -m venv .venv-job" in (err.value.hint or "")
