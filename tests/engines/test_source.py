"""Engine detection and the optional-dependency error (no duckdb or pyspark needed)."""

from __future__ import annotations

import pandas as pd
import pytest

from mlops_jupyter.engines import source
from mlops_jupyter.errors import DependencyMissing, MlopsUsageError


def test_detection(tmp_path) -> None:
    df = pd.DataFrame({"a": [1]})
    assert source.detect_engine(df) == "pandas"
    assert source.detect_engine(str(tmp_path / "x.parquet")) == "pandas"  # a single file: in memory, as before
    assert source.detect_engine(str(tmp_path)) == "duckdb"  # a folder
    assert source.detect_engine(str(tmp_path / "*.parquet")) == "duckdb"  # a glob
    assert source.detect_engine(df, "duckdb") == "duckdb"
    with pytest.raises(MlopsUsageError, match="unknown engine 'polars'"):
        source.detect_engine(df, "polars")


def test_missing_extra_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_engines(name: str):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(source.importlib, "import_module", no_engines)
    with pytest.raises(DependencyMissing) as err:
        source.require("duckdb")
    assert err.value.hint == "pip install 'mlops-jupyter[duckdb]'"
    with pytest.raises(DependencyMissing, match="needs pyspark") as err:
        source.require("pyspark")
    assert "[spark]" in (err.value.hint or "")
