"""The job of a notebook: a typed :class:`JobSpec` and every file of its folder, unwritten.

:func:`build_job` reads as the pipeline it is: check the choices, render the code, find
the source run and its expected metrics, collect the gates, pin the environment, then
assemble the spec and the files (``job.yaml``, the code, ``requirements.lock``, CI files).
:meth:`JobSpec.to_dict` gives the dict that ``job.yaml`` holds (same keys, same order), so
the schema, the digest and the YAML writer see what they always saw.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ExportError
from ..session import session
from . import ci
from .notebook import NotebookInfo, check_identifier, notebook_json
from .spec import (
    DEFAULT_ABS_TOL,
    DEFAULT_REL_TOL,
    LOCK_FILE,
    SPEC_FILE,
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
    spec_digest,
    validate_spec,
)

TARGETS = ("github", "gitlab", "generic")
MODES = ("notebook", "script")
NOTEBOOK_CODE = "notebook.ipynb"
SCRIPT_CODE = "job.py"
EXPORT_KEYS = {"target", "mode", "out_dir", "rel_tol", "abs_tol", "tolerances", "thresholds", "schedule", "kernel"}

STEPS: list[dict[str, str]] = [
    {"name": "check-environment", "run": f"compare installed packages with {LOCK_FILE}"},
    {"name": "fetch-data", "run": "dvc pull the pinned paths; verify md5"},
    {"name": "execute", "run": "papermill (notebook) or python (script), MLOPS_HEADLESS=1"},
    {"name": "gates", "run": "validation/drift cells, metric thresholds, expected metrics"},
]


@dataclass
class JobSource:
    """Where the job comes from: the notebook, its git state and the run it must reproduce."""

    notebook: str
    digest: str
    git: dict[str, Any] | None
    run_id: str | None
    run_name: str | None
    exported_at: str
    out_of_order_cells: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook,
            "digest": self.digest,
            "git": self.git,
            "run_id": self.run_id,
            "run_name": self.run_name,
            "exported_at": self.exported_at,
            "out_of_order_cells": self.out_of_order_cells,
        }


@dataclass
class JobSpec:
    """``job.yaml`` as a typed object (see ``job.schema.json`` for each key's meaning)."""

    name: str
    mode: str
    target: str
    code: str
    code_digest: str
    kernel: str
    root: str
    source: JobSource
    environment: dict[str, Any]
    tool: dict[str, Any]
    profile: str
    parameters: dict[str, Any]
    data: Any
    gates: dict[str, Any]
    expected_metrics: dict[str, dict[str, Any]]
    artifacts: list[str]
    schedule: Any
    steps: list[dict[str, str]] = field(default_factory=lambda: [dict(s) for s in STEPS])
    version: int = 1

    def to_dict(self) -> dict[str, Any]:
        """The spec as ``job.yaml`` holds it, with its ``digest`` last."""
        spec: dict[str, Any] = {
            "version": self.version,
            "name": self.name,
            "mode": self.mode,
            "target": self.target,
            "code": self.code,
            "code_digest": self.code_digest,
            "kernel": self.kernel,
            "root": self.root,
            "source": self.source.to_dict(),
            "environment": self.environment,
            "tool": self.tool,
            "profile": self.profile,
            "parameters": self.parameters,
            "data": self.data,
            "gates": self.gates,
            "expected_metrics": self.expected_metrics,
            "steps": self.steps,
            "artifacts": self.artifacts,
            "schedule": self.schedule,
        }
        spec["digest"] = spec_digest(spec)
        return spec


@dataclass
class _Environment:
    """What :func:`job_environment` pins: the spec's environment and tool, the lock's lines
    for the tool, the tool's files (a wheel) and what could not be pinned."""

    env: dict[str, Any]
    tool: dict[str, Any]
    tool_lines: list[str]
    tool_files: dict[str, bytes]
    notes: list[str]


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
    cfg = export_config()
    _check_choices(target, mode)
    jname = job_name(name or (info.path.stem if info.path else "notebook"))
    nb_rel = notebook_rel(info.path, root)
    for p in info.parameters:
        check_identifier(p.name)
    code_name, code = _job_code(info, mode)
    prof = session.config().profile(profile) if profile else session.profile()
    source, metrics = _job_source(info, prof, nb_rel, source_run)
    expected = _expected_metrics(metrics, cfg, tolerance, tolerances)
    environment = _job_environment(info, mode, root)
    if notes is not None:
        notes.extend(environment.notes)
    job = JobSpec(
        name=jname,
        mode=mode,
        target=target,
        code=code_name,
        code_digest=file_digest(code),
        kernel=kernel or str(cfg.get("kernel", "python3")),
        root=_relpath(root, job_dir),
        source=source,
        environment=environment.env,
        tool=environment.tool,
        profile=prof.name,
        parameters={p.name: p.to_dict() for p in info.parameters},
        data=data_dependencies(root, _notebook_text(info), source.git["commit"] if source.git else None),
        gates=_job_gates(info, cfg, thresholds),
        expected_metrics=expected,
        artifacts=[f"{ci.OUT_DIR}/executed.ipynb" if mode == "notebook" else f"{ci.OUT_DIR}/output.log",
                   f"{ci.OUT_DIR}/report.json"],
        schedule=ci.check_schedule(schedule if schedule is not None else cfg.get("schedule")),
    )
    spec = job.to_dict()
    validate_spec(spec)
    return spec, _job_files(spec, code_name, code, environment, job_dir, root, target)


def export_config() -> dict[str, Any]:
    """The ``[export]`` table of the project's config, its keys checked."""
    from ..config import check_keys

    section = session.config().section("export")
    check_keys("[export]", section, EXPORT_KEYS)
    return section


def _check_choices(target: str, mode: str) -> None:
    if target not in TARGETS:
        raise ExportError(f"unknown target {target!r}", hint="use github, gitlab or generic")
    if mode not in MODES:
        raise ExportError(f"unknown mode {mode!r}", hint="use notebook or script")


def _job_code(info: NotebookInfo, mode: str) -> tuple[str, bytes]:
    """(file name, bytes) of the job's code: a plain script or the notebook without outputs."""
    if mode == "script":
        from .script import notebook_to_script

        return SCRIPT_CODE, notebook_to_script(info).encode("utf-8")
    return NOTEBOOK_CODE, notebook_json(_strip_outputs(info.nb)).encode("utf-8")


def _strip_outputs(nb: Any) -> Any:
    import copy

    clean = copy.deepcopy(dict(nb))
    for cell in clean["cells"]:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return clean


def _job_source(info: NotebookInfo, prof: Any, nb_rel: str,
                source_run: str | bool | None) -> tuple[JobSource, dict[str, float]]:
    """The spec's ``source`` and the metrics of the run the job must reproduce (given by id,
    else the newest finished run of this notebook, unless ``source_run`` is False)."""
    nb_path = info.path
    git = git_info(nb_path) if nb_path else None
    run_id: str | None = None
    run_name: str | None = None
    metrics: dict[str, float] = {}
    if isinstance(source_run, str):
        run_id = source_run
        run_name, metrics = run_metrics(prof, source_run)
    elif source_run is not False and nb_path is not None:
        run_id, run_name, metrics = find_source_run(prof, nb_path, nb_rel)
    source = JobSource(
        notebook=nb_rel,
        digest=info.digest,
        git=git,
        run_id=run_id,
        run_name=run_name,
        exported_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        out_of_order_cells=[o.to_dict() for o in info.out_of_order],
    )
    return source, metrics


def _expected_metrics(metrics: dict[str, float], cfg: dict[str, Any], tolerance: float | None,
                      tolerances: dict[str, float] | None) -> dict[str, dict[str, Any]]:
    """Each source-run metric with its tolerances (option, else ``[export]``, else default)."""
    rel_tol = float(tolerance if tolerance is not None else cfg.get("rel_tol", DEFAULT_REL_TOL))
    abs_tol = float(cfg.get("abs_tol", DEFAULT_ABS_TOL))
    per_metric = {**cfg.get("tolerances", {}), **(tolerances or {})}
    return {
        k: {"value": (v if math.isfinite(v) else None), "rel_tol": float(per_metric.get(k, rel_tol)), "abs_tol": abs_tol}
        for k, v in sorted(metrics.items())
    }


def _job_gates(info: NotebookInfo, cfg: dict[str, Any], thresholds: dict[str, Any] | None) -> dict[str, Any]:
    """The notebook's own check cells plus the metric thresholds (``[export]`` then options)."""
    gate_rules = {**cfg.get("thresholds", {}), **(thresholds or {})}
    return {**detect_gates(info), "metrics": [parse_threshold(m, r) for m, r in gate_rules.items()]}


def _notebook_text(info: NotebookInfo) -> str:
    return "\n".join(_cell_source(c) for c in info.nb.cells)


def _job_environment(info: NotebookInfo, mode: str, root: Path) -> _Environment:
    env, tool, tool_lines, tool_files, notes = job_environment(info, mode, root)
    return _Environment(env, tool, tool_lines, tool_files, notes)


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


def _job_files(spec: dict[str, Any], code_name: str, code: bytes, environment: _Environment,
               job_dir: Path, root: Path, target: str) -> dict[str, bytes]:
    """Every file of the folder: the code, ``job.yaml``, ``requirements.lock``, the tool's
    files and the CI files of ``target``."""
    files = {code_name: code, SPEC_FILE: dump_yaml(spec).encode("utf-8"),
             LOCK_FILE: lock_file(environment.env, environment.tool_lines).encode("utf-8")}
    files.update(environment.tool_files)
    for fname, content in ci.ci_files(spec, job_dir, root, target).items():
        files[fname] = content.encode("utf-8")
    return files


def lock_file(env: dict[str, Any], tool_lines: list[str]) -> str:
    """Text of ``requirements.lock`` for the spec's environment and the tool's lines."""
    from .lock import Lock, lock_text

    return lock_text(Lock(packages=env["packages"]), env["python"], tool_lines)


def _cell_source(cell: Any) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


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


__all__ = ["MODES", "NOTEBOOK_CODE", "SCRIPT_CODE", "TARGETS", "JobSource", "JobSpec", "build_job",
           "export_config", "job_environment", "lock_file", "notebook_rel"]
