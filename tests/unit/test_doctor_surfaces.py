"""``mj.doctor()`` and ``%mlops_doctor``: the same report as ``mlops-jupyter doctor``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError

import mlops_jupyter as mj
from mlops_jupyter.cli import main


def test_api_doctor_is_the_cli_report(git_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = mj.doctor()
    assert main(["doctor", "--json"]) == 0
    assert report.to_dict() == json.loads(capsys.readouterr().out)
    assert report.ok and {c.name for c in report.checks} >= {"config", "git", "dvc", "tracking store"}


def test_doctor_stays_callable_after_the_cli_imported_its_module(git_project: Path) -> None:
    main(["doctor"])  # imports the module behind mj.doctor; a submodule named doctor would shadow it
    assert callable(mj.doctor) and mj.doctor().ok


def test_magic_shows_the_report_and_fails_nothing(ip: Any, project: Path) -> None:
    (project / "mlops.toml").write_text('[env.dev]\ntracking_uri = "http://127.0.0.1:9"\n')
    report = ip.run_line_magic("mlops_doctor", "")
    assert not report.ok
    assert "unreachable" in str(report) and "mlops doctor" in report._repr_html_()


def test_magic_refuses_arguments(ip: Any) -> None:
    with pytest.raises(UsageError):
        ip.run_line_magic("mlops_doctor", "--frobnicate")
