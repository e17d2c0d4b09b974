"""Notebook → reproducible job: job spec, nbconvert exporter, CI files, runner, rehearsal.

``export_notebook(path, target=..., mode=...)`` writes a job folder; ``run_job(job)``
runs it with its checks and gates (exit code 0 / 1 / 2); ``rehearse(notebook)`` exports,
runs in a fresh kernel and compares with the source run. Importing this package is
light: nbformat, papermill and mlflow load when a function needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

_NAMES = {
    "export_notebook": ".build",
    "ExportResult": ".spec",
    "load_spec": ".spec",
    "validate_spec": ".spec",
    "run_job": ".runner",
    "JobResult": ".runner",
    "rehearse": ".rehearsal",
    "RehearsalReport": ".rehearsal",
}

__all__ = sorted(_NAMES)

if TYPE_CHECKING:  # the static view of _NAMES
    from .build import export_notebook as export_notebook
    from .rehearsal import RehearsalReport as RehearsalReport
    from .rehearsal import rehearse as rehearse
    from .runner import JobResult as JobResult
    from .runner import run_job as run_job
    from .spec import ExportResult as ExportResult
    from .spec import load_spec as load_spec
    from .spec import validate_spec as validate_spec
else:
    from .._lazy import attach

    __getattr__, __dir__ = attach(__name__, _NAMES)
