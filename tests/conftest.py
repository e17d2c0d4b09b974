"""Shared fixtures: an isolated project folder, a real IPython shell, real git repos."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_jupyter.session import session

ISOLATED_VARS = ("MLOPS_ENV", "MLFLOW_TRACKING_URI", "MLOPS_HEADLESS", "CI", "JPY_SESSION_NAME")


@pytest.fixture(autouse=True)
def _isolate_process_state(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every test starts with a fresh session and none of the user's/CI's env overrides."""
    for var in ISOLATED_VARS:
        monkeypatch.delenv(var, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("IPYTHONDIR", str(home / ".ipython"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
    # no machine-wide store template and no background template builds (tests that need
    # them set their own MLOPS_STORE_CACHE)
    monkeypatch.setenv("MLOPS_STORE_CACHE", "off")
    (home / ".gitconfig").write_text("[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n")
    session.reset()
    yield
    _close_tracking()
    session.reset()


def _close_tracking() -> None:
    # End any run a test left open so that buffers are flushed before tmp dirs vanish.
    mod = sys.modules.get("mlops_jupyter.tracking")
    if mod is not None and hasattr(mod, "_reset_for_tests"):
        mod._reset_for_tests()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder as the working directory (embedded default config)."""
    root = tmp_path / "proj"
    root.mkdir()
    monkeypatch.chdir(root)
    return root


def git(root: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True)
    return out.stdout.strip()


@pytest.fixture
def git_project(project: Path) -> Path:
    """A project that is a real git repository with one commit."""
    git(project, "init", "-q")
    (project / "README.md").write_text("demo\n")
    git(project, "add", "README.md")
    git(project, "commit", "-q", "-m", "init")
    return project


DVC = str(Path(sys.executable).with_name("dvc"))


def make_dvc_project(root: Path, toml: str | None = None, default_remote: bool = False) -> Path:
    """Turn a git repo into a DVC repo with a local-folder remote 'local' next to it,
    ``.mlops/`` ignored, an empty ``data/`` and, if given, ``mlops.toml``; committed."""
    remote = root.parent / "remote"
    remote.mkdir()
    subprocess.run([DVC, "init", "-q"], cwd=root, check=True, capture_output=True)
    subprocess.run([DVC, "remote", "add", *(["-d"] if default_remote else []), "local", str(remote)],
                   cwd=root, check=True, capture_output=True)
    if toml is not None:
        (root / "mlops.toml").write_text(toml)
    (root / ".gitignore").write_text(".mlops/\n")
    (root / "data").mkdir()
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "dvc init")
    return root


@pytest.fixture
def ip(project: Path) -> Iterator[object]:
    """A real IPython shell with ``%load_ext mlops_jupyter`` done, in ``project``."""
    from IPython.testing import globalipapp

    globalipapp.start_ipython()  # creates the shell once per process; later calls return None
    shell = globalipapp.get_ipython()
    assert shell is not None
    shell.run_line_magic("load_ext", "mlops_jupyter")
    session.interactive = True
    yield shell
    shell.run_line_magic("unload_ext", "mlops_jupyter")


@pytest.fixture
def python() -> str:
    """The interpreter of this venv, for subprocess tests."""
    return sys.executable


def env_without_overrides() -> dict[str, str]:
    env = dict(os.environ)
    for var in ISOLATED_VARS:
        env.pop(var, None)
    return env
