"""Reproducibility rehearsal: export, run the job in a fresh kernel, compare with the source.

The report puts the source run's metrics next to the job's (within the exported
tolerances), lists the cells the source notebook ran out of order (from the saved
execution counts and the source run's ``mlops.history`` tag) and the packages that differ
between the source run and the job. ``strict=True`` makes any mismatch a failure.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._util import json_safe
from .._views import Viewable
from ..errors import GateFailed
from .gates import close
from .notebook import NotebookInfo
from .runner import JobResult, run_job

if TYPE_CHECKING:
    from .spec import ExportResult


@dataclass(repr=False)
class RehearsalReport(Viewable):
    """Side-by-side metrics, out-of-order cells and package differences."""

    notebook: str
    job_dir: Path
    source_run_id: str | None
    job: JobResult | None
    metrics: list[dict[str, Any]] = field(default_factory=list)
    out_of_order: list[dict[str, Any]] = field(default_factory=list)
    history_flag: str | None = None
    packages: list[dict[str, Any]] = field(default_factory=list)
    strict: bool = False
    notes: list[str] = field(default_factory=list)
    causes: list[dict[str, Any]] = field(default_factory=list)  # why numbers can differ (.causes)

    @property
    def compared(self) -> bool:
        """True when there was a source run with metrics to compare against."""
        return bool(self.source_run_id) and any("note" not in m for m in self.metrics)

    @property
    def reproduced(self) -> bool:
        """True when the job ran and matched every metric of the source run within tolerance."""
        return (self.compared and self.job is not None and self.job.exit_code == 0
                and all(m["ok"] for m in self.metrics))

    @property
    def ok(self) -> bool:
        return self.reproduced or not self.strict

    @property
    def unreliable(self) -> list[str]:
        """Metrics that passed only within tolerance while the notebook has unseeded randomness."""
        return [m["metric"] for m in self.metrics if m.get("unreliable")]

    def to_dict(self) -> dict[str, Any]:
        return json_safe({
            "notebook": self.notebook, "job_dir": str(self.job_dir), "source_run_id": self.source_run_id,
            "ok": self.ok, "reproduced": self.reproduced, "compared": self.compared, "strict": self.strict,
            "metrics": self.metrics, "out_of_order": self.out_of_order, "history": self.history_flag,
            "packages": self.packages, "notes": self.notes, "causes": self.causes,
            "unreliable": self.unreliable,
            "job": self.job.to_dict() if self.job is not None else None,
        })


def _source_tags(profile: Any, run_id: str | None) -> dict[str, str]:
    if not run_id:
        return {}
    try:
        from ..tracking.store import read_client

        client = read_client(str(profile.tracking_uri))
        return dict(client.get_run(run_id).data.tags) if client is not None else {}
    except Exception:
        return {}


def rehearse_job(job_dir: Path, info: NotebookInfo, strict: bool = False) -> RehearsalReport:
    """Run the exported job at ``job_dir`` with its defaults and compare with its source run."""
    from .spec import load_spec, scoped_session

    spec, _ = load_spec(job_dir)
    job = run_job(job_dir, check_expected=True)
    with scoped_session(job_dir.resolve(), job.profile) as profile:
        return _report(spec, job_dir, job, info, profile, strict)


def rehearse_export(result: ExportResult, notebook: str | Path, strict: bool = False) -> ExportResult:
    """Rehearse the job :func:`~.build.export_notebook` just wrote for ``notebook``; the report
    goes to ``result.rehearsal`` (shown with the export). The surfaces' ``--rehearse``."""
    from .notebook import read_notebook

    result.rehearsal = rehearse_job(result.job_dir, read_notebook(Path(notebook)), strict=strict)
    return result


