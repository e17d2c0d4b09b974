"""requirements.lock holds what the notebook needs; the job carries its mlops_jupyter."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

import mlops_jupyter as mj
from mlops_jupyter.errors import JobError
from mlops_jupyter.export.lock import closure, imported_modules
from mlops_jupyter.export.wheel import build_wheel, content_digest
from tests.notebooks import make_notebook


def _pins(lock_text: str) -> dict[str, str]:
    return dict(line.split("==", 1) for line in lock_text.splitlines() if "==" in line and not line.startswith("#"))


def test_lock_of_a_pandas_sklearn_notebook_has_no_dev_tools(job_project: Path) -> None:
    # Given a notebook that imports pandas and scikit-learn (and a module that is not installed)
    make_notebook(["%matplotlib inline\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression",
                   "import os, json\nimport not_installed_anywhere\nimport mlops_jupyter as mj", "!pip list"],
                  job_project / "nb.ipynb")
    # When it is exported
    res = mj.export_notebook(job_project / "nb.ipynb")
    pins = _pins((res.job_dir / "requirements.lock").read_text())
    # Then the lock pins the notebook's packages, the kernel, the tool's runtime and their closure
    for needed in ("pandas", "scikit-learn", "numpy", "ipykernel", "papermill", "nbclient", "mlflow", "dvc",
                   "scipy", "threadpoolctl"):
        assert needed in pins, needed
    from importlib.metadata import version

    assert pins["pandas"] == version("pandas")
    # and none of the development tools or the side panel's JupyterLab
    for dev in ("pytest", "playwright", "mypy", "ruff", "jupyterlab", "pytest-jupyter", "pip", "setuptools"):
        assert dev not in pins, dev
    # the spec pins exactly the lock (the runner compares against it)
    tool = pins.pop("mlops_jupyter")
    assert tool == res.spec["tool"]["version"]
    assert res.spec["environment"]["packages"] == pins
    # and the import that resolves to no distribution is named at export
    [unresolved] = [w for w in res.warnings if "not_installed_anywhere" in w]
    assert "mlops_jupyter" not in unresolved  # the tool travels on its own, even from a checkout
    assert "warning: imports that resolve to no installed distribution" in str(res)
    assert res.to_dict()["warnings"] == res.warnings


def test_imported_modules_skips_magics_and_cell_magics() -> None:
    cells = ["%load_ext mlops_jupyter\nimport numpy as np, scipy.stats\nfrom pandas import DataFrame",
             "%%bash\nimport notpython", "x = !ls\nfrom . import local", "if x:\n    import yaml"]
    assert imported_modules(cells) == ["numpy", "scipy", "pandas", "yaml"]


class _FakeDist:
    def __init__(self, version: str, requires: list[str]) -> None:
        self.version = version
        self.requires = requires


def test_closure_evaluates_markers_and_follows_extras() -> None:
    installed: dict[str, Any] = {
        "app": _FakeDist("1.0", ["lib[fast]>=1", "winonly; sys_platform == 'win32'", "devtool; extra == 'test'",
                                 "old; python_version < '3.0'"]),
        "lib": _FakeDist("2.0", ["speedup; extra == 'fast'", "base"]),
        "speedup": _FakeDist("3.0", []), "base": _FakeDist("4.0", []), "winonly": _FakeDist("5.0", []),
        "devtool": _FakeDist("6.0", []), "old": _FakeDist("7.0", []),
    }
    pins, missing = closure([("app", set()), ("ghost", set())], installed)
    assert pins == {"app": "1.0", "base": "4.0", "lib": "2.0", "speedup": "3.0"}
    assert missing == ["ghost"]


def test_tool_wheel_is_deterministic_and_installs_the_running_package(tmp_path: Path) -> None:
    # Given the wheel of the running package, built twice
    name1, data1, version = build_wheel()
    name2, data2, _ = build_wheel()
    # Then it is the same bytes, named with the content digest, without the side panel
    assert data1 == data2 and name1 == name2 == f"mlops_jupyter-{version}-py3-none-any.whl"
    assert version.endswith("+sha." + content_digest().split(":")[1][:12])
    wheel = tmp_path / name1
    wheel.write_bytes(data1)
    names = zipfile.ZipFile(wheel).namelist()
    assert "mlops_jupyter/export/job.schema.json" in names and not any("labextension/" in n for n in names)
    assert not any("__pycache__" in n for n in names)
    # When pip installs it (no dependencies) into a folder
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                           "--target", str(target), str(wheel)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    # Then the installed package has the same content digest as the one that built it
    assert content_digest(target / "mlops_jupyter") == content_digest()
    entry = (target / f"mlops_jupyter-{version}.dist-info" / "entry_points.txt").read_text()
    assert "mlops-jupyter = mlops_jupyter.cli:main" in entry and "mlops_job" in entry


def test_run_refuses_another_tool_or_an_edited_wheel(job_project: Path) -> None:
    make_notebook(["x = 1"], job_project / "nb.ipynb")
    res = mj.export_notebook(job_project / "nb.ipynb", mode="script")
    tool = res.spec["tool"]
    lock = (res.job_dir / "requirements.lock").read_text()
    # the lock installs this exact build: the wheel next to it, pinned by its version
    assert "--find-links ." in lock and f"mlops_jupyter=={tool['version']}" in lock.splitlines()
    wheel = res.job_dir / tool["wheel"]
    assert "sha256:" + hashlib.sha256(wheel.read_bytes()).hexdigest() == tool["wheel_sha256"]
    # Given a job exported by another build of mlops_jupyter
    spec_path = res.job_dir / "job.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["tool"] = {**tool, "digest": "sha256:" + "0" * 64, "version": "0.0.9+sha.000000000000"}
    spec_path.write_text(yaml.safe_dump(spec))
    # When it runs, Then it stops before anything runs, naming both versions (exit 2)
    with pytest.raises(JobError, match=r"exported with mlops_jupyter 0\.0\.9\+sha\.0+; this is mlops_jupyter") as err:
        mj.run_job(res.job_dir)
    assert err.value.exit_code == 2 and "pip install --no-deps -r" in (err.value.hint or "")
    assert not (res.job_dir / "out").exists()
    # Given the right tool but an edited wheel, Then the run is refused too
    spec["tool"] = tool
    spec_path.write_text(yaml.safe_dump(spec))
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    with pytest.raises(JobError, match=r"does not match the sha256 in job\.yaml"):
        mj.run_job(res.job_dir)
