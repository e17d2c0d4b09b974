"""``job.yaml`` is a typed :class:`JobSpec`: its keys, their order and its digest."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import mlops_jupyter as mj
from mlops_jupyter.export.job import JobSource, JobSpec
from mlops_jupyter.export.spec import load_spec, spec_digest
from tests.notebooks import make_notebook

KEYS = ["version", "name", "mode", "target", "code", "code_digest", "kernel", "root", "source", "environment",
        "tool", "profile", "parameters", "data", "gates", "expected_metrics", "steps", "artifacts", "schedule",
        "digest"]
SOURCE_KEYS = ["notebook", "digest", "git", "run_id", "run_name", "exported_at", "out_of_order_cells"]


def test_job_yaml_holds_the_jobspec_fields_in_order_with_its_digest(job_project: Path) -> None:
    make_notebook([("alpha = 0.5", ["parameters"]), "print(alpha)"], job_project / "train.ipynb")
    res = mj.export_notebook(job_project / "train.ipynb", target="gitlab", mode="script", source_run=False,
                             thresholds={"accuracy": ">= 0.9"}, schedule="0 3 * * *")

    text = (res.job_dir / "job.yaml").read_text()
    top = [line.split(":")[0] for line in text.splitlines() if line[:1].isalpha()]
    assert top == KEYS
    spec, _ = load_spec(res.job_dir)  # valid against the shipped schema
    assert list(spec) == KEYS and list(spec["source"]) == SOURCE_KEYS
    assert spec["digest"] == spec_digest(spec) == res.spec["digest"]
    # every key of the spec is a field of the typed JobSpec, and no field is left out
    assert {f.name for f in dataclasses.fields(JobSpec)} == set(KEYS) - {"digest"}
    assert [f.name for f in dataclasses.fields(JobSource)] == SOURCE_KEYS
    assert spec["mode"] == "script" and spec["code"] == "job.py" and spec["schedule"] == "0 3 * * *"
    assert spec["gates"]["metrics"][0]["metric"] == "accuracy"
