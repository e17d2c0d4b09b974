"""Rehearsal of out-of-order notebooks; the nbconvert exporter by name and by route."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml

import mlops_jupyter as mj
from mlops_jupyter.errors import GateFailed
from mlops_jupyter.session import session
from tests.notebooks import make_notebook

VENV_BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"


@pytest.mark.slow
def test_rehearsal_catches_out_of_order_result(job_project: Path, ip: Any) -> None:
    # Given a notebook whose logged score came from running cell 2 before cell 1
    cells = ["x = 1", "import mlops_jupyter as mj\nmj.start_run()\nmj.log(score=x)\nmj.end_run()", "x = 2"]
    nb = make_notebook(cells)
    session.set_notebook(str(job_project / "ooo.ipynb"))
    for order, index in enumerate((0, 2, 1), start=1):
        assert ip.run_cell(cells[index]).success  # type: ignore[attr-defined]
        nb.cells[index]["execution_count"] = order
    nbformat.write(nb, job_project / "ooo.ipynb")
    session.notebook_path = None
    # When it is rehearsed in a fresh kernel
    report = mj.rehearse(job_project / "ooo.ipynb")
    # Then the report shows the metric side by side, and the cell that ran out of order
    assert not report.reproduced
    [row] = [m for m in report.metrics if m["metric"] == "score"]
    assert row["source"] == 2.0 and row["job"] == 1.0 and row["ok"] is False
    assert [o["cell"] for o in report.out_of_order] == [2]
    text = str(report)
    assert "NOT reproduced" in text and "out of order" in text and repr(report) == text
    assert "<table" in report._repr_html_()
    # and strict mode fails, naming the cause (the export surfaces' --rehearse; imported here,
    # not at the top: importing the submodule first would shadow the function mj.rehearse)
    from mlops_jupyter.export.rehearsal import rehearse_export

    with pytest.raises(GateFailed) as err:
        exported = mj.export_notebook(job_project / "ooo.ipynb", mode="script")
        rehearse_export(exported, job_project / "ooo.ipynb", strict=True)
    assert "out of order" in (err.value.hint or "")


def test_exporter_found_by_name() -> None:
    from nbconvert.exporters import get_export_names, get_exporter

    from mlops_jupyter.export.nbconvert import MlopsJobExporter

    assert get_exporter("mlops_job") is MlopsJobExporter
    assert "mlops_job" in get_export_names()


def test_exporter_from_notebook_node_gives_job_and_files(job_project: Path) -> None:
    from nbconvert.exporters import get_exporter

    nb = make_notebook([("n = 1", ["parameters"]), "print(n)"])
    exporter = get_exporter("mlops_job")(target="gitlab")
    output, resources = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": "train", "path": str(job_project)}})
    spec = yaml.safe_load(output)
    assert spec["name"] == "train" and spec["target"] == "gitlab"
    assert set(resources["outputs"]) >= {"jobs/train/job.yaml", "jobs/train/notebook.ipynb", "jobs/train/gitlab-ci.yml", "jobs/train/dvc.yaml"}
    assert resources["unique_key"] == "jobs/train/job"


@pytest.mark.slow
def test_jupyter_nbconvert_cli_writes_the_job_folder(job_project: Path) -> None:
    make_notebook([("n = 1", ["parameters"]), "print(n)"], job_project / "train.ipynb")
    proc = subprocess.run([str(VENV_BIN / "jupyter"), "nbconvert", "--to", "mlops_job", "train.ipynb"],
                          cwd=job_project, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    job = job_project / "jobs" / "train"
    assert (job / "job.yaml").is_file() and (job / "github-workflow.yml").is_file()
    result = mj.run_job(job)
    assert result.exit_code == 0, str(result)


@pytest.mark.slow
def test_rehearsal_names_the_unseeded_call_and_marks_a_tolerance_pass_unreliable(job_project: Path, ip: Any) -> None:
    # Given a tracked notebook whose score depends (a little) on an unseeded generator
    cells = ["import numpy as np\nimport mlops_jupyter as mj",
             "rng = np.random.default_rng()\nscore = 0.9 + rng.normal() * 1e-7",
             "mj.start_run()\nmj.log(score=score)\nmj.end_run()"]
    nb = make_notebook(cells)
    session.set_notebook(str(job_project / "noisy.ipynb"))
    for n, cell in enumerate(cells, start=1):
        assert ip.run_cell(cell).success  # type: ignore[attr-defined]
        nb.cells[n - 1]["execution_count"] = n
    nbformat.write(nb, job_project / "noisy.ipynb")
    session.notebook_path = None
    # When it is rehearsed
    report = mj.rehearse(job_project / "noisy.ipynb", mode="script")
    # Then the report names the unseeded call, with its cell and line
    [cause] = [c for c in report.causes if c["kind"] == "unseeded"]
    assert (cause["cell"], cause["line"], cause["call"]) == (1, 1, "np.random.default_rng()")
    text = str(report)
    assert "unseeded: cell 1 line 1: np.random.default_rng()" in text
    # and the metric that matched only within tolerance is marked unreliable
    assert report.reproduced and report.unreliable == ["score"]
    assert "ok (unreliable)" in text and "unreliable: score" in text
    assert report.to_dict()["causes"][0]["call"] == "np.random.default_rng()"


@pytest.mark.slow
def test_nbconvert_and_cli_read_the_export_config_and_write_the_same_folder(job_project: Path) -> None:
    import shutil

    # Given [export] defaults in mlops.toml (target, mode, folder, schedule, gates)
    with (job_project / "mlops.toml").open("a") as fh:
        fh.write('[export]\ntarget = "gitlab"\nmode = "script"\nout_dir = "pipelines"\n'
                 'schedule = "0 3 * * 1"\nthresholds = { n = ">= 1" }\n')
    make_notebook([("n = 1", ["parameters"]), "print(n)"], job_project / "train.ipynb")
    # When the CLI exports it, and then nbconvert does
    cli = subprocess.run([str(VENV_BIN / "mlops-jupyter"), "export", "train.ipynb"], cwd=job_project,
                         capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0, cli.stderr
    job = job_project / "pipelines" / "train"
    by_cli = {p.relative_to(job): p.read_bytes() for p in job.rglob("*") if p.is_file()}
    shutil.rmtree(job)
    nbc = subprocess.run([str(VENV_BIN / "jupyter"), "nbconvert", "--to", "mlops_job", "train.ipynb"],
                         cwd=job_project, capture_output=True, text=True, timeout=300)
    assert nbc.returncode == 0, nbc.stderr
    by_nbconvert = {p.relative_to(job): p.read_bytes() for p in job.rglob("*") if p.is_file()}
    # Then both honoured the config: the same files, byte for byte (but the export time)
    assert set(by_cli) == set(by_nbconvert) and Path("gitlab-ci.yml") in by_cli and Path("job.py") in by_cli
    assert any(p.suffix == ".whl" for p in by_cli)
    for rel in by_cli:
        if rel.name == "job.yaml":
            a, b = (yaml.safe_load(x) for x in (by_cli[rel], by_nbconvert[rel]))
            a["source"].pop("exported_at"), b["source"].pop("exported_at")
            assert a == b and a["schedule"] == "0 3 * * 1" and a["gates"]["metrics"][0]["metric"] == "n"
        else:
            assert by_cli[rel] == by_nbconvert[rel], rel
    # and nbconvert told the same warnings as the CLI (no tracked source run here)
    assert "no finished run of this notebook" in cli.stdout and "no finished run of this notebook" in nbc.stderr


@pytest.mark.slow
def test_cli_export_rehearse_strict_exports_first_then_fails_on_nothing_to_compare(
        job_project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # export --rehearse = export_notebook, then rehearse_export on the job it wrote
    from mlops_jupyter.cli import main

    make_notebook([("n = 1", ["parameters"]), "print(n)"], job_project / "reh.ipynb")
    monkeypatch.chdir(job_project)
    code = main(["export", "reh.ipynb", "--mode", "script", "--rehearse", "--strict"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and err[0].startswith("GateFailed: ")
    assert (job_project / "jobs" / "reh" / "job.yaml").is_file()
    assert (job_project / "jobs" / "reh" / "out" / "report.json").is_file()  # the rehearsal ran the exported job
