"""``%mlops_export`` in a real IPython shell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError

from mlops_jupyter.export.spec import ExportResult
from mlops_jupyter.session import session
from tests.notebooks import make_notebook


def test_magic_exports_the_current_notebook(job_project: Path, ip: Any) -> None:
    make_notebook([("n = 1", ["parameters"]), "%mlops_export\nprint(n)"], job_project / "nb.ipynb")
    session.set_notebook(str(job_project / "nb.ipynb"))
    res = ip.run_line_magic("mlops_export", "--mode script --target gitlab")
    assert isinstance(res, ExportResult)
    assert (job_project / "jobs" / "nb" / "gitlab-ci.yml").is_file()
    script = (job_project / "jobs" / "nb" / "job.py").read_text()
    assert "pass  # %mlops_export: this script is the exported job" in script
    assert "jobs/nb" in res._repr_html_() and "job 'nb' exported" in str(res)
    assert session.start_dir is None  # export did not move the session's project


@pytest.mark.slow
def test_magic_rehearse_exports_then_rehearses(job_project: Path, ip: Any) -> None:
    # export_notebook has no rehearse= any more: the magic exports, then rehearses that job
    make_notebook([("n = 1", ["parameters"]), "print(n)"], job_project / "reh.ipynb")
    session.set_notebook(str(job_project / "reh.ipynb"))
    res = ip.run_line_magic("mlops_export", "--mode script --rehearse")
    assert isinstance(res, ExportResult) and res.rehearsal is not None
    assert res.rehearsal.job_dir == res.job_dir == job_project / "jobs" / "reh"
    assert res.rehearsal.job is not None and res.rehearsal.job.exit_code == 0
    assert not res.rehearsal.compared  # no tracked source run: nothing to compare with
    assert str(res.rehearsal) in str(res)


def test_magic_without_a_notebook_is_a_usage_error(job_project: Path, ip: Any) -> None:
    with pytest.raises(UsageError, match="which notebook"):
        ip.run_line_magic("mlops_export", "")
    with pytest.raises(UsageError):
        ip.run_line_magic("mlops_export", "--target jenkins")


def test_magic_import_is_light() -> None:
    import subprocess
    import sys

    code = ("import sys, mlops_jupyter.magics.export, mlops_jupyter.cli.export, mlops_jupyter.export; "
            "print(sorted(m for m in ('mlflow', 'dvc', 'papermill', 'nbformat', 'jsonschema') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
