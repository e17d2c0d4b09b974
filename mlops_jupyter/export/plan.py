"""One code path for every export surface: options + ``[export]`` config -> job folder plan.

``mj.export_notebook`` / ``mlops-jupyter export`` / ``%mlops_export`` write the plan's files;
``jupyter nbconvert --to mlops_job`` hands them to nbconvert's writer. Both resolve
``target``, ``mode``, ``out_dir``, tolerances, thresholds, schedule and kernel from
``mlops.toml``'s ``[export]`` the same way, so the two produce the same folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .notebook import NotebookInfo


@dataclass
class ExportPlan:
    """What an export will write: the folder, the spec, the files, notes and warnings."""

    job_dir: Path
    spec: dict[str, Any]
    files: dict[str, bytes]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def plan_export(info: NotebookInfo, *, target: str | None = None, mode: str | None = None,
                out: str | Path | None = None, name: str | None = None, profile: str | None = None,
                source_run: str | bool | None = None, thresholds: dict[str, Any] | None = None,
                tolerance: float | None = None, tolerances: dict[str, float] | None = None,
                schedule: str | None = None) -> ExportPlan:
    """Build the job for ``info`` (its ``path`` names the notebook) in the current session's
    project; options left ``None`` come from ``[export]`` in the config."""
    from ..session import session
    from .job import build_job, export_config, notebook_rel
    from .jobdir import check_job_dir
    from .preflight import export_warnings
    from .spec import job_name

    cfg = export_config()
    root = session.config().root
    nb_path = info.path
    stem = nb_path.stem if nb_path is not None else "notebook"
    target = target or str(cfg.get("target", "github"))
    mode = mode or str(cfg.get("mode", "notebook"))
    job_dir = Path(out) if out is not None else root / str(cfg.get("out_dir", "jobs")) / job_name(name or stem)
    if nb_path is not None:  # refuse a folder that is not ours before any work
        check_job_dir(job_dir, nb_path, notebook_rel(nb_path, root), root)
    lock_notes: list[str] = []
    spec, files = build_job(
        info, root=root, job_dir=job_dir.resolve(), target=target, mode=mode, name=name, profile=profile,
        source_run=source_run, thresholds=thresholds, tolerance=tolerance, tolerances=tolerances,
        schedule=schedule, notes=lock_notes,
    )
    notes = list(info.notes)
    if info.out_of_order:
        notes.append(f"{len(info.out_of_order)} cell(s) ran out of order in the saved notebook")
    prof = session.config().profile(spec["profile"])
    sources = [_source(c) for _, c in info.code_cells]
    nb_dir = nb_path.resolve().parent if nb_path is not None else root
    warnings = export_warnings(spec, sources, root, nb_dir, prof.dvc_remote, _store(prof))
    return ExportPlan(job_dir=job_dir, spec=spec, files=files, notes=notes, warnings=warnings + lock_notes)


def _source(cell: Any) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _store(profile: Any) -> str:
    return f"profile '{profile.name}' ({profile.tracking_uri})"
