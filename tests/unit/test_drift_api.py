"""mj.drift: test choice, verdicts, edge cases, windows, reference reuse, figures, CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.data
import pytest

import mlops_jupyter as mj
from mlops_jupyter.drift_detection import DriftReport, DriftTimeline
from mlops_jupyter.errors import DataError, DriftDetected, MlopsUsageError

RNG = np.random.default_rng(11)


def frame(n: int, shift: float = 0.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "num": rng.normal(shift, 1, n),
        "few": rng.integers(0, 4, n).astype(float),  # float with 4 values
        "small_int": rng.integers(0, 8, n),  # integer with <= 10 values
        "binary": rng.choice(["yes", "no"], n),
        "cat": rng.choice(list("abcdef"), n),
        "flag": rng.random(n) < 0.3,
        "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), unit="h"),
    })


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (500, {"num": "ks", "few": "chisquare", "small_int": "chisquare", "binary": "z", "cat": "chisquare",
               "flag": "z", "when": "ks"}),
        (3000, {"num": "wasserstein", "few": "jensenshannon", "small_int": "jensenshannon", "binary": "jensenshannon",
                "cat": "jensenshannon", "flag": "jensenshannon", "when": "wasserstein"}),
    ],
)
def test_auto_chooses_evidentlys_test_for_each_branch(n: int, expected: dict[str, str]) -> None:
    rep = mj.drift(frame(n), frame(n, seed=1), record_check=False)
    assert {c.column: c.method for c in rep.columns} == expected
    for c in rep.columns:
        assert c.why and c.status in ("ok", "drift")
    assert rep.column("small_int").why.count("categorical") == 1
    assert rep.column("flag").kind == "boolean" and rep.column("when").kind == "datetime"


def test_auto_flags_real_drift_and_dataset_verdict_at_half() -> None:
    ref, cur = frame(2000), frame(2000, shift=1.0, seed=3)
    cur["cat"] = "a"
    rep = mj.drift(ref, cur, record_check=False)
    assert set(rep.drifted_columns) == {"num", "cat"}
    assert rep.share == pytest.approx(2 / 7) and not rep.drifted and rep.ok
    rep2 = mj.drift(ref, cur, columns=["num", "cat", "few"], record_check=False)
    assert rep2.drifted and not rep2.ok and rep2.share == pytest.approx(2 / 3)
    d = rep2.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["drifted"] is True and d["share"] == pytest.approx(2 / 3)


def test_named_method_and_per_column_override_and_threshold() -> None:
    ref, cur = frame(800), frame(800, shift=0.2, seed=2)
    rep = mj.drift(ref, cur, columns=["num", "cat"], method="psi", per_column={"cat": ("chi2", 0.01)}, record_check=False)
    assert rep.column("num").method == "psi" and rep.column("num").threshold == 0.1
    assert rep.column("cat").method == "chisquare" and rep.column("cat").threshold == 0.01
    with pytest.raises(MlopsUsageError, match="unknown drift method"):
        mj.drift(ref, cur, method="nope", record_check=False)


def test_numeric_only_method_on_category_is_skipped_with_reason() -> None:
    rep = mj.drift(frame(100), frame(100, seed=1), columns=["cat"], method="ks", record_check=False)
    c = rep.column("cat")
    assert c.status == "skipped" and "numeric" in c.reason and not c.drifted
    assert rep.share is None and rep.undetermined


def gapminder() -> tuple[pd.DataFrame, pd.DataFrame]:
    g = plotly.data.gapminder()
    cols = ["continent", "lifeExp", "pop", "gdpPercap"]
    return g[g.year == 1952][cols], g[g.year == 2007][cols]


def test_robust_catches_real_drift_gapminder_and_shows_auto_verdict() -> None:
    ref, cur = gapminder()
    rep = mj.drift(ref, cur, method="robust", record_check=False)
    assert set(rep.drifted_columns) == {"lifeExp", "pop", "gdpPercap"}
    assert rep.drifted
    for c in rep.columns:
        assert c.auto_drifted is not None and c.p_adjusted is not None
    assert "auto (Evidently)" in rep._repr_html_()


@pytest.mark.parametrize("seed", range(5))
def test_robust_does_not_alarm_on_random_halves(seed: int) -> None:
    import sklearn.datasets

    wine = sklearn.datasets.load_wine(as_frame=True).frame
    idx = np.random.default_rng(seed).permutation(len(wine))
    half = len(wine) // 2
    rep = mj.drift(wine.iloc[idx[:half]], wine.iloc[idx[half:]], method="robust", record_check=False)
    assert rep.drifted_columns == [] and not rep.drifted


def test_robust_ignores_tiny_shift_at_500k_rows_where_p_values_cry_wolf() -> None:
    n = 500_000
    ref = pd.DataFrame({"x": RNG.normal(0, 1, n)})
    cur = pd.DataFrame({"x": RNG.normal(0.02, 1, n)})
    ks = mj.drift(ref, cur, method="ks", record_check=False)
    assert ks.column("x").drifted  # significant...
    rob = mj.drift(ref, cur, method="robust", record_check=False)
    assert not rob.column("x").drifted and rob.column("x").p_value < 1e-6  # ...but tiny
    big = mj.drift(ref, pd.DataFrame({"x": RNG.normal(0.5, 1, n)}), method="robust", record_check=False)
    assert big.column("x").drifted


def test_nulls_are_excluded_counted_and_their_rate_is_a_signal() -> None:
    ref = pd.DataFrame({"x": RNG.normal(size=1000), "y": RNG.normal(size=1000)})
    cur = ref.copy()
    cur.loc[:399, "x"] = np.nan
    cur.loc[:9, "y"] = np.nan
    rep = mj.drift(ref, cur, record_check=False)
    x, y = rep.column("x"), rep.column("y")
    assert x.null_cur == 400 and x.n_cur == 600 and x.null_drifted and x.drifted
    assert x.verdict() in ("drift", "null drift")
    assert y.null_cur == 10 and not y.null_drifted and y.p_value is not None and not math.isnan(y.p_value)


def test_all_null_empty_constant_single_category_inf_are_defined() -> None:
    ref = pd.DataFrame({
        "all_null_cur": RNG.normal(size=200), "all_null_both": [np.nan] * 200,
        "const": [1.5] * 200, "const_moved": [1.0] * 200, "single": ["a"] * 200,
        "one_sided": ["a", "b"] * 100, "inf": RNG.normal(size=200),
    })
    cur = ref.copy()
    cur["all_null_cur"] = np.nan
    cur["const_moved"] = 2.0
    cur["one_sided"] = ["a", "c"] * 100
    cur.loc[:4, "inf"] = np.inf
    rep = mj.drift(ref, cur, record_check=False)
    c = {col.column: col for col in rep.columns}
    assert c["all_null_cur"].status == "skipped" and c["all_null_cur"].null_drifted and c["all_null_cur"].drifted
    assert c["all_null_both"].status == "skipped" and not c["all_null_both"].drifted
    assert "either side" in c["all_null_both"].reason
    assert c["const"].status == "ok" and c["const"].p_value == 1.0
    assert c["const_moved"].drifted
    assert c["single"].status == "ok" and c["single"].p_value == 1.0
    # a label on one side only is an ordinary cell of the two-sample table: tiny p, not p = 0
    assert c["one_sided"].drifted and c["one_sided"].p_value < 1e-20
    assert c["inf"].inf_cur == 5 and "inf" in c["inf"].reason and c["inf"].n_cur == 195
    for col in rep.columns:  # never a NaN statistic presented as "no drift"
        if col.status == "ok":
            assert col.score is not None and not math.isnan(col.score)
    json.dumps(rep.to_dict(), allow_nan=False)
    str(rep)
    rep._repr_html_()


def test_empty_current_frame_gives_skips_not_no_drift() -> None:
    ref = frame(100)
    rep = mj.drift(ref, ref.iloc[:0], record_check=False)
    assert all(c.status == "skipped" and c.reason == "current has no rows" for c in rep.columns)
    assert rep.undetermined and rep.share is None
    assert "undetermined" in str(rep)


def test_text_and_missing_columns_are_reported_not_tested() -> None:
    ref = pd.DataFrame({"id": [f"user-{i}" for i in range(300)], "x": RNG.normal(size=300)})
    cur = pd.DataFrame({"id": [f"user-{i}" for i in range(300, 600)]})
    rep = mj.drift(ref, cur, record_check=False)
    assert rep.column("id").kind == "text" and rep.column("id").status == "skipped"
    assert rep.column("x").reason == "column missing in current"
    with pytest.raises(MlopsUsageError):
        mj.drift(ref, cur, columns=["nope"], record_check=False)


def test_prediction_and_target_are_reported_apart() -> None:
    ref, cur = frame(600), frame(600, seed=5)
    ref["pred"], cur["pred"] = RNG.normal(size=600), RNG.normal(2, 1, 600)
    ref["y"], cur["y"] = ref["binary"], cur["binary"]
    rep = mj.drift(ref, cur, columns=["num"], prediction="pred", target="y", record_check=False)
    assert [c.column for c in rep.columns] == ["num"]
    assert rep.prediction is not None and rep.prediction.drifted
    assert rep.target is not None and rep.target.role == "target"
    assert rep.drifted and not rep.dataset_drifted


def test_reference_summary_is_reused_with_same_result() -> None:
    ref, cur = frame(3000), frame(3000, shift=0.3, seed=9)
    summary = mj.summarize_reference(ref)
    a = mj.drift(ref, cur, record_check=False).to_dict()
    b = mj.drift(summary, cur, record_check=False).to_dict()
    for x, y in zip(a["columns"], b["columns"], strict=True):
        assert x["score"] == pytest.approx(y["score"]) and x["verdict"] == y["verdict"]


def test_windows_over_time_with_reference_and_first_window_default() -> None:
    days = pd.date_range("2024-01-01", periods=60, freq="D")
    rows = []
    for i, d in enumerate(days):
        if 21 <= i < 28:
            continue  # an empty week
        shift = 3.0 if i >= 42 else 0.0
        rows.append(pd.DataFrame({"t": d, "x": RNG.normal(shift, 1, 50), "c": RNG.choice(list("ab"), 50)}))
    cur = pd.concat(rows, ignore_index=True)
    tl = mj.drift(cur, by="t", freq="W", record_check=False)
    assert isinstance(tl, DriftTimeline)
    assert tl.windows[0].reason == "reference window"
    assert any(w.reason == "no rows in this window" for w in tl.windows)
    assert tl.drifted and tl.drifted_windows[0] >= "2024-02-1"
    ref = cur[cur.t < "2024-01-15"]
    tl2 = mj.drift(ref.drop(columns="t"), cur, by="t", freq="M", record_check=False)
    assert [w.label for w in tl2.windows] == ["2024-01", "2024-02"]
    assert tl2.to_frame().loc["2024-02", "drifted"]
    json.dumps(tl2.to_dict(), allow_nan=False)
    assert "windows drifted" in str(tl2) and "<table" in tl2._repr_html_()
    fig = tl2.figure()
    assert len(fig.data) == 3


def test_fail_raises_drift_detected_with_report() -> None:
    ref, cur = gapminder()
    with pytest.raises(DriftDetected) as info:
        mj.drift(ref, cur, fail=True, record_check=False)
    assert isinstance(info.value.report, DriftReport) and info.value.report.drifted
    assert "lifeExp" in info.value.one_line()


def test_figure_from_a_million_rows_is_small() -> None:
    n = 1_000_000
    ref = pd.DataFrame({"x": RNG.normal(size=n), "c": RNG.choice([f"k{i}" for i in range(500)], n)})
    cur = pd.DataFrame({"x": RNG.normal(0.1, 1, n), "c": RNG.choice([f"k{i}" for i in range(500)], n)})
    rep = mj.drift(ref, cur, record_check=False)
    sizes = [len(rep.figure().to_json()), len(rep.distribution_figure("x").to_json()),
             len(rep.distribution_figure("c").to_json()), len(rep._repr_html_())]
    assert max(sizes) < 200_000, sizes


def test_check_history_records_each_report(project: Path) -> None:
    from mlops_jupyter.checks import latest_checks

    ref, cur = gapminder()
    mj.drift(ref, cur, name="gapminder 1952 vs 2007")
    [entry] = latest_checks()
    assert entry["kind"] == "drift" and entry["name"] == "gapminder 1952 vs 2007" and entry["ok"] is False
    assert set(entry["summary"]["drifted_columns"]) == {"lifeExp", "pop", "gdpPercap"}


def test_paths_and_cli(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mlops_jupyter.cli import main

    ref, cur = gapminder()
    ref.to_csv("ref.csv", index=False)
    cur.to_parquet("cur.parquet")
    rep = mj.drift("ref.csv", "cur.parquet", record_check=False)
    assert rep.drifted and rep.name == "ref.csv vs cur.parquet"
    assert main(["drift", "ref.csv", "cur.parquet", "--json", "--fail"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["drifted"] is True and out["ok"] is False
    assert main(["drift", "ref.csv", "ref.csv", "--fail"]) == 0
    assert "no drift" in capsys.readouterr().out
    assert main(["drift", "ref.csv", "missing.csv"]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["drift", "ref.csv", "cur.parquet", "--method", "bogus"]) == 2
    with pytest.raises(DataError):
        mj.drift("ref.csv", "nope.csv", record_check=False)


def test_mj_drift_is_the_function_whatever_was_imported_before() -> None:
    import inspect

    import mlops_jupyter as mj
    import mlops_jupyter.drift_detection.stats  # a submodule import must not shadow the function

    assert inspect.isfunction(mj.drift)
    assert list(inspect.signature(mj.drift).parameters)[:2] == ["reference", "current"]
