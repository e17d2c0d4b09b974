"""CI files for a job: a GitHub Actions workflow, a GitLab CI job, a ``dvc.yaml`` stage.

Injection-proof by construction: the files are built as data and written with
``yaml.safe_dump``; every ``run:``/``script:``/``cmd:`` line is a constant of this
module. Parameter values and notebook text never appear in them: parameter values travel
as ``MLOPS_PARAM_<NAME>`` environment variables (names are identifiers, checked at
export), the job folder as ``MLOPS_JOB_DIR``, and the runner reads both.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ..errors import ExportError
from ..testing.jobstage import JUNIT_IN_OUT, has_test_cells
from .spec import LOCK_FILE, dump_yaml

GITHUB_FILE = "github-workflow.yml"
GITLAB_FILE = "gitlab-ci.yml"
DVC_FILE = "dvc.yaml"
OUT_DIR = "out"
PARAM_ENV_PREFIX = "MLOPS_PARAM_"

# the only shell text in the CI files; none of it comes from the notebook.
# The lock is the whole environment (the closure, pinned) plus the exact mlops_jupyter
# that exported the job (a pin, or its wheel in the job folder): --no-deps keeps pip from
# adding what the lock leaves out on purpose (JupyterLab, which only the side panel needs).
RUN_INSTALL = 'python -m pip install --no-deps -r "$MLOPS_JOB_DIR/' + LOCK_FILE + '"'
RUN_PULL = "dvc pull"
RUN_JOB = 'mlops-jupyter run "$MLOPS_JOB_DIR" --params-from-env'
# dvc repro runs the stage in the job folder: install mlops_jupyter from the lock if it is
# absent; `run --install` then installs the lock if the environment differs (refusing to
# overwrite a development checkout) and runs the job
DVC_CMD = ("(python -c 'import mlops_jupyter' 2>/dev/null || python -m pip install -q --no-deps -r "
           + LOCK_FILE + ") && python -m mlops_jupyter run . --install")
RUN_CD = 'cd "$MLOPS_PROJECT_DIR"'  # GitLab, for a project in a folder of the repository
_CRON = re.compile(r"^[0-9A-Za-z*/,\-]+( [0-9A-Za-z*/,\-]+){4}$")
# folders that reach CI files: no quotes, $, braces, backslashes or control characters
_SAFE_PATH = re.compile(r"[\w./ +@-]+")


def check_schedule(cron: str | None) -> str | None:
    """A five-field cron expression, or None; anything else is refused."""
    if cron is None or cron == "":
        return None
    if not _CRON.match(cron):
        raise ExportError(f"schedule {cron!r} is not a five-field cron expression",
                          hint='e.g. "0 3 * * 1" (Mondays 03:00 UTC)')
    return cron


def _posix(path: str) -> str:
    return path.replace(os.sep, "/")


def _param_description(name: str, meta: dict[str, Any]) -> str:
    # Only the identifier and the type name: no notebook text reaches the workflow.
    return f"{meta['type']} parameter {name}; empty = the job's default"


def _safe_path(path: str, what: str) -> str:
    if not _SAFE_PATH.fullmatch(path):
        raise ExportError(f"{what} {path!r} cannot be written into a CI file safely",
                          hint="use letters, digits, '.', '_', '-', '/' and spaces in folder names")
    return path


def project_prefix(root: Path) -> str:
    """The project folder relative to the top of its git repository ("" at the top or outside git)."""
    import subprocess

    try:
        out = subprocess.run(["git", "rev-parse", "--show-prefix"], cwd=root, capture_output=True, text=True,
                             timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip().rstrip("/") if out.returncode == 0 else ""


def _in_project(prefix: str, path: str) -> str:
    return f"{prefix}/{path}" if prefix else path


def github_workflow(spec: dict[str, Any], job_rel: str, prefix: str = "") -> dict[str, Any]:
    """The GitHub Actions workflow (``workflow_dispatch`` inputs, optional ``schedule``).

    ``prefix``: the project's folder in the repository; its steps run there.
    """
    name = spec["name"]
    inputs = {
        p: {"description": _param_description(p, meta), "required": False, "default": "", "type": "string"}
        for p, meta in spec["parameters"].items()
    }
    on: dict[str, Any] = {"workflow_dispatch": {"inputs": inputs} if inputs else None}
    if spec.get("schedule"):
        on["schedule"] = [{"cron": spec["schedule"]}]
    env: dict[str, str] = {
        "MLOPS_JOB_DIR": _posix(job_rel),
        "MLOPS_ENV": spec["profile"],
        "MLOPS_HEADLESS": "1",
    }
    for p in spec["parameters"]:
        env[PARAM_ENV_PREFIX + p] = "${{ inputs." + p + " }}"
    job: dict[str, Any] = {"runs-on": "ubuntu-latest", "timeout-minutes": 120, "env": env}
    if prefix:
        job["defaults"] = {"run": {"working-directory": prefix}}
    return {
        "name": f"mlops job {name}",
        "on": on,
        "permissions": {"contents": "read"},
        "jobs": {
            "run": {
                **job,
                "steps": [
                    {"uses": "actions/checkout@v4"},
                    {"uses": "actions/setup-python@v5",
                     "with": {"python-version": ".".join(spec["environment"]["python"].split(".")[:2])}},
                    {"name": "Install the pinned environment", "run": RUN_INSTALL},
                    {"name": "Fetch the pinned data", "run": RUN_PULL},
                    {"name": "Run the job (environment check, data check, run, gates)", "run": RUN_JOB},
                    {"name": "Keep the executed notebook and reports",
                     "if": "always()",
                     "uses": "actions/upload-artifact@v4",
                     "with": {"name": f"mlops-job-{name}",
                              "path": _in_project(prefix, f"{_posix(job_rel)}/{OUT_DIR}/")}},
                ],
            }
        },
    }


def gitlab_ci(spec: dict[str, Any], job_rel: str, prefix: str = "", tests: bool = False) -> dict[str, Any]:
    """A ``.gitlab-ci.yml`` with one job; parameters are pipeline variables.

    ``prefix``: the project's folder in the repository; the script changes into it.
    ``tests``: the notebook has test cells, so the job writes ``out/tests/junit.xml``, which
    GitLab reads as a test report (the pipeline's Tests tab, the merge request widget). Only
    then: GitLab logs an error line for a missing report file.
    """
    name = spec["name"]
    variables: dict[str, Any] = {
        PARAM_ENV_PREFIX + p: {"value": "", "description": _param_description(p, meta)}
        for p, meta in spec["parameters"].items()
    }
    return {
        "variables": variables,
        f"mlops-job-{name}": {
            "image": f"python:{'.'.join(spec['environment']['python'].split('.')[:2])}",
            "variables": {
                "MLOPS_JOB_DIR": _posix(job_rel),
                "MLOPS_ENV": spec["profile"],
                "MLOPS_HEADLESS": "1",
                **({"MLOPS_PROJECT_DIR": prefix} if prefix else {}),
            },
            "script": [*([RUN_CD] if prefix else []), RUN_INSTALL, RUN_PULL, RUN_JOB],
            "artifacts": {"when": "always", "paths": [_in_project(prefix, f"{_posix(job_rel)}/{OUT_DIR}/")],
                          **({"reports": {"junit": _in_project(prefix, f"{_posix(job_rel)}/{OUT_DIR}/{JUNIT_IN_OUT}")}}
                             if tests else {})},
            "rules": [
                {"if": '$CI_PIPELINE_SOURCE == "web"'},
                {"if": '$CI_PIPELINE_SOURCE == "schedule"'},
                {"if": '$CI_PIPELINE_SOURCE == "api"'},
            ],
        },
    }


def dvc_stage(spec: dict[str, Any], job_dir: Path, root: Path) -> dict[str, Any]:
    """``dvc.yaml`` in the job folder: ``dvc repro`` runs the job when inputs change."""
    deps = [_posix(os.path.relpath(root / spec["source"]["notebook"], job_dir)), "job.yaml", spec["code"]]
    deps += [_posix(os.path.relpath(root / d["path"], job_dir)) for d in spec["data"]]
    return {
        "stages": {
            spec["name"]: {
                "cmd": DVC_CMD,
                "deps": list(dict.fromkeys(deps)),
                "outs": [{OUT_DIR: {"cache": False}}],
            }
        }
    }


def _has_tests(spec: dict[str, Any], root: Path) -> bool:
    """The job runs a test stage: a notebook job whose notebook has test cells."""
    return spec["mode"] == "notebook" and has_test_cells(root / spec["source"]["notebook"])


def ci_files(spec: dict[str, Any], job_dir: Path, root: Path, target: str) -> dict[str, str]:
    """File name -> YAML text of the CI files for ``target`` (plus the dvc stage)."""
    try:
        job_rel = _posix(os.path.relpath(job_dir, root))
    except ValueError:
        job_rel = _posix(str(job_dir))
    files = {DVC_FILE: dump_yaml(dvc_stage(spec, job_dir, root))}
    if target in ("github", "gitlab"):
        job_rel = _safe_path(job_rel, "the job folder")
        prefix = project_prefix(root)
        prefix = _safe_path(prefix, "the project folder") if prefix else ""
    if target == "github":
        files[GITHUB_FILE] = ("# copy to .github/workflows/ of the repository\n"
                              + dump_yaml(github_workflow(spec, job_rel, prefix)))
    elif target == "gitlab":
        files[GITLAB_FILE] = ("# include from .gitlab-ci.yml (include: local: ...)\n"
                              + dump_yaml(gitlab_ci(spec, job_rel, prefix, _has_tests(spec, root))))
    elif target != "generic":
        raise ExportError(f"unknown target {target!r}", hint="use github, gitlab or generic")
    return files
