"""Parity of every drift method on pandas and DuckDB, summaries computed in the engine."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("duckdb")

import mlops_jupyter as mj
from mlops_jupyter.drift_detection.stats import METHODS
from mlops_jupyter.engines import sqldrift


def _frame(n: int, shift: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1, n)
    x[:5] = np.nan
    x[5] = np.inf
    return pd.DataFrame({
        "x": x,
        "k": rng.integers(0, 4 + int(shift), n),                      # integer, few values: categorical
        "c": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3 - shift / 10, 0.2 + shift / 10]),
        "flag": rng.random(n) < 0.3 + shift / 5,
        "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 86400 * (30 + int(10 * shift)), n), unit="s"),
    })


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    d = tmp_path_factory.mktemp("drift")
    ref, cur = d / "ref.parquet", d / "cur.parquet"
    _frame(800, 0.0, 1).to_parquet(ref, index=False)
    _frame(900, 0.4, 2).to_parquet(cur, index=False)
    return str(ref), str(cur)


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize("method", ["auto", "robust", *METHODS])
def test_every_method_same_numbers(files: tuple[str, str], method: str) -> None:
    ref, cur = files
    p = mj.drift(pd.read_parquet(ref), pd.read_parquet(cur), method=method, record_check=False)
    d = mj.drift(ref, cur, method=method, engine="duckdb", record_check=False)
    assert [c.column for c in p.columns] == [c.column for c in d.columns]
    for a, b in zip(p.columns, d.columns, strict=True):
        where = f"{method} on {a.column}: pandas {a.status} {a.why!r} / duckdb {b.status} {b.why!r}"
        assert (a.kind, a.method, a.status, a.n_ref, a.n_cur, a.null_ref, a.inf_cur) == \
               (b.kind, b.method, b.status, b.n_ref, b.n_cur, b.null_ref, b.inf_cur), where
        for field in ("statistic", "p_value", "score", "effect", "p_adjusted"):
            assert _same(getattr(a, field), getattr(b, field)), f"{field}: {where}"
    assert p.drifted == d.drifted


def test_timeline_in_engine_same_windows(files: tuple[str, str]) -> None:
    _, cur = files
    p = mj.drift(pd.read_parquet(cur), by="ts", freq="W", method="psi", record_check=False)
    d = mj.drift(cur, by="ts", freq="W", method="psi", engine="duckdb", record_check=False)
    assert [(w.label, w.n_rows, w.is_reference, w.too_small) for w in p.windows] == \
           [(w.label, w.n_rows, w.is_reference, w.too_small) for w in d.windows]
    tested = [(a, b) for a, b in zip(p.windows, d.windows, strict=True) if a.report is not None]
    assert len(tested) >= 3
    for a, b in tested:
        assert b.report is not None
        assert [(c.column, c.status) for c in a.report.columns] == [(c.column, c.status) for c in b.report.columns]
        assert all(_same(x.score, y.score) for x, y in zip(a.report.columns, b.report.columns, strict=True))


def test_sketch_above_the_exact_limit_says_so(files: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    ref, cur = files
    monkeypatch.setattr(sqldrift, "EXACT_MAX_VALUES", 100)
    monkeypatch.setattr(sqldrift, "SKETCH_VALUES", 400)
    d = mj.drift(ref, cur, columns=["x", "c"], method="ks", engine="duckdb", record_check=False)
    x = d.columns[0]
    assert 300 < x.n_ref < 500 and f"uniform sample of {x.n_ref} of 794 values" in x.why and "DKW" in x.why
    assert "sample" not in d.columns[1].why  # categorical counts stay exact
    assert sqldrift.dkw_bound(1_000_000) == pytest.approx(0.0019, abs=1e-4)
