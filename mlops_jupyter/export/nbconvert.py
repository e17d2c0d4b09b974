"""``jupyter nbconvert --to mlops_job NOTEBOOK``: the nbconvert exporter.

The exporter name (``mlops_job``, entry point in pyproject.toml) is ``\\w+`` so that
JupyterLab's "Save and Export Notebook As" menu can reach it (a hyphenated name 404s).
The main output is ``job.yaml``; the other files of the job folder travel as
``resources["outputs"]``: nbconvert's ``FilesWriter`` writes them next to it (the folder
``jobs/<name>/`` of the project, as ``mj.export_notebook`` does), and JupyterLab's export
route zips them for download.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nbconvert.exporters import Exporter
from traitlets import Bool, Enum, Unicode


class MlopsJobExporter(Exporter):
    """Export a notebook as an mlops_jupyter job folder (job.yaml, code, CI files)."""

    export_from_notebook = "MLOps job"
    output_mimetype = "text/yaml"

    # None: from [export] in mlops.toml (then github / notebook), as mlops-jupyter export does
    target = Enum(["github", "gitlab", "generic"], default_value=None, allow_none=True,
                  help="CI system to write files for (default: [export] target, else github)").tag(config=True)
    mode = Enum(["notebook", "script"], default_value=None, allow_none=True,
                help="papermill notebook or plain Python script (default: [export] mode, else notebook)",
                ).tag(config=True)
    schedule = Unicode(None, allow_none=True,
                       help="cron expression for continuous training (default: [export] schedule)").tag(config=True)
    find_source_run = Bool(True, help="look up the notebook's newest tracked run for expected metrics").tag(config=True)

    def _file_extension_default(self) -> str:
        return ".yaml"

    def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> tuple[Any, dict[str, Any]]:
        """Build the job for ``nb``; returns (job.yaml text, resources with the other files)."""
        from .notebook import read_notebook
        from .plan import plan_export
        from .spec import SPEC_FILE, scoped_session

        nb_copy, resources = super().from_notebook_node(nb, resources, **kw)
        meta = resources.get("metadata", {}) or {}
        folder = Path(meta.get("path") or os.getcwd()).resolve()
        stem = str(meta.get("name") or "notebook")
        info = read_notebook(nb_copy)
        info.path = folder / f"{stem}.ipynb"
        with scoped_session(folder):
            plan = plan_export(info, target=self.target, mode=self.mode, schedule=self.schedule,
                               source_run=None if self.find_source_run else False)
        job_dir, spec, files = plan.job_dir.resolve(), plan.spec, plan.files
        for warning in plan.warnings:
            self.log.warning("mlops_job: %s", warning)
        prefix = Path(os.path.relpath(job_dir, folder))
        # job.yaml is the main output and also one of the files: JupyterLab's export route
        # zips outputs by base name plus "<notebook>.yaml", so the zip holds job.yaml too.
        main = files[SPEC_FILE].decode("utf-8")
        resources["unique_key"] = (prefix / "job").as_posix()
        resources["output_extension"] = ".yaml"
        # nbconvert logs "Support files will be in <output_files_dir>/": name the job folder
        resources["output_files_dir"] = prefix.as_posix()
        outputs = resources.setdefault("outputs", {})
        for fname, data in files.items():
            outputs[(prefix / fname).as_posix()] = data
        resources["mlops_job"] = {"name": spec["name"], "digest": spec["digest"], "job_dir": str(job_dir),
                                  "warnings": plan.warnings}
        return main, resources
