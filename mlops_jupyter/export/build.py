"""``export_notebook``: a notebook becomes a job folder.

The folder (default ``jobs/<name>/`` in the project root) holds ``job.yaml`` (the spec),
the code (``notebook.ipynb`` without outputs, or ``job.py`` with ``mode="script"``),
``requirements.lock`` (the pinned environment) and the CI files of the target plus a
``dvc.yaml`` stage. See docs/export.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ExportError
from ..session import session
from . import ci
from .job import NOTEBOOK_CODE, SCRIPT_CODE
from .jobdir import check_job_dir, write_job_dir
from .notebook import read_notebook
from .spec import LOCK_FILE, SPEC_FILE, ExportResult, scoped_session


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
    source run, pass the result to :func:`~mlops_jupyter.export.rehearsal.rehearse_export`
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

