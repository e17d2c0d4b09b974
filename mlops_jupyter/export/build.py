"""``export_notebook``: a notebook becomes a job folder.

The folder (default ``jobs/<name>/`` in the project root) holds ``job.yaml`` (the spec),
the code (``notebook.ipynb`` without outputs, or ``job.py`` with ``mode="script"``),
``requirements.lock`` (the pinned environment) and the CI files of the target plus a
``dvc.yaml`` stage. See docs/export.md.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from ..errors import ExportError
from ..session import session
from . import ci
from .jobdir import check_job_dir, write_job_dir
from .notebook import NotebookInfo, check_identifier, notebook_json, read_notebook
from .spec import (
    DEFAULT_ABS_TOL,
    DEFAULT_REL_TOL,
    LOCK_FILE,
    SPEC_FILE,
    ExportResult,
    data_dependencies,
    detect_gates,
    dump_yaml,
    environment_snapshot,
    file_digest,
    find_source_run,
    git_info,
    job_name,
    parse_threshold,
    run_metrics,
    scoped_session,
    spec_digest,
    validate_spec,
)

TARGETS = ("github", "gitlab", "generic")
MODES = ("notebook", "script")
NOTEBOOK_CODE = "notebook.ipynb"
SCRIPT_CODE = "job.py"
EXPORT_KEYS = {"target", "mode", "out_dir", "rel_tol", "abs_tol", "tolerances", "thresholds", "schedule", "kernel"}


def _export_config() -> dict[str, Any]:
    from ..config import check_keys

    section = session.config().section("export")
    check_keys("[export]", section, EXPORT_KEYS)
    return section


def _strip_outputs(nb: Any) -> Any:
    import copy

    clean = copy.deepcopy(dict(nb))
    for cell in clean["cells"]:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return clean


def build_job(
    info: NotebookInfo,
    *,
    root: Path,
    job_dir: Path,
    target: str,
    mode: str,
    name: str | None = None,
    profile: str | None = None,
    source_run: str | bool | None = None,
    thresholds: dict[str, Any] | None = None,
    tolerance: float | None = None,
    tolerances: dict[str, float] | None = None,
    schedule: str | None = None,
    kernel: str | None = None,
    notes: list[str] | None = None,
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The spec and every file of the job folder (name -> bytes), without writing them.

    ``notes``: receives what export could not pin (imports without a distribution)."""
    cfg = _export_config()
    if target not in TARGETS:
        raise ExportError(f"unknown target {target!r}", hint="use github, gitlab or generic")
    if mode not in MODES:
        raise ExportError(f"unknown mode {mode!r}", hint="use notebook or script")
    nb_path = info.path
    stem = nb_path.stem if nb_path else "notebook"
    jname = job_name(name or stem)
    nb_rel = notebook_rel(nb_path, root)
    for p in info.parameters:
        check_identifier(p.name)

    files: dict[str, bytes] = {}
    if mode == "script":
        from .script import notebook_to_script

        code_name = SCRIPT_CODE
        files[code_name] = notebook_to_script(info).encode("utf-8")
    else:
        code_name = NOTEBOOK_CODE
        files[code_name] = notebook_json(_strip_outputs(info.nb)).encode("utf-8")

    prof = session.config().profile(profile) if profile else session.profile()
    git = git_info(nb_path) if nb_path else None
    run_id: str | None = None
    run_name: str | None = None
    metrics: dict[str, float] = {}
    if isinstance(source_run, str):
        run_id = source_run
        run_name, metrics = run_metrics(prof, source_run)
    elif source_run is not False and nb_path is not None:
        run_id, run_name, metrics = find_source_run(prof, nb_path, nb_rel)

    rel_tol = float(tolerance if tolerance is not None else cfg.get("rel_tol", DEFAULT_REL_TOL))
    abs_tol = float(cfg.get("abs_tol", DEFAULT_ABS_TOL))
    per_metric = {**cfg.get("tolerances", {}), **(tolerances or {})}
    expected = {
        k: {"value": (v if math.isfinite(v) else None), "rel_tol": float(per_metric.get(k, rel_tol)), "abs_tol": abs_tol}
        for k, v in sorted(metrics.items())
    }
    gate_rules = {**cfg.get("thresholds", {}), **(thresholds or {})}
    text = "\n".join(
        "".join(c.get("source", "")) if isinstance(c.get("source"), list) else str(c.get("source", ""))
        for c in info.nb.cells
    )
    env, tool, tool_lines, tool_files, lock_notes = job_environment(info, mode, root)
    if notes is not None:
        notes.extend(lock_notes)
    spec: dict[str, Any] = {
        "version": 1,
        "name": jname,
        "mode": mode,
        "target": target,
        "code": code_name,
        "code_digest": file_digest(files[code_name]),
        "kernel": kernel or str(cfg.get("kernel", "python3")),
        "root": _relpath(root, job_dir),
        "source": {
            "notebook": nb_rel,
            "digest": info.digest,
            "git": git,
            "run_id": run_id,
            "run_name": run_name,
            "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "out_of_order_cells": [o.to_dict() for o in info.out_of_order],
        },
        "environment": env,
        "tool": tool,
        "profile": prof.name,
        "parameters": {p.name: p.to_dict() for p in info.parameters},
        "data": data_dependencies(root, text, git["commit"] if git else None),
        "gates": {**detect_gates(info), "metrics": [parse_threshold(m, r) for m, r in gate_rules.items()]},
        "expected_metrics": expected,
        "steps": [
            {"name": "check-environment", "run": f"compare installed packages with {LOCK_FILE}"},
            {"name": "fetch-data", "run": "dvc pull the pinned paths; verify md5"},
            {"name": "execute", "run": "papermill (notebook) or python (script), MLOPS_HEADLESS=1"},
            {"name": "gates", "run": "validation/drift cells, metric thresholds, expected metrics"},
        ],
        "artifacts": [f"{ci.OUT_DIR}/executed.ipynb" if mode == "notebook" else f"{ci.OUT_DIR}/output.log",
                      f"{ci.OUT_DIR}/report.json"],
        "schedule": ci.check_schedule(schedule if schedule is not None else cfg.get("schedule")),
    }
    spec["digest"] = spec_digest(spec)
    validate_spec(spec)
    files[SPEC_FILE] = dump_yaml(spec).encode("utf-8")
    files[LOCK_FILE] = lock_file(env, tool_lines).encode("utf-8")
    files.update(tool_files)
    for fname, content in ci.ci_files(spec, job_dir, root, target).items():
        files[fname] = content.encode("utf-8")
    return spec, files


