"""``--mode script``: magics become API calls; the script runs under plain python."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import ExportError
from mlops_jupyter.export.notebook import read_notebook
from mlops_jupyter.export.script import collect_exports, notebook_to_script
from tests.notebooks import make_notebook


def _script(cells: list[str | tuple[str, list[str]]], tmp_path: Path) -> str:
    make_notebook(cells, tmp_path / "nb.ipynb")
    return notebook_to_script(read_notebook(tmp_path / "nb.ipynb"))


def test_every_topic_magic_has_a_script_export() -> None:
    exports = collect_exports()
    for name in ("mlops_track", "mlops_env", "mlops_export"):
        assert name in exports
    # topics that landed their magics must have exported them too
    import importlib.util

    for module, magic in (("mlops_jupyter.magics.data", "mlops_data"), ("mlops_jupyter.magics.validate", "validate"),
                          ("mlops_jupyter.magics.drift", "drift")):
        if importlib.util.find_spec(module) is not None:
            assert magic in exports


def test_ipython_syntax_is_translated(tmp_path: Path) -> None:
    script = _script([
        "%matplotlib inline\n%load_ext mlops_jupyter\n%pip install requests",
        "%%time\ny = 1\nprint(y)",
        "files = !ls\n!echo {y}\nz = %time len('abc')",
        "%env MY_VAR=1\nif True:\n    %mlops_track log acc=0.5\n",
    ], tmp_path)
    compile(script, "job.py", "exec")
    assert "get_ipython" not in script
    assert "# %matplotlib inline" in script and "dropped: the job installs the pinned environment" in script
    assert "files = (_mj_getoutput(" in script and "_mj_system(_mj_expand('echo {y}'" in script
    assert "z = (len('abc'))" in script
    assert "__import__('os').environ['MY_VAR'] = '1'" in script
    assert "    mj.log({'acc': 0.5})" in script


def test_unknown_magic_names_the_cell(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"cell 1 .*%%R.*") as err:
        _script(["x = 1", "%%R\nprint(1)"], tmp_path)
    assert "--mode notebook" in (err.value.hint or "")
    with pytest.raises(ExportError, match="cell 0"):
        _script(["%who_knows x"], tmp_path)
    with pytest.raises(ExportError, match="get_ipython"):
        _script(["get_ipython().user_ns['x'] = 1"], tmp_path)


def test_bad_magic_arguments_fail_at_export(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="cell 0"):
        _script(["%mlops_track frobnicate"], tmp_path)


HOSTILE = 'q"uo\'te \\back\nnew $(touch PWNED) `touch PWNED2` ${{ secrets.X }}'


def test_script_runs_under_plain_python_with_tracking(job_project: Path) -> None:
    # Given a notebook that tracks with the magics, uses a shell escape and parameters
    make_notebook([
        ("alpha = 0.5\nlabel = 'x'\nratio = 1.0", ["parameters"]),
        "%load_ext mlops_jupyter",
        "%mlops_track start\n%mlops_track log score=0.75\n!echo shell-ok",
        "import json, sys\n"
        "mj.log(alpha=alpha)\n"
        "%mlops_track end\n"
        "json.dump({'label': label, 'ratio': repr(ratio), 'alpha': alpha,\n"
        "           'ipython': sorted(m for m in sys.modules if m.split('.')[0] in ('IPython', 'ipykernel'))},\n"
        "          open('seen.json', 'w'))",
    ], job_project / "train.ipynb")
    res = mj.export_notebook(job_project / "train.ipynb", mode="script", thresholds={"score": ">= 0.7"})
    # When the job runs with hostile and non-finite parameter values
    result = mj.run_job(res.job_dir, params={"label": HOSTILE, "ratio": "-inf", "alpha": 2})
    # Then it ran under plain python without IPython, and values arrived exactly
    assert result.exit_code == 0, str(result)
    seen = json.loads((job_project / "seen.json").read_text())
    assert seen["ipython"] == []
    assert seen["label"] == HOSTILE and seen["ratio"] == "-inf" and seen["alpha"] == 2.0
    assert not (job_project / "PWNED").exists() and not (job_project / "PWNED2").exists()
    assert "shell-ok" in (res.job_dir / "out" / "output.log").read_text()
    # and the run it made is tagged with the job digest
    assert len(result.run_ids) == 1 and result.metrics["score"] == 0.75 and result.metrics["alpha"] == 2.0
    from mlflow.tracking import MlflowClient

    tags = MlflowClient(tracking_uri=mj.current_env().tracking_uri).get_run(result.run_ids[0]).data.tags
    assert tags["mlops.job_digest"] == res.digest and tags["mlops.job_name"] == "train"
    report = json.loads((res.job_dir / "out" / "report.json").read_text())
    assert report["exit_code"] == 0 and report["params"]["label"] == HOSTILE


def test_nan_parameter_round_trips_in_script(job_project: Path) -> None:
    make_notebook([("ratio = 1.0", ["parameters"]), "open('r.txt', 'w').write(repr(ratio))"], job_project / "nb.ipynb")
    res = mj.export_notebook(job_project / "nb.ipynb", mode="script")
    assert mj.run_job(res.job_dir, params={"ratio": "nan"}).ok
    assert (job_project / "r.txt").read_text() == "nan"


def test_failing_script_gives_exit_1(job_project: Path) -> None:
    make_notebook(["import sys\nprint('before')\nsys.exit(3)"], job_project / "nb.ipynb")
    res = mj.export_notebook(job_project / "nb.ipynb", mode="script")
    result = mj.run_job(res.job_dir)
    assert result.exit_code == 1 and "exited 3" in (result.error or "")
    assert "exit 1" in str(result) and "<table" in result._repr_html_()


def test_ci_run_steps_cannot_run_injected_commands(job_project: Path, tmp_path: Path) -> None:
    """Execute the workflow's run: lines in bash, with hostile inputs as GitHub would pass them."""
    import yaml

    name = 'evil"$(touch PWNED_NAME)`touch PWNED_TICK`'
    make_notebook([("label = 'x'\nn = 1", ["parameters"]), "print(label)"], job_project / f"{name}.ipynb")
    res = mj.export_notebook(job_project / f"{name}.ipynb", target="github")
    wf = yaml.safe_load((res.job_dir / "github-workflow.yml").read_text())
    job = wf["jobs"]["run"]
    inputs = {"label": HOSTILE, "n": "$(touch PWNED_N)"}
    env = {}
    for key, value in job["env"].items():
        for pname, pval in inputs.items():
            value = value.replace("${{ inputs." + pname + " }}", pval)  # GitHub's substitution into env:
        env[key] = value
    assert "${{" not in json.dumps([s.get("run", "") for s in job["steps"]])
    # stub the tools so that the steps only echo their argv
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("python", "dvc", "mlops-jupyter"):
        (bin_dir / tool).write_text('#!/bin/sh\nprintf "%s|" "$@" >> "$ARGV_LOG"\necho >> "$ARGV_LOG"\n')
        (bin_dir / tool).chmod(0o755)
    log = tmp_path / "argv.log"
    run_env = {**env, "PATH": f"{bin_dir}:/usr/bin:/bin", "ARGV_LOG": str(log)}
    for step in job["steps"]:
        if "run" in step:
            subprocess.run(["bash", "-e", "-c", step["run"]], cwd=job_project, env=run_env, check=True)
    assert not list(job_project.glob("PWNED*")) and not list(tmp_path.glob("PWNED*"))
    assert f"run|{env['MLOPS_JOB_DIR']}|--params-from-env|" in log.read_text()
    # and the runner reads the hostile value back exactly from the environment
    from mlops_jupyter.export.runner import resolve_params
    from mlops_jupyter.export.spec import load_spec

    spec, _ = load_spec(res.job_dir)
    import os

    os.environ.update({k: v for k, v in env.items() if k.startswith("MLOPS_PARAM_") and k != "MLOPS_PARAM_n"})
    try:
        values, given = resolve_params(spec, None, from_env=True)
    finally:
        for k in env:
            if k.startswith("MLOPS_PARAM_"):
                os.environ.pop(k, None)
    assert values["label"] == HOSTILE and given == {"label": HOSTILE}
    assert math.isfinite(values["n"])


