"""The CLI options added as twins of the magics' (validate, drift, export) and the renamed
options that still work with a warning."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

from mlops_jupyter.cli import main
from mlops_jupyter.errors import MlopsUsageError


@pytest.fixture
def frames(project: Path) -> Path:
    pd.DataFrame({"id": [1, 2, 3], "price": [1.0, 2.0, -3.0]}).to_csv(project / "data.csv", index=False)
    return project


def test_validate_rules_as_text_or_as_file(frames: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "data.csv", "--rules", "price > 0", "--json"]) == 1
    as_text = json.loads(capsys.readouterr().out)
    (frames / "rules.txt").write_text("price > 0\n")
    assert main(["validate", "data.csv", "--rules", "rules.txt", "--json"]) == 1
    as_file = json.loads(capsys.readouterr().out)
    assert as_text["failed"] == as_file["failed"] == 1


def test_validate_rules_naming_a_missing_file_is_clear(frames: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "data.csv", "--rules", "nope.txt"]) == 2
    assert capsys.readouterr().err.startswith("DataError: no rules file nope.txt")


def test_validate_warn_only_exits_0(frames: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "data.csv", "--rules", "price > 0", "--warn-only"]) == 0
    assert "price > 0" in capsys.readouterr().out


def test_validate_save_then_suite(frames: Path) -> None:
    assert main(["validate", "data.csv", "--rules", "id is unique", "--save", "ids"]) == 0
    assert main(["validate", "data.csv", "--suite", "ids"]) == 0


def test_validate_infer_saves_a_suite_the_data_passes(frames: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "data.csv", "--infer", "inferred"]) == 0
    assert "saved suite 'inferred'" in capsys.readouterr().out
    assert main(["validate", "data.csv", "--suite", "inferred"]) == 0


def test_validate_metrics_of_a_run(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import mlops_jupyter as mj

    with mj.track(name="m") as run:
        mj.log({"accuracy": 0.8})
    assert main(["validate", "--metrics", "--rules", "accuracy >= 0.9", "--run", run.run_id]) == 1
    assert main(["validate", "--metrics", "--rules", "accuracy >= 0.7", "--run", run.run_id]) == 0
    capsys.readouterr()
    assert main(["validate", "--metrics", "--rules", "accuracy >= 0.7"]) == 2
    assert "--run RUN_ID" in capsys.readouterr().err


def test_validate_usage_errors_are_the_magics(frames: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "data.csv", "--infer", "x", "--suite", "y"]) == 2
    assert "use it alone" in capsys.readouterr().err
    assert main(["validate", "data.csv"]) == 2
    assert "nothing to check" in capsys.readouterr().err


def test_drift_per_column(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pd.DataFrame({"a": range(100), "b": [0.0] * 100}).to_csv(project / "ref.csv", index=False)
    pd.DataFrame({"a": range(100), "b": [0.0] * 100}).to_csv(project / "cur.csv", index=False)
    assert main(["drift", "ref.csv", "cur.csv", "--per-column", "a=psi:0.3", "--json"]) == 0
    cols = {c["column"]: c for c in json.loads(capsys.readouterr().out)["columns"]}
    assert cols["a"]["method"] == "psi" and cols["a"]["threshold"] == 0.3
    assert main(["drift", "ref.csv", "cur.csv", "--per-column", "a"]) == 2
    assert "COL=METHOD" in capsys.readouterr().err


def test_export_gate_is_a_deprecated_alias_of_thresholds() -> None:
    from argparse import Namespace

    from mlops_jupyter.export.options import export_kwargs

    base = {"target": None, "mode": None, "out": None, "schedule": None, "source_run": None,
            "rehearse": False, "strict": False}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = export_kwargs(Namespace(**base, thresholds=["acc=>=0.9"], gate=None))
    with pytest.warns(FutureWarning, match="--gate is deprecated, use --thresholds"):
        old = export_kwargs(Namespace(**base, thresholds=[], gate=["acc=>=0.9"]))
    assert new["thresholds"] == old["thresholds"] == {"acc": ">=0.9"}


def test_export_notebook_profile_is_a_deprecated_alias_of_env(project: Path) -> None:
    import mlops_jupyter as mj

    with pytest.warns(FutureWarning, match="profile= is deprecated, use env="), \
            pytest.raises(Exception, match="no notebook"):
        mj.export_notebook(project / "missing.ipynb", profile="dev")
    with pytest.raises(MlopsUsageError, match="give env= only"):
        mj.export_notebook(project / "missing.ipynb", profile="dev", env="dev")