def job_environment(info: NotebookInfo, mode: str, root: Path) -> tuple[dict[str, Any], dict[str, Any], list[str],
                                                                        dict[str, bytes], list[str]]:
    """(spec environment, spec tool, lock lines of the tool, tool files, notes): the lock holds
    what the notebook needs (:mod:`.lock`); the tool travels as a pin or a wheel (:mod:`.wheel`)."""
    from .lock import build_lock, lock_notes
    from .wheel import tool_for_job

    env = environment_snapshot()
    env.pop("local", None)
    lock = build_lock([_cell_source(c) for _, c in info.code_cells], mode, root)
    env["packages"] = lock.packages
    tool, tool_lines, tool_files = tool_for_job()
    return env, tool, tool_lines, tool_files, lock_notes(lock)


def lock_file(env: dict[str, Any], tool_lines: list[str]) -> str:
    """Text of ``requirements.lock`` for the spec's environment and the tool's lines."""
    from .lock import Lock, lock_text

    return lock_text(Lock(packages=env["packages"]), env["python"], tool_lines)


def _cell_source(cell: Any) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def export_notebook(
    path: str | Path,
    target: str | None = None,
    mode: str | None = None,
    out: str | Path | None = None,
    *,
    name: str | None = None,
    env: str | None = None,
    source_run: str | bool | None = None,
    thresholds: dict[str, Any] | None = None,
    tolerance: float | None = None,
    tolerances: dict[str, float] | None = None,
    schedule: str | None = None,
    profile: str | None = None,
) -> ExportResult:
    """Export the notebook at ``path`` as a job folder; returns an :class:`ExportResult`.

    ``target``: github | gitlab | generic (CI file to write; default from ``[export]`` or
    github). ``mode``: notebook (papermill) | script (plain python). ``out``: the job
    folder (default ``jobs/<name>/`` in the project root). ``source_run``: the run whose
    metrics the job must reproduce (default: the newest finished run of this notebook;
    False for none). ``thresholds``: metric gates, e.g. ``{"accuracy": ">= 0.9"}``.
    ``env``: the environment profile the job runs with (as in ``run_job(env=...)``;
    ``profile=`` is its deprecated old name).
    ``tolerance``: relative tolerance of expected metrics (``tolerances`` per metric).
    ``schedule``: cron for continuous training. To run the job now and compare with its
    source run, pass the result to :func:`~mlops_jupyter.export.rehearse.rehearse_export`
    (or call ``mj.rehearse``, which exports to a scratch folder).
    """
    from .._util import renamed_option

    env = renamed_option("profile=", "env=", profile, env, "export_notebook")
    nb_path = Path(path)
    if not nb_path.is_file():
        raise ExportError(f"no notebook at {nb_path}")
    with scoped_session(nb_path.resolve().parent):
        return _export(nb_path, target, mode, out, name=name, profile=env, source_run=source_run,
                       thresholds=thresholds, tolerance=tolerance, tolerances=tolerances,
                       schedule=schedule)