def test_cli_usage_errors_exit_2(job_project: Path) -> None:
    make_notebook([("n = 1", ["parameters"]), "print(n)"], job_project / "nb.ipynb")
    res = mj.export_notebook(job_project / "nb.ipynb", mode="script")
    from mlops_jupyter.cli import main
    from mlops_jupyter.errors import JobError

    with pytest.raises(JobError, match="unknown parameter"):
        mj.run_job(res.job_dir, params={"x=1\nimport os": 1})
    for argv in (["-p", "nope=1"], ["-p", "a-b=1"], ["--env", "nosuch"]):
        assert main(["run", str(res.job_dir), *argv]) == 2, argv
    proc = subprocess.run([sys.executable, "-m", "mlops_jupyter", "run", str(res.job_dir), "-p", "n=abc"],
                          cwd=job_project, capture_output=True, text=True)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and "expects int" in proc.stderr


def test_failing_validation_gate_exits_1_and_warn_only_is_reported(job_project: Path) -> None:
    # Given a notebook whose %%validate gate fails (after a warn-only check that also fails)
    make_notebook([
        ("min_price = 0", ["parameters"]),
        "%load_ext mlops_jupyter\nimport pandas as pd\ndf = pd.DataFrame({'id': [1, 2, 2], 'price': [1.0, -2.0, 3.0]})",
        "%%validate df --warn-only\nprice > 0",
        "%%validate df\nid is unique",
        "open('after.txt', 'w').write('reached')",
    ], job_project / "gate.ipynb")
    res = mj.export_notebook(job_project / "gate.ipynb", mode="script")
    assert [g["suite"] for g in res.spec["gates"]["validation"]] == [None, None]
    # When the job runs, Then the failing gate stops it with exit 1
    result = mj.run_job(res.job_dir)
    assert result.exit_code == 1 and "ValidationFailed" in (result.error or "") + (
        res.job_dir / "out" / "output.log").read_text()
    assert not (job_project / "after.txt").exists()
    checks = [g for g in result.gates if g.kind == "check"]
    assert checks and all(not g.enforced for g in checks)


def test_sys_exit_0_stops_the_script_like_papermill(job_project: Path) -> None:
    # papermill: sys.exit(0) marks the cell failed, stops, and does not fail the run
    make_notebook(["import sys\nopen('a.txt', 'w').write('1')\nsys.exit(0)", "open('b.txt', 'w').write('2')"],
                  job_project / "nb.ipynb")
    res = mj.export_notebook(job_project / "nb.ipynb", mode="script")
    assert mj.run_job(res.job_dir).exit_code == 0
    assert (job_project / "a.txt").exists() and not (job_project / "b.txt").exists()


def test_rehearsal_without_source_run_is_not_compared(job_project: Path) -> None:
    make_notebook(["x = 1"], job_project / "nb.ipynb")
    report = mj.rehearse(job_project / "nb.ipynb", mode="script")
    assert report.job is not None and report.job.exit_code == 0
    assert not report.compared and not report.reproduced and report.ok
    assert "not compared" in str(report)
    from mlops_jupyter.errors import GateFailed

    with pytest.raises(GateFailed) as err:
        mj.rehearse(job_project / "nb.ipynb", mode="script", strict=True)
    assert "no source run" in (err.value.hint or "")