def _report(spec: dict[str, Any], job_dir: Path, job: JobResult, info: NotebookInfo, profile: Any,
            strict: bool) -> RehearsalReport:
    report = RehearsalReport(notebook=spec["source"]["notebook"], job_dir=job_dir,
                             source_run_id=spec["source"].get("run_id"), job=job, strict=strict)
    for key, exp in spec["expected_metrics"].items():
        got = job.metrics.get(key)
        want = exp["value"]
        ok = got is not None and close(float(got), float("nan") if want is None else float(want),
                                       exp["rel_tol"], exp["abs_tol"])
        report.metrics.append({"metric": key, "source": want, "job": got, "rel_tol": exp["rel_tol"], "ok": ok})
    for key in sorted(set(job.metrics) - set(spec["expected_metrics"])):
        report.metrics.append({"metric": key, "source": None, "job": job.metrics[key], "rel_tol": None, "ok": True,
                               "note": "new in the job"})
    report.out_of_order = [o.to_dict() for o in info.out_of_order]
    src_tags = _source_tags(profile, report.source_run_id)
    report.history_flag = src_tags.get("mlops.history")
    job_tags = _source_tags(profile, job.run_ids[-1]) if job.run_ids else {}
    pkgs = sorted({k for k in (*src_tags, *job_tags) if k.startswith("mlops.pkg.")})
    for k in pkgs:
        if src_tags.get(k) != job_tags.get(k) and k in src_tags and k in job_tags:
            report.packages.append({"package": k[len("mlops.pkg."):], "source": src_tags.get(k), "job": job_tags.get(k)})
    for d in job.env_diff:
        report.packages.append({"package": d["package"], "source": d["pinned"], "job": d["installed"]})
    _name_causes(report, info, profile, job)
    if not report.source_run_id:
        report.notes.append("no source run: nothing to compare (track the notebook's run first)")
    if report.history_flag and report.history_flag != "linear":
        report.notes.append(f"the source run's cell history: {report.history_flag}")
    if strict and not report.reproduced:
        raise GateFailed(f"rehearsal of {report.notebook}: the job did not reproduce the source run",
                         decision=report, hint=_mismatch_hint(report))
    return report


def _name_causes(report: RehearsalReport, info: NotebookInfo, profile: Any, job: JobResult) -> None:
    """Static causes (unseeded randomness, network), package and data differences; a metric
    that matched only within tolerance on an unseeded notebook is marked unreliable."""
    from .causes import data_causes, dataset_digests, package_causes, static_causes

    cells = info.code_cells
    sources = ["".join(c.get("source", "")) if isinstance(c.get("source"), list) else str(c.get("source", ""))
               for _, c in cells]
    report.causes = static_causes(sources, [i for i, _ in cells]) + package_causes(report.packages)
    job_run = job.run_ids[-1] if job.run_ids else None
    report.causes += data_causes(dataset_digests(profile, report.source_run_id), dataset_digests(profile, job_run))
    unseeded = [c for c in report.causes if c["kind"] == "unseeded"]
    if not unseeded:
        return
    for m in report.metrics:
        if m["ok"] and "note" not in m and m["source"] is not None and m["job"] is not None \
                and float(m["job"]) != float(m["source"]):
            m["unreliable"] = True
    if report.unreliable:
        first = unseeded[0]
        report.notes.append(f"unreliable: {', '.join(report.unreliable)} matched only within tolerance and the "
                            f"notebook draws unseeded random numbers (cell {first['cell']}: {first['call']}); "
                            "seed it to make the check meaningful")


def _mismatch_hint(report: RehearsalReport) -> str:
    bad = [m["metric"] for m in report.metrics if not m["ok"]]
    bits = []
    if bad and report.causes:
        from .causes import describe

        bits.append("likely cause: " + describe(report.causes[0]))
    if not report.compared:
        bits.append("no source run to compare with: track the notebook's run first (mj.start_run / %mlops_track)")
    if bad:
        bits.append("metrics differ: " + ", ".join(bad[:5]))
    if report.out_of_order:
        bits.append(f"{len(report.out_of_order)} cell(s) ran out of order in the source; restart and run all")
    if report.job is not None and report.job.error:
        bits.append("the job failed: " + report.job.error[:120])
    return "; ".join(bits) or "see the rehearsal report"


KEEP_REHEARSALS = 3


def _prune(base: Path, prefix: str, keep: int) -> None:
    """Remove all but the newest ``keep`` rehearsal folders of one notebook."""
    import shutil

    old = sorted((p for p in base.iterdir() if p.is_dir() and p.name.startswith(prefix)),
                 key=lambda p: p.stat().st_mtime, reverse=True)
    for folder in old[keep:]:
        shutil.rmtree(folder, ignore_errors=True)


def rehearse(notebook: str | Path, strict: bool = False, **export_options: Any) -> RehearsalReport:
    """Export ``notebook`` to a temporary job folder, run it fresh, compare with the source.

    The job folder goes to ``.mlops/rehearsals/`` (the newest three per notebook are kept)
    unless ``out=`` is given. Returns a :class:`RehearsalReport`; with ``strict=True`` a mismatch raises
    :class:`~mlops_jupyter.errors.GateFailed` (CLI exit 1) carrying the report.
    """
    from .build import export_notebook
    from .notebook import read_notebook

    path = Path(notebook)
    out = export_options.pop("out", None)
    if out is None:
        from ..config import load_config

        base = load_config(path.resolve().parent).state_dir / "rehearsals"
        base.mkdir(parents=True, exist_ok=True)
        prefix = path.stem[:40] + "."
        _prune(base, prefix, keep=KEEP_REHEARSALS - 1)
        out = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    exported = export_notebook(path, out=out, **export_options)
    return rehearse_job(exported.job_dir, read_notebook(path), strict=strict)
