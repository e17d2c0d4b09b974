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

    target = Enum(["github", "gitlab", "generic"], default_value="github",
                  help="CI system to write files for").tag(config=True)
    mode = Enum(["notebook", "script"], default_value="notebook",
                help="run the notebook with papermill, or a plain Python script").tag(config=True)
    schedule = Unicode("", help="cron expression for continuous training (GitHub schedule)").tag(config=True)
    find_source_run = Bool(True, help="look up the notebook's newest tracked run for expected metrics").tag(config=True)

    def _file_extension_default(self) -> str:
        return ".yaml"

    def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> tuple[Any, dict[str, Any]]:
        """Build the job for ``nb``; returns (job.yaml text, resources with the other files)."""
        from ..session import session
        from .build import build_job
        from .notebook import read_notebook
        from .spec import SPEC_FILE, job_name, scoped_session

        nb_copy, resources = super().from_notebook_node(nb, resources, **kw)
        meta = resources.get("metadata", {}) or {}
        folder = Path(meta.get("path") or os.getcwd()).resolve()
        stem = str(meta.get("name") or "notebook")
        info = read_notebook(nb_copy)
        info.path = folder / f"{stem}.ipynb"
        with scoped_session(folder):
            root = session.config().root
            jname = job_name(stem)
            job_dir = root / "jobs" / jname
            spec, files = build_job(
                info, root=root, job_dir=job_dir, target=self.target, mode=self.mode,
                source_run=None if self.find_source_run else False, schedule=self.schedule or None,
            )
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
        resources["mlops_job"] = {"name": spec["name"], "digest": spec["digest"], "job_dir": str(job_dir)}
        return main, resources
