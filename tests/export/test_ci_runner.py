"""The proof of principle 3: an exported job passes on a clean CI runner.

A project with a DVC-pinned CSV and a tracked notebook is exported (GitHub and GitLab),
committed and cloned afresh; a fresh venv (``python -m venv``, no system site packages,
no PYTHONPATH: the only mlops_jupyter it can get is the one the job carries) plays the
runner. The generated workflow's own ``run:`` steps and the GitLab file's ``script:``
lines run in order in bash, with their ``env:`` / ``variables:``; a local-folder DVC remote
stands in for object storage. The job passes; with the remote's copy of the data
tampered with (same size, other bytes), the job fails and says which file.

Bounded: the notebook is tiny and one venv serves the runs (the later installs find
everything in place). pip installs from this machine's configured index with the machine's
pip cache (as a runner's cache step would); byte-compilation is off (PIP_NO_COMPILE).
Measured on a 2-core machine under a load of 11: the GitHub steps (install of ~200 pinned
distributions + dvc pull + run) took 1055 s, the whole test about 23 min; the install's
own CPU time is about 2.5 min, so an idle CI machine needs a few minutes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

import mlops_jupyter as mj
from tests.conftest import git
from tests.notebooks import make_notebook

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

DVC = str(Path(sys.executable).with_name("dvc"))
TOML = """experiment = "ci"
default_env = "dev"
[env.dev]
tracking_uri = "sqlite:///.mlops/mlflow.db"
"""
NOTEBOOK = [
    ("scale = 1.0", ["parameters"]),
    "import pandas as pd\nimport mlops_jupyter as mj\n\ndf = pd.read_csv('data/values.csv')",
    "mj.start_run()\nmj.log(total=float(df['x'].sum()) * scale)\nmj.end_run()",
]


def _dvc(root: Path, *args: str) -> None:
    subprocess.run([DVC, *args], cwd=root, check=True, capture_output=True, text=True)


def _runner_env(home: Path, venv: Path) -> dict[str, str]:
    """A runner's environment: the venv first on PATH, no PYTHONPATH, this machine's pip index."""
    env = {k: v for k, v in os.environ.items() if k.startswith("PIP_")}
    env.update({
        "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "VIRTUAL_ENV": str(venv),
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": os.environ.get("GIT_CONFIG_GLOBAL", ""),
        "DVC_NO_ANALYTICS": "1",
        "PIP_NO_COMPILE": "1",
        # the machine's pip cache (a runner's cache action): downloads are reused across runs
        "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip"),
        "PIP_PROGRESS_BAR": "off",
        "CI": "true",
        "LANG": "C.UTF-8",
    })
    return env


def _github_steps(workflow: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    job = workflow["jobs"]["run"]
    # workflow_dispatch inputs left empty: GitHub substitutes "" for ${{ inputs.X }}
    env = {k: re.sub(r"\$\{\{\s*inputs\.\w+\s*\}\}", "", str(v)) for k, v in job["env"].items()}
    uses = [s["uses"] for s in job["steps"] if "uses" in s]
    assert uses[:2] == ["actions/checkout@v4", "actions/setup-python@v5"]  # played by clone + venv
    return [s["run"] for s in job["steps"] if "run" in s], env


def _gitlab_steps(ci: dict[str, Any], name: str) -> tuple[list[str], dict[str, str]]:
    job = ci[f"mlops-job-{name}"]
    variables = {k: str(v["value"] if isinstance(v, dict) else v) for k, v in ci.get("variables", {}).items()}
    variables.update({k: str(v) for k, v in job["variables"].items()})
    return list(job["script"]), variables


def _run_steps(steps: list[str], step_env: dict[str, str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Each step in bash (as the runners do: -e, stop at the first failure); (exit, output)."""
    out = []
    for step in steps:
        proc = subprocess.run(["bash", "-e", "-c", step], cwd=cwd, env={**env, **step_env},
                              capture_output=True, text=True, timeout=1500)
        out.append(f"$ {step}\n{proc.stdout}{proc.stderr}")
        if proc.returncode != 0:
            return proc.returncode, "\n".join(out)
    return 0, "\n".join(out)


