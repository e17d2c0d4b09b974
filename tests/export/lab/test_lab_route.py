"""JupyterLab's "Save and Export Notebook As" route reaches the exporter by its name."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from tests.notebooks import make_notebook


async def test_jupyterlab_export_route_zips_the_job(jp_fetch: Any, jp_root_dir: Path) -> None:
    # Given a notebook in the server's root, When JupyterLab's "Export Notebook As" asks for it
    make_notebook([("n = 1", ["parameters"]), "print(n)"], jp_root_dir / "lab.ipynb")
    reply = await jp_fetch("nbconvert", "mlops_job", "lab.ipynb", method="GET")
    # Then the server answers with a zip of job.yaml and the job's files
    assert reply.code == 200
    names = set(zipfile.ZipFile(io.BytesIO(reply.body)).namelist())
    assert {"job.yaml", "notebook.ipynb", "github-workflow.yml", "requirements.lock"} <= names
