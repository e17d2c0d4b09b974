"""A kernel that dies before its first reply (port race) is started again; nothing else is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlops_jupyter.export import runner


def _flaky(fail_times: int, message: str) -> tuple[list[int], Any]:
    calls: list[int] = []

    def fake_execute(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) <= fail_times:
            raise RuntimeError(message)

    return calls, fake_execute


def test_port_race_is_retried(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import papermill

    calls, fake = _flaky(1, "Kernel died before replying to kernel_info")
    monkeypatch.setattr(papermill, "execute_notebook", fake)
    assert runner._execute_notebook(tmp_path / "a.ipynb", tmp_path / "b.ipynb", {}, "python3", tmp_path, None) is None
    assert len(calls) == 2


def test_retries_are_bounded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import papermill

    calls, fake = _flaky(10, "Kernel died before replying to kernel_info")
    monkeypatch.setattr(papermill, "execute_notebook", fake)
    with pytest.raises(RuntimeError):
        runner._execute_notebook(tmp_path / "a.ipynb", tmp_path / "b.ipynb", {}, "python3", tmp_path, None)
    assert len(calls) == runner.KERNEL_START_ATTEMPTS


def test_other_errors_are_not_retried(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import papermill

    calls, fake = _flaky(1, "something else")
    monkeypatch.setattr(papermill, "execute_notebook", fake)
    with pytest.raises(RuntimeError, match="something else"):
        runner._execute_notebook(tmp_path / "a.ipynb", tmp_path / "b.ipynb", {}, "python3", tmp_path, None)
    assert len(calls) == 1
