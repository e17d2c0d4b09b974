"""The CLI shell around the core: exit codes, one-line errors, env and doctor."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_jupyter.cli import main


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("mlops-jupyter")
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_env_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "mlops.toml").write_text('[env.dev]\ntracking_uri = "postgresql://u:pw@db/x"\n')
    assert main(["env", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["profile"]["name"] == "dev"
    assert data["profile"]["tracking_uri"] == "postgresql://u:***@db/x"  # never the secret
    assert data["kernel"] == "headless"


def test_unknown_env_exits_2_with_one_line(project: Path) -> None:
    res = cli("--env", "nope", "env", cwd=project)
    assert res.returncode == 2
    assert res.stderr.splitlines()[0] == "UnknownEnvironment: no environment profile 'nope'"
    assert "Traceback" not in res.stderr


def test_usage_error_exits_2(project: Path) -> None:
    res = cli("no-such-command", cwd=project)
    assert res.returncode == 2
    assert "invalid choice" in res.stderr


def test_doctor_reports_and_exit_code(git_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    by_name = {c["name"]: c for c in report["checks"]}
    assert by_name["git"]["status"] == "ok"
    assert by_name["dvc"]["status"] == "warn" and "dvc init" in by_name["dvc"]["fix"]
    assert by_name["tracking store"]["status"] == "ok"


def test_doctor_finds_dvc_of_a_project_in_a_repository_folder(git_project: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    sub = git_project / "ml" / "churn"
    sub.mkdir(parents=True)
    (sub / "mlops.toml").write_text('experiment = "churn"\n')
    monkeypatch.chdir(sub)
    main(["doctor", "--json"])
    dvc = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}["dvc"]
    assert dvc["status"] == "warn" and dvc["fix"].endswith("dvc init --subdir")
    (git_project / ".dvc").mkdir()  # DVC at the top of the repository serves the folder too
    main(["doctor", "--json"])
    dvc = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}["dvc"]
    assert dvc["status"] == "ok" and dvc["detail"].endswith(str(git_project.resolve()))


def test_doctor_fails_on_unreachable_server(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "mlops.toml").write_text('[env.dev]\ntracking_uri = "http://127.0.0.1:9"\n')
    assert main(["doctor"]) == 2
    out = capsys.readouterr().out
    assert "unreachable" in out and "FAIL" in out


def test_doctor_reports_config_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "mlops.toml").write_text("default_env = 3\n")
    assert main(["doctor", "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["checks"][0]["name"] == "config" and report["checks"][0]["status"] == "fail"
