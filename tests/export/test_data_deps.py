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
    # a terminal (IPython's text/plain) shows the readable reports, not dataclass dumps
    assert repr(res) == str(res) and repr(res).startswith("job 'nb' exported to ")
    assert repr(result) == str(result) and repr(result).startswith("job 'nb' OK (exit 0)")
    # the magics ran as API calls under plain python: a verified load, a drift check
    assert (job_project / "seen.txt").read_text() == "2 False"
    assert any(g.kind == "check" and g.name.startswith("drift:") for g in result.gates)
    # When the file is corrupted with the same size, Then the job refuses before running
    csv.write_text("a,b\n1,2\n3,5\n")
    with pytest.raises(DataIntegrityError, match="does not match its pin") as err:
        mj.run_job(res.job_dir)
    assert err.value.exit_code == 1


def test_project_in_a_monorepo_folder_exports_and_runs(job_project: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    from mlops_jupyter.export.ci import RUN_CD, RUN_INSTALL, RUN_JOB, RUN_PULL

    # Given a project in ml/churn of a bigger repository, DVC initialised with --subdir
    sub = job_project / "ml" / "churn"
    (sub / "data").mkdir(parents=True)
    (sub / "mlops.toml").write_text((job_project / "mlops.toml").read_text())
    monkeypatch.chdir(sub)
    _dvc(sub, "init", "-q", "--subdir")
    _dvc(sub, "remote", "add", "-d", "local", str(tmp_path / "remote"))
    (sub / "data" / "train.csv").write_text("a,b\n1,2\n3,4\n")
    pin = mj.pin("data/train.csv", push=True, message="pin train")
    make_notebook(["%load_ext mlops_jupyter", "%mlops_data load data/train.csv --as df",
                   "open('seen.txt', 'w').write(str(len(df)))"], sub / "nb.ipynb")
    # When it is exported for GitHub and for GitLab
    gh = mj.export_notebook(sub / "nb.ipynb", mode="script", target="github")
    gl = mj.export_notebook(sub / "nb.ipynb", mode="script", target="gitlab", out=sub / "jobs" / "nb-gitlab")
    # Then the job records the pinned data relative to the project, at the pinning commit
    [dep] = gh.spec["data"]
    assert dep["path"] == "data/train.csv" and dep["md5"] == pin.md5 and pin.committed
    # And the CI steps run in the project's folder, where `dvc pull` finds the --subdir repo
    wf = yaml.safe_load((gh.job_dir / "github-workflow.yml").read_text())["jobs"]["run"]
    assert wf["defaults"] == {"run": {"working-directory": "ml/churn"}}
    assert wf["env"]["MLOPS_JOB_DIR"] == "jobs/nb"
    assert wf["steps"][-1]["with"]["path"] == "ml/churn/jobs/nb/out/"  # artifact paths start at the top
    job = yaml.safe_load((gl.job_dir / "gitlab-ci.yml").read_text())["mlops-job-nb"]
    assert job["variables"]["MLOPS_PROJECT_DIR"] == "ml/churn"
    assert job["script"] == [RUN_CD, RUN_INSTALL, RUN_PULL, RUN_JOB]
    assert job["artifacts"]["paths"] == ["ml/churn/jobs/nb-gitlab/out/"]
    # And the job runs: the missing data is pulled from the remote and verified
    (sub / "data" / "train.csv").unlink()
    result = mj.run_job(gh.job_dir)
    assert result.exit_code == 0, str(result)
    assert result.data == [{"path": "data/train.csv", "md5": pin.md5, "status": "verified", "fetched": True}]
    assert (sub / "seen.txt").read_text() == "2"


def test_folder_names_that_would_inject_into_ci_files_are_refused(job_project: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from mlops_jupyter.errors import ExportError

    sub = job_project / "${{ secrets.TOKEN }}"
    sub.mkdir()
    (sub / "mlops.toml").write_text((job_project / "mlops.toml").read_text())
    monkeypatch.chdir(sub)
    make_notebook(["x = 1"], sub / "nb.ipynb")
    with pytest.raises(ExportError, match="cannot be written into a CI file safely"):
        mj.export_notebook(sub / "nb.ipynb", target="github")
    assert mj.export_notebook(sub / "nb.ipynb", target="generic").job_dir.is_dir()  # no CI file, no risk
