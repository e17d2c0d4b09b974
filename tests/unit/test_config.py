"""Config as code: discovery, profiles, overrides, errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_jupyter.config import load_config, mask_secret
from mlops_jupyter.errors import ConfigError, ReadOnlyEnvironment, UnknownEnvironment
from mlops_jupyter.session import session

CONFIG = """
experiment = "churn"
default_env = "dev"
[env.dev]
tracking_uri = "sqlite:///.mlops/mlflow.db"
dvc_remote = "local"
[env.prod]
tracking_uri = "http://user:s3cret@mlflow.internal:5000"
interactive = "read-only"
"""


def test_embedded_default_without_config(project: Path) -> None:
    cfg = load_config(project)
    profile = cfg.profile("dev")
    assert cfg.source is None
    assert profile.tracking_uri == f"sqlite:///{project / '.mlops' / 'mlflow.db'}"
    assert profile.sources["tracking_uri"] == "embedded default"


def test_config_found_walking_up_and_sqlite_relative_to_root(project: Path) -> None:
    (project / "mlops.toml").write_text(CONFIG)
    sub = project / "notebooks" / "deep"
    sub.mkdir(parents=True)
    cfg = load_config(sub)
    assert cfg.root == project
    assert cfg.experiment == "churn"
    assert cfg.profile("dev").tracking_uri == f"sqlite:///{project.resolve() / '.mlops' / 'mlflow.db'}"


def test_pyproject_table(project: Path) -> None:
    (project / "pyproject.toml").write_text('[project]\nname="x"\n[tool.mlops_jupyter]\nexperiment = "fromtoml"\n')
    cfg = load_config(project)
    assert cfg.experiment == "fromtoml"
    assert "tool.mlops_jupyter" in cfg.describe_source()


def test_unknown_key_names_it_and_suggests(project: Path) -> None:
    (project / "mlops.toml").write_text('[env.dev]\ntraking_uri = "sqlite:///x.db"\n')
    with pytest.raises(ConfigError) as err:
        load_config(project)
    assert "traking_uri" in err.value.message
    assert err.value.hint == "did you mean 'tracking_uri'?"


def test_unknown_top_level_key(project: Path) -> None:
    (project / "mlops.toml").write_text('experimnt = "x"\n')
    with pytest.raises(ConfigError, match="experimnt"):
        load_config(project)


def test_invalid_toml_is_one_clear_error(project: Path) -> None:
    (project / "mlops.toml").write_text("experiment = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(project)


def test_unknown_profile(project: Path) -> None:
    (project / "mlops.toml").write_text(CONFIG)
    with pytest.raises(UnknownEnvironment) as err:
        session.use_env("staging")
    assert "dev, prod" in (err.value.hint or "")
    assert session.env_override is None


def test_env_vars_override_file(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "mlops.toml").write_text(CONFIG)
    monkeypatch.setenv("MLOPS_ENV", "prod")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:1")
    profile = session.profile()
    assert profile.name == "prod"
    assert profile.tracking_uri == "http://127.0.0.1:1"
    assert profile.sources["tracking_uri"] == "MLFLOW_TRACKING_URI"
    assert session.env_name()[1] == "MLOPS_ENV"


def test_session_switch_beats_env_var(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "mlops.toml").write_text(CONFIG)
    monkeypatch.setenv("MLOPS_ENV", "prod")
    session.use_env("dev")
    assert session.profile().name == "dev"


def test_read_only_refuses_interactive_writes_only(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "mlops.toml").write_text(CONFIG)
    session.use_env("prod")
    session.interactive = True
    with pytest.raises(ReadOnlyEnvironment, match="read-only"):
        session.require_write("start a run")
    monkeypatch.setenv("MLOPS_HEADLESS", "1")
    assert session.require_write("start a run").name == "prod"


def test_secrets_masked() -> None:
    assert mask_secret("postgresql://u:pw@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert mask_secret("sqlite:///x.db") == "sqlite:///x.db"


def test_config_reloaded_when_file_changes(project: Path) -> None:
    (project / "mlops.toml").write_text('experiment = "a"\n')
    assert session.config().experiment == "a"
    (project / "mlops.toml").write_text('experiment = "bb"\n')
    assert session.config().experiment == "bb"


def test_config_written_after_the_first_read_is_noticed(project: Path) -> None:
    assert session.config().source is None  # no config yet: the embedded default
    sub = project / "notebooks"
    sub.mkdir()
    session.start_dir = sub
    try:
        assert session.config().source is None
        (project / "pyproject.toml").write_text('[project]\nname = "x"\n')  # no table of ours: still none
        assert session.config().source is None
        (project / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.mlops_jupyter]\nexperiment = "from-pyproject"\n')
        assert session.config().experiment == "from-pyproject"
        (sub / "mlops.toml").write_text('experiment = "nearest"\n')  # nearer to the notebook: wins
        assert session.config().experiment == "nearest"
        (sub / "mlops.toml").unlink()
        assert session.config().experiment == "from-pyproject"
    finally:
        session.start_dir = None
