"""%mlops_env in a real IPython shell, and how errors render there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlops_jupyter.session import session

CONFIG = """
default_env = "dev"
[env.dev]
dvc_remote = "local"
[env.staging]
tracking_uri = "sqlite:///.mlops/staging.db"
[env.prod]
tracking_uri = "sqlite:///.mlops/prod.db"
interactive = "read-only"
"""


def test_shows_active_profile_and_source(ip: Any, project: Path) -> None:
    (project / "mlops.toml").write_text(CONFIG)
    view = ip.run_line_magic("mlops_env", "")
    assert view.profile.name == "dev"
    html = view._repr_html_()
    assert "dev" in html and "staging" in html and "mlops.toml" in html
    assert "embedded default" in str(view)  # tracking_uri comes from the default


def test_switch_changes_profile(ip: Any, project: Path) -> None:
    (project / "mlops.toml").write_text(CONFIG)
    view = ip.run_line_magic("mlops_env", "staging")
    assert view.profile.name == "staging"
    assert session.profile().tracking_uri.endswith("/.mlops/staging.db")
    assert "%mlops_env" in view.chosen_by


def test_prod_is_read_only_in_kernel(ip: Any, project: Path) -> None:
    (project / "mlops.toml").write_text(CONFIG)
    view = ip.run_line_magic("mlops_env", "prod")
    assert "read-only" in view.rights()


def test_unknown_profile_renders_one_line_with_hint(ip: Any, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "mlops.toml").write_text(CONFIG)
    result = ip.run_cell("%mlops_env nosuch")
    out = capsys.readouterr()
    text = out.out + out.err
    assert result.error_in_exec is not None
    assert "UnknownEnvironment: no environment profile 'nosuch'" in text
    assert "hint: profiles defined in" in text
    assert "Traceback" not in text
    assert session.profile().name == "dev"


def test_bad_arguments_are_usage_errors(ip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    result = ip.run_cell("%mlops_env a b")
    text = "".join(capsys.readouterr())
    assert result.error_in_exec is not None
    assert "UsageError" in text
    assert "Traceback" not in text


def test_help_is_the_parser(ip: Any) -> None:
    doc = ip.find_line_magic("mlops_env").__doc__
    assert "--list" in doc and "profile to switch to" in doc


def test_config_error_renders_without_traceback(ip: Any, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "mlops.toml").write_text('[env.dev]\ntracking_url = "x"\n')
    ip.run_cell("%mlops_env")
    text = "".join(capsys.readouterr())
    assert "ConfigError: unknown key 'tracking_url'" in text
    assert "did you mean 'tracking_uri'?" in text
    assert "Traceback" not in text