def _export(nb_path: Path, target: str | None, mode: str | None, out: str | Path | None, *, name: str | None,
            profile: str | None, source_run: str | bool | None, thresholds: dict[str, Any] | None,
            tolerance: float | None, tolerances: dict[str, float] | None, schedule: str | None) -> ExportResult:
    from .plan import plan_export

    info = read_notebook(nb_path)
    plan = plan_export(info, target=target, mode=mode, out=out, name=name, profile=profile,
                       source_run=source_run, thresholds=thresholds, tolerance=tolerance,
                       tolerances=tolerances, schedule=schedule)
    job_dir = plan.job_dir
    write_job(job_dir, plan.files, notebook=nb_path, root=session.config().root)
    return ExportResult(job_dir=job_dir, spec=plan.spec, files=describe(plan.files), notes=plan.notes,
                        warnings=plan.warnings)


def notebook_rel(nb_path: Path | None, root: Path) -> str:
    """The notebook's path in the project (as the spec records it)."""
    if nb_path is None:
        return "notebook.ipynb"
    try:
        return nb_path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(nb_path.resolve())


def _relpath(root: Path, job_dir: Path) -> str:
    import os

    try:
        return Path(os.path.relpath(root.resolve(), job_dir.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return str(root.resolve())


def write_job(job_dir: Path, files: dict[str, bytes], *, notebook: Path | None = None,
              root: Path | None = None) -> None:
    """Write the job folder safely (see :mod:`.jobdir`): refused unless new, empty or a job
    folder of the same notebook; built aside and swapped in whole. The notebook and the
    project root default to what the spec in ``files`` records."""
    import yaml

    spec = yaml.safe_load(files[SPEC_FILE])
    nb_rel = str(spec["source"]["notebook"])
    if root is None:
        root = (Path(job_dir).resolve() / str(spec.get("root", "."))).resolve()
    if notebook is None:
        notebook = root / nb_rel
    # look again just before writing: building took a while
    write_job_dir(job_dir, files, check_job_dir(job_dir, notebook, nb_rel, root), nb_rel)


def describe(files: dict[str, bytes]) -> dict[str, str]:
    """Short descriptions of the job folder's files, for the result view."""
    known = {
        SPEC_FILE: "job spec (validated against the shipped JSON Schema)",
        NOTEBOOK_CODE: "the notebook to run with papermill (outputs stripped)",
        SCRIPT_CODE: "plain Python script (no IPython needed)",
        LOCK_FILE: "what the notebook needs, pinned (pip install --no-deps -r)",
        ci.DVC_FILE: "dvc stage: dvc repro runs the job",
        ci.GITHUB_FILE: "GitHub Actions workflow: copy to .github/workflows/",
        ci.GITLAB_FILE: "GitLab CI job: include from .gitlab-ci.yml",
    }
    return {f: known.get(f, "mlops_jupyter as it exported this job" if f.endswith(".whl") else "")
            for f in files}


def spec_json(spec: dict[str, Any]) -> str:
    """The spec as JSON (NaN/inf written as null)."""
    from .._util import json_safe

    return json.dumps(json_safe(spec), indent=2, sort_keys=True)
