"""Set-up traps of a first project (real git + DVC repos, the real CLI in a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import mlops_jupyter as mj
from mlops_jupyter.cli import main
from tests.conftest import DVC, git
from tests.integration.servers import use_store_template

README_TOML = '[env.dev]\ndvc_remote = "local"\n'


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("mlops-jupyter")
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, timeout=180)


def _dvc_only_init(root: Path) -> None:
    """What the README's reader does: `dvc init`, a mlops.toml with dvc_remote = "local"."""
    subprocess.run([DVC, "init", "-q"], cwd=root, check=True, capture_output=True)
    (root / "mlops.toml").write_text(README_TOML)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "dvc init")
    (root / "data").mkdir()
    (root / "data" / "d.csv").write_text("a,b\n1,2\n")


def test_pin_m_with_an_unconfigured_remote_changes_nothing(git_project: Path) -> None:
    _dvc_only_init(git_project)
    head = git(git_project, "rev-parse", "HEAD")
    res = cli("data", "pin", "data/d.csv", "-m", "pin d", cwd=git_project)
    assert res.returncode == 2
    first = res.stderr.splitlines()[0]
    assert "dvc_remote = 'local'" in first and "mlops.toml" in first and "not configured" in first
    assert "dvc remote add local" in res.stderr and "remove dvc_remote from [env.dev]" in res.stderr
    # checked before anything changed: no commit, no .dvc file, nothing staged
    assert git(git_project, "rev-parse", "HEAD") == head
    assert not (git_project / "data" / "d.csv.dvc").exists()
    assert git(git_project, "diff", "--cached", "--name-only") == ""
    # once the remote exists the same command works
    (git_project.parent / "store").mkdir()
    subprocess.run([DVC, "remote", "add", "local", str(git_project.parent / "store")], cwd=git_project, check=True)
    res = cli("data", "pin", "data/d.csv", "-m", "pin d", cwd=git_project)
    assert res.returncode == 0, res.stderr
    assert git(git_project, "log", "-1", "--format=%s") == "pin d"


def test_doctor_checks_the_configured_dvc_remote(git_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _dvc_only_init(git_project)

    def remote_check() -> dict[str, str]:
        code = main(["doctor", "--json"])
        checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
        checks["dvc remote"]["code"] = str(code)
        return checks["dvc remote"]

    check = remote_check()
    assert check["status"] == "fail" and check["code"] == "2"
    assert "'local'" in check["detail"] and "dvc_remote of profile 'dev'" in check["detail"]
    assert "dvc remote add local" in check["fix"]
    # configured, pointing at a folder whose parent is missing: not reachable
    subprocess.run([DVC, "remote", "add", "local", "/nonexistent/a/b"], cwd=git_project, check=True)
    check = remote_check()
    assert check["status"] == "fail" and "/nonexistent/a/b" in check["detail"]
    subprocess.run([DVC, "remote", "modify", "local", "url", str(git_project.parent / "store")], cwd=git_project, check=True)
    check = remote_check()
    assert check["status"] == "ok" and check["code"] == "0" and "created on first push" in check["detail"]


def test_state_folder_is_git_ignored_on_first_use(git_project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    use_store_template(git_project, tmp_path_factory.getbasetemp())  # .mlops/ exists, no .gitignore yet
    with mj.track(name="first"):
        mj.log(acc=1.0)
    assert (git_project / ".mlops" / ".gitignore").read_text().splitlines()[-1] == "*"
    git(git_project, "add", "-A")
    staged = git(git_project, "diff", "--cached", "--name-only").split()
    assert not [p for p in staged if p.startswith(".mlops")]
    assert (git_project / ".mlops" / "mlflow.db").is_file()


def test_state_folder_of_data_pins_is_git_ignored(git_project: Path) -> None:
    _dvc_only_init(git_project)
    (git_project / "mlops.toml").write_text("")
    mj.pin("data/d.csv")
    assert (git_project / ".mlops" / "data" / "state.db").is_file()
    git(git_project, "add", "-A")
    staged = git(git_project, "diff", "--cached", "--name-only").split()
    assert "data/d.csv.dvc" in staged and not [p for p in staged if p.startswith(".mlops")]



@pytest.mark.slow
def test_nbconvert_names_the_job_folder_it_writes(git_project: Path) -> None:
    from tests.notebooks import make_notebook

    make_notebook([("n = 1", ["parameters"]), "print(n)"], git_project / "train.ipynb")
    jupyter = Path(sys.executable).with_name("jupyter")
    proc = subprocess.run([str(jupyter), "nbconvert", "--to", "mlops_job", "train.ipynb"],
                          cwd=git_project, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert "train_files" not in proc.stderr and not (git_project / "train_files").exists()
    assert "Support files will be in jobs/train/" in proc.stderr
    assert (git_project / "jobs" / "train" / "job.yaml").is_file()


def test_demo_system_deps_install_no_browser_and_no_database(tmp_path: Path) -> None:
    # a machine with none of the tools: record what apt-get would be asked to install
    stub = tmp_path / "bin"
    stub.mkdir()
    for tool in ("ls", "id", "cat"):
        (stub / tool).symlink_to(subprocess.run(["bash", "-c", f"command -v {tool}"], capture_output=True, text=True).stdout.strip())
    log = tmp_path / "apt.log"
    (stub / "apt-get").write_text(f'#!/bin/bash\necho "$@" >> {log}\n')
    (stub / "apt-get").chmod(0o755)
    script = Path(__file__).resolve().parents[2] / ".ci" / "system-deps.sh"

    def asked(target: str) -> str:
        log.write_text("")
        env = {"PATH": str(stub), "HOME": str(tmp_path)}
        proc = subprocess.run(["/bin/bash", str(script), target], env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return log.read_text()

    demo = asked("demo")
    assert "git" in demo and "nodejs" in demo
    assert "chromium" not in demo and "postgresql" not in demo
    test = asked("test")
    assert "git" in test and ("postgresql" in test or Path("/usr/lib/postgresql").is_dir())
    proc = subprocess.run(["/bin/bash", str(script), "bogus"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "usage" in proc.stderr
