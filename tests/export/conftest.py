"""Fixtures for export tests: a git project with an mlops.toml (SQLite store in tmp)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import git

MLOPS_TOML = """experiment = "jobs"
default_env = "dev"
[env.dev]
tracking_uri = "sqlite:///.mlops/mlflow.db"
[env.prod]
tracking_uri = "sqlite:///.mlops/mlflow.db"
interactive = "read-only"
"""


@pytest.fixture
def job_project(git_project: Path) -> Path:
    """A git project with dev/prod profiles tracking to SQLite under .mlops/."""
    (git_project / "mlops.toml").write_text(MLOPS_TOML)
    (git_project / ".gitignore").write_text(".mlops/\njobs/*/out/\n")
    git(git_project, "add", "mlops.toml", ".gitignore")
    git(git_project, "commit", "-q", "-m", "config")
    return git_project
