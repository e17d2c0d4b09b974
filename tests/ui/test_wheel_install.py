"""The wheel ships the prebuilt side panel: after installing it (no node needed), JupyterLab
lists the labextension as enabled and the server extension as enabled."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def _section(listing: str, header: str) -> list[str]:
    """Lines listed under one directory header of `jupyter ... list` output."""
    lines = listing.splitlines()
    out: list[str] = []
    inside = False
    for line in lines:
        if not line.startswith((" ", "\t")) and line.strip():
            inside = line.strip().startswith(header)
            continue
        if inside:
            out.append(line)
    return out


def test_wheel_install_lists_extension_enabled(tmp_path: Path) -> None:
    # Given a wheel built from the source tree (the build hook builds the panel)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", str(wheels)],
        check=True, timeout=600,
    )
    wheel = next(wheels.glob("mlops_jupyter-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    shared = [n for n in names if "/data/share/jupyter/labextensions/mlops-jupyter/" in n]
    assert any(n.endswith("/package.json") for n in shared)
    assert any(n.endswith("/static/style.js") for n in shared)
    assert any(n.endswith("etc/jupyter/jupyter_server_config.d/mlops_jupyter.json") for n in names)
    # When it is installed into its own prefix
    prefix = tmp_path / "prefix"
    subprocess.run(
        # --ignore-installed: never uninstall the venv's own (editable) mlops_jupyter
        [sys.executable, "-m", "pip", "install", "--no-deps", "--ignore-installed", "-q",
         "--prefix", str(prefix), str(wheel)],
        check=True, timeout=300,
    )
    site = next(prefix.glob("lib/python*/site-packages"))
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(site),
        JUPYTER_PATH=str(prefix / "share" / "jupyter"),
        JUPYTER_CONFIG_PATH=str(prefix / "etc" / "jupyter"),
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
    )
    lab = subprocess.run(
        [str(VENV_BIN / "jupyter"), "labextension", "list"], env=env, cwd=tmp_path, capture_output=True, text=True,
        timeout=120,
    )
    probe = (
        "from jupyter_server.extension.config import ExtensionConfigManager as M; import sys; "
        "print(M(read_config_path=[sys.argv[1]]).get_jpserver_extensions()); "
        "import mlops_jupyter; print(mlops_jupyter.__file__)"
    )
    server = subprocess.run(
        [sys.executable, "-c", probe, str(prefix / "etc" / "jupyter")], env=env, cwd=tmp_path, capture_output=True, text=True,
        timeout=120,
    )
    # Then the prefix's labextensions folder holds mlops-jupyter, enabled and OK
    lab_text = lab.stdout + lab.stderr
    ours = _section(lab_text, str(prefix / "share" / "jupyter" / "labextensions"))
    line = next((ln for ln in ours if "mlops-jupyter" in ln), "")
    assert "enabled" in line and "OK" in line, lab_text
    # And the server extension is enabled by the config file the wheel installed, and the
    # package imported is the wheel's
    assert server.returncode == 0, server.stderr
    enabled, location = server.stdout.splitlines()[-2:]
    assert enabled == "{'mlops_jupyter': True}"
    assert location.startswith(str(site))
    # And the development install of the venv is still there
    still = subprocess.run([sys.executable, "-c", "import mlops_jupyter; print(mlops_jupyter.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert still.stdout.strip() == str(REPO / "mlops_jupyter" / "__init__.py")
