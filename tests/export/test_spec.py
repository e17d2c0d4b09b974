"""Export without running: the job spec, its schema, YAML safety, odd notebooks."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

import mlops_jupyter as mj
from mlops_jupyter.errors import ExportError, JobError
from mlops_jupyter.export.ci import DVC_CMD, RUN_INSTALL, RUN_JOB, RUN_PULL
from mlops_jupyter.export.notebook import coerce, read_notebook
from mlops_jupyter.export.spec import load_spec, validate_spec
from tests.notebooks import make_notebook

HOSTILE = 'q"uo\'te \\back\nnew $(touch PWNED) `touch PWNED2` ${{ secrets.GITHUB_TOKEN }}'


def _params_cell(extra: str = "") -> tuple[str, list[str]]:
    return (f"alpha = 0.5\nepochs = 3\nlabel = {HOSTILE!r}\nflag = True\nmissing = float('nan')\nbig = float('-inf')\n{extra}",
            ["parameters"])


def test_export_writes_a_valid_job_folder(job_project: Path) -> None:
    make_notebook([_params_cell(), "print(alpha)"], job_project / "train.ipynb")
    res = mj.export_notebook(job_project / "train.ipynb", target="github")

    assert res.job_dir == job_project / "jobs" / "train"
    assert {"job.yaml", "notebook.ipynb", "requirements.lock", "dvc.yaml", "github-workflow.yml"} <= set(res.files)
    spec, _ = load_spec(res.job_dir)  # validates against the shipped schema
    assert spec["name"] == "train" and spec["mode"] == "notebook" and spec["root"] == "../.."
    assert spec["source"]["notebook"] == "train.ipynb"
    assert spec["source"]["git"]["commit"]
    assert spec["source"]["digest"].startswith("sha256:")
    params = spec["parameters"]
    assert params["alpha"] == {"type": "float", "default": 0.5}
    assert params["epochs"]["type"] == "int" and params["flag"]["type"] == "bool"
    assert params["label"]["default"] == HOSTILE  # exact round trip through YAML
    assert math.isnan(params["missing"]["default"]) and params["big"]["default"] == -math.inf
    assert spec["environment"]["packages"]["nbformat"]
    assert "nbformat==" in (res.job_dir / "requirements.lock").read_text()
    # no outputs or execution counts in the code the job runs
    code = json.loads((res.job_dir / "notebook.ipynb").read_text())
    assert all(c.get("execution_count") is None for c in code["cells"] if c["cell_type"] == "code")


def test_workflow_yaml_keeps_on_key_and_survives_round_trip(job_project: Path) -> None:
    make_notebook([_params_cell(), "print(alpha)"], job_project / "train.ipynb")
    res = mj.export_notebook(job_project / "train.ipynb", target="github", schedule="0 3 * * 1")
    text = (res.job_dir / "github-workflow.yml").read_text()
    wf = yaml.safe_load(text)
    assert "on" in wf and True not in wf  # PyYAML 1.1 would read a bare on: as True
    assert yaml.safe_load(yaml.safe_dump(wf)) == wf
    assert set(wf["on"]["workflow_dispatch"]["inputs"]) == {"alpha", "epochs", "label", "flag", "missing", "big"}
    assert wf["on"]["schedule"] == [{"cron": "0 3 * * 1"}]
    assert "defaults" not in wf["jobs"]["run"]  # a project at the top of its repository runs there
    spec = yaml.safe_load((res.job_dir / "job.yaml").read_text())
    assert yaml.safe_load(yaml.safe_dump(spec))["parameters"]["label"]["default"] == HOSTILE


@pytest.mark.parametrize("bad", ["every day", "0 3 * *", "0 3 * * 1; rm -rf /", "$(x) * * * *"])
def test_bad_schedule_refused(job_project: Path, bad: str) -> None:
    make_notebook(["x = 1"], job_project / "nb.ipynb")
    with pytest.raises(ExportError):
        mj.export_notebook(job_project / "nb.ipynb", schedule=bad)


def test_gitlab_and_dvc_stage(job_project: Path) -> None:
    make_notebook([_params_cell(), "print(alpha)"], job_project / "train.ipynb")
    res = mj.export_notebook(job_project / "train.ipynb", target="gitlab", mode="script")
    ci = yaml.safe_load((res.job_dir / "gitlab-ci.yml").read_text())
    job = ci["mlops-job-train"]
    assert job["script"] == [RUN_INSTALL, RUN_PULL, RUN_JOB]
    assert set(ci["variables"]) == {f"MLOPS_PARAM_{p}" for p in ("alpha", "epochs", "label", "flag", "missing", "big")}
    assert all(v["value"] == "" for v in ci["variables"].values())
    stage = yaml.safe_load((res.job_dir / "dvc.yaml").read_text())["stages"]["train"]
    assert stage["cmd"] == DVC_CMD
    assert "../../train.ipynb" in stage["deps"] and "job.py" in stage["deps"]


def test_schema_rejects_a_tampered_spec(job_project: Path) -> None:
    make_notebook(["x = 1"], job_project / "nb.ipynb")
    res = mj.export_notebook(job_project / "nb.ipynb")
    spec = yaml.safe_load((res.job_dir / "job.yaml").read_text())
    spec["parameters"]["x=1\nimport os"] = {"type": "int", "default": 1}
    with pytest.raises(JobError, match="parameters"):
        validate_spec(spec)
    spec = yaml.safe_load((res.job_dir / "job.yaml").read_text())
    spec["mode"] = "shell"
    with pytest.raises(JobError):
        validate_spec(spec)


def test_edited_job_code_is_refused(job_project: Path) -> None:
    make_notebook(["x = 1"], job_project / "nb.ipynb")
    res = mj.export_notebook(job_project / "nb.ipynb", mode="script")
    (res.job_dir / "job.py").write_text("import os; os.system('touch PWNED')\n")
    with pytest.raises(JobError, match="code digest"):
        mj.run_job(res.job_dir)
    assert not (job_project / "PWNED").exists()


def test_parameters_cell_must_hold_literals(job_project: Path) -> None:
    make_notebook([("alpha = compute()", ["parameters"])], job_project / "nb.ipynb")
    with pytest.raises(ExportError, match="not a literal"):
        mj.export_notebook(job_project / "nb.ipynb")


def test_invalid_json_is_a_clear_error(job_project: Path) -> None:
    (job_project / "broken.ipynb").write_text('{"cells": [')
    with pytest.raises(ExportError, match="not valid notebook JSON"):
        mj.export_notebook(job_project / "broken.ipynb")
    (job_project / "list.ipynb").write_text("[1, 2]")
    with pytest.raises(ExportError):
        mj.export_notebook(job_project / "list.ipynb")


def test_missing_and_duplicate_cell_ids_are_normalised(job_project: Path) -> None:
    nb = make_notebook(["a = 1", "b = 2", "c = 3"])
    raw = json.loads(json.dumps(nb))
    raw["cells"][0]["id"] = "same"
    raw["cells"][1]["id"] = "same"
    del raw["cells"][2]["id"]
    (job_project / "ids.ipynb").write_text(json.dumps(raw))
    info = read_notebook(job_project / "ids.ipynb")
    ids = [c["id"] for c in info.nb.cells]
    assert len(set(ids)) == 3 and ids[0] == "same"
    assert len(info.notes) == 2
    res = mj.export_notebook(job_project / "ids.ipynb")
    assert res.notes[:2] == info.notes


def test_out_of_order_cells_are_recorded(job_project: Path) -> None:
    nb = make_notebook(["x = 1", "print(x)", "x = 2"])
    for cell, count in zip(nb.cells, (1, 3, 2), strict=True):
        cell["execution_count"] = count
    import nbformat

    nbformat.write(nb, job_project / "ooo.ipynb")
    res = mj.export_notebook(job_project / "ooo.ipynb")
    [issue] = res.spec["source"]["out_of_order_cells"]
    assert issue["cell"] == 2 and issue["execution_count"] == 2 and issue["ran_after_count"] == 3


def test_hostile_notebook_name_is_sanitised(job_project: Path) -> None:
    name = 'evil"\n$(touch PWNED)`id`${{ github.token }}'
    make_notebook(["x = 1"], job_project / f"{name}.ipynb")
    res = mj.export_notebook(job_project / f"{name}.ipynb")
    assert res.job_dir.parent == job_project / "jobs"
    assert all(ch.isalnum() or ch in "_.-" for ch in res.name)
    spec, _ = load_spec(res.job_dir)
    assert spec["source"]["notebook"] == f"{name}.ipynb"  # kept exactly, as data


@pytest.mark.parametrize(
    ("type_name", "text", "expected"),
    [("int", "7", 7), ("float", "nan", math.nan), ("float", "-inf", -math.inf), ("float", "2", 2.0),
     ("bool", "false", False), ("str", HOSTILE, HOSTILE), ("list", "[1, 2]", [1, 2]), ("dict", '{"a": 1}', {"a": 1})],
)
def test_parameter_coercion(type_name: str, text: str, expected: object) -> None:
    got = coerce("p", type_name, text)
    if isinstance(expected, float) and math.isnan(expected):
        assert isinstance(got, float) and math.isnan(got)
    else:
        assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(("type_name", "value"), [("int", "1.5"), ("int", True), ("bool", "maybe"), ("float", "abc"), ("list", "{")])
def test_parameter_type_errors(type_name: str, value: object) -> None:
    with pytest.raises(ValueError, match="expects"):
        coerce("p", type_name, value)


def test_old_rehearsal_folders_are_pruned(tmp_path: Path) -> None:
    import os

    from mlops_jupyter.export.rehearsal import _prune

    for i in range(5):
        (tmp_path / f"nb.{i}").mkdir()
        os.utime(tmp_path / f"nb.{i}", (i, i))
    (tmp_path / "other.1").mkdir()
    _prune(tmp_path, "nb.", keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nb.3", "nb.4", "other.1"]


@pytest.mark.parametrize(
    ("value", "same"),
    [("/w/proj/train.ipynb", True), ("/w/other/train.ipynb", False), ("train.ipynb", True),
     ("proj/train.ipynb", True), ("proj/xtrain.ipynb", False), ("/w/proj/train.ipynb.bak", False)],
)
def test_source_run_matches_only_this_notebook(value: str, same: bool) -> None:
    from mlops_jupyter.export.spec import same_notebook

    assert same_notebook(value, "/w/proj/train.ipynb", "train.ipynb") is same