@pytest.fixture
def origin(git_project: Path, tmp_path: Path) -> Path:
    """A committed project: pinned CSV pushed to a local-folder remote, a tracked source
    run, and the notebook exported for GitHub (jobs/tiny) and GitLab (jobs/tiny_gl)."""
    root = git_project
    (root / "mlops.toml").write_text(TOML)
    (root / ".gitignore").write_text(".mlops/\njobs/*/out/\n")
    _dvc(root, "init", "-q")
    _dvc(root, "remote", "add", "-d", "storage", str(tmp_path / "storage"))
    (root / "data").mkdir()
    (root / "data" / "values.csv").write_text("x\n1\n2\n3\n4\n")
    mj.pin("data/values.csv", push=True, message="pin values")
    make_notebook(NOTEBOOK, root / "tiny.ipynb")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "notebook")
    gh = mj.export_notebook(root / "tiny.ipynb", target="github")
    gl = mj.export_notebook(root / "tiny.ipynb", target="gitlab", name="tiny_gl")
    # what a hosted runner could not do is said at export
    assert any("local folder" in w for w in gh.warnings), gh.warnings
    assert gh.spec["tool"]["source"] == "wheel" and (gh.job_dir / gh.spec["tool"]["wheel"]).is_file()
    lock = (gh.job_dir / "requirements.lock").read_text()
    assert "jupyterlab==" not in lock and "pytest==" not in lock and "pandas==" in lock
    assert gl.spec["tool"] == gh.spec["tool"]
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "export jobs")
    return root


def test_exported_job_passes_on_a_fresh_runner_and_fails_on_tampered_data(origin: Path, tmp_path: Path) -> None:
    home = tmp_path / "runner-home"
    home.mkdir()
    venv = tmp_path / "runner-venv"
    base_python = getattr(sys, "_base_executable", None) or shutil.which("python3") or "python3"
    subprocess.run([base_python, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
    env = _runner_env(home, venv)

    # Given a fresh clone and a fresh venv, When the GitHub workflow's run: steps run in order
    clone = tmp_path / "clone-github"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    workflow = yaml.safe_load((clone / "jobs" / "tiny" / "github-workflow.yml").read_text())
    steps, step_env = _github_steps(workflow)
    started = time.time()
    code, output = _run_steps(steps, step_env, clone, env)
    install_and_run = time.time() - started
    # Then the job passes, run by the mlops_jupyter it carried (not this checkout's)
    assert code == 0, output[-4000:]
    assert "job 'tiny' OK (exit 0)" in output, output[-3000:]
    print(f"\nfresh runner, GitHub steps (install + pull + run): {install_and_run:.0f} s")
    shown = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import mlops_jupyter, importlib.metadata as m; print(mlops_jupyter.__file__);"
                            "print(m.version('mlops_jupyter'))"], env=env, capture_output=True, text=True)
    assert str(venv) in shown.stdout and "+sha." in shown.stdout, shown.stdout + shown.stderr
    for ui_only in ("jupyterlab", "pytest", "playwright", "mypy", "ruff"):
        probe = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "show", "-q", ui_only], env=env,
                               capture_output=True, text=True)
        assert probe.returncode != 0, f"{ui_only} was installed on the runner"

    # When dvc repro runs the job's stage from the root of the clone (its dvc.yaml as target),
    # Then the stage's own install finds the environment in place and the job passes again
    proc = subprocess.run(["bash", "-c", "dvc repro jobs/tiny/dvc.yaml"], cwd=clone, env={**env, **step_env},
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert "job 'tiny' OK (exit 0)" in proc.stdout, proc.stdout[-3000:]

    # When the GitLab file's script runs in another fresh clone, Then it passes too
    clone_gl = tmp_path / "clone-gitlab"
    git(tmp_path, "clone", "-q", str(origin), str(clone_gl))
    ci = yaml.safe_load((clone_gl / "jobs" / "tiny_gl" / "gitlab-ci.yml").read_text())
    steps, variables = _gitlab_steps(ci, "tiny_gl")
    code, output = _run_steps(steps, variables, clone_gl, env)
    assert code == 0, output[-4000:]
    assert "job 'tiny_gl' OK (exit 0)" in output, output[-3000:]

    # When the object storage's copy of the data was tampered with (same size)
    objects = [p for p in (tmp_path / "storage").rglob("*") if p.is_file()]
    [obj] = objects
    obj.chmod(0o644)
    obj.write_text("x\n1\n2\n3\n5\n")
    clone_bad = tmp_path / "clone-tampered"
    git(tmp_path, "clone", "-q", str(origin), str(clone_bad))
    steps, variables = _gitlab_steps(ci, "tiny_gl")
    code, output = _run_steps(steps, variables, clone_bad, env)
    # Then the pipeline fails, naming the file that does not match its pin
    assert code != 0, output[-3000:]
    last = output.strip().splitlines()[-3:]
    assert any("data/values.csv" in line for line in last), output[-3000:]
