"""Names on a magic line resolve the same way in every magic: variable, else file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest


@pytest.mark.parametrize("line", ["%drift ref missing", "%mlops_promote m --candidate 1 --eval missing"])
def test_unknown_names_are_one_line_usage_errors(ip: Any, line: str, capsys: pytest.CaptureFixture[str]) -> None:
    ip.user_ns["ref"] = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    result = ip.run_cell(line)
    text = "".join(capsys.readouterr())
    assert result.error_in_exec is not None
    assert "no variable or file named 'missing'" in text
    assert "Traceback" not in text


def test_variable_wins_over_file_and_quoted_is_a_path(ip: Any, project: Path) -> None:
    from mlops_jupyter.magics._common import resolve_data

    frame = pd.DataFrame({"x": [1]})
    ip.user_ns["data.csv"] = frame  # not an identifier, but a key all the same
    (project / "data.csv").write_text("x\n1\n")
    assert resolve_data(ip, "data.csv") is frame
    assert resolve_data(ip, "'data.csv'") == "data.csv"
    del ip.user_ns["data.csv"]
    assert resolve_data(ip, "data.csv") == "data.csv"
