"""``mj.load(path, rev=..., engine="duckdb")``: a relation over the pinned version of a
Parquet folder in a real git + DVC repository."""

from __future__ import annotations

import pandas as pd
import pytest

pytest.importorskip("duckdb")

import mlops_jupyter as mj

from ..conftest import git, make_dvc_project


@pytest.mark.slow
def test_load_pinned_parquet_folder_as_relation(git_project) -> None:
    root = make_dvc_project(git_project)
    folder = root / "data" / "events"
    folder.mkdir()
    pd.DataFrame({"x": [1, 2, 3]}).to_parquet(folder / "a.parquet", index=False)
    pd.DataFrame({"x": [4, 5]}).to_parquet(folder / "b.parquet", index=False)
    mj.pin("data/events", message="v1")
    rev1 = git(root, "rev-parse", "HEAD")
    pd.DataFrame({"x": [6]}).to_parquet(folder / "c.parquet", index=False)
    mj.pin("data/events", message="v2")
    old = mj.load("data/events", rev=rev1, engine="duckdb")
    assert type(old).__name__ == "DuckDBPyRelation"
    assert old.aggregate("count(*), sum(x)").fetchall() == [(5, 15)]
    new = mj.load("data/events", engine="duckdb")
    assert new.aggregate("count(*)").fetchall() == [(6,)]
    rep = mj.validate(old, "rows == 5\nx between 1 and 5")
    assert rep.ok
