"""Windows over time (issue 13): cut in the column's own time zone, and windows below a
minimum size marked "too small", never tested (API, [drift] config, CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter.drift_detection import DriftTimeline
from mlops_jupyter.errors import ConfigError, MlopsUsageError


def _hourly(start: str, end: str, tz: str | None, seed: int = 0) -> pd.DataFrame:
    t = pd.date_range(start, end, freq="h", tz=tz, inclusive="left")
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"t": t, "x": rng.normal(0, 1, len(t)), "c": rng.choice(list("abc"), len(t))})


def test_windows_are_cut_in_the_columns_own_time_zone_not_utc() -> None:
    cur = _hourly("2024-12-01", "2025-02-01", "America/New_York")
    ref = _hourly("2024-11-01", "2024-12-01", "America/New_York", seed=1).drop(columns="t")
    tl = mj.drift(ref, cur, by="t", freq="M", record_check=False)
    assert isinstance(tl, DriftTimeline)
    # in UTC the evening of 31 January would have made a 5-row "2025-02" window
    assert [(w.label, w.n_rows) for w in tl.windows] == [("2024-12", 31 * 24), ("2025-01", 31 * 24)]


def test_local_evening_of_31_december_stays_in_december() -> None:
    # the case: December rows whose evening hours look different
    cur = _hourly("2024-12-01", "2025-01-01", "America/New_York", seed=2)
    evening = cur.t.dt.hour >= 19
    cur.loc[evening, "x"] += 3.0
    tl = mj.drift(cur.drop(columns="t"), cur, by="t", freq="M", record_check=False)
    assert [w.label for w in tl.windows] == ["2024-12"] and not tl.drifted


def test_text_times_with_several_utc_offsets_keep_each_local_time() -> None:
    # New York around the switch to daylight saving time (-05:00, then -04:00)
    local = pd.date_range("2024-03-08", "2024-03-13", freq="h", tz="America/New_York", inclusive="left")
    text = [ts.isoformat() for ts in local]
    assert {s[-6:] for s in text} == {"-05:00", "-04:00"}
    rng = np.random.default_rng(3)
    cur = pd.DataFrame({"t": text, "x": rng.normal(size=len(text))})
    tl = mj.drift(cur.drop(columns="t"), cur, by="t", freq="D", min_window_rows=0, record_check=False)
    sizes = {w.label: w.n_rows for w in tl.windows}
    assert sizes == {"2024-03-08": 24, "2024-03-09": 24, "2024-03-10": 23, "2024-03-11": 24, "2024-03-12": 24}


def _daily(days: int, per_day: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [pd.DataFrame({"t": d, "x": rng.normal(0, 1, per_day)})
            for d in pd.date_range("2024-01-01", periods=days, freq="D")]
    return pd.concat(rows, ignore_index=True)


def test_windows_below_min_window_rows_are_marked_too_small_and_not_tested() -> None:
    cur = _daily(10, 60)
    tiny = cur.t == pd.Timestamp("2024-01-06")
    cur = pd.concat([cur[~tiny], cur[tiny].head(5).assign(x=50.0)], ignore_index=True)  # 5 wild rows
    ref = cur[cur.t < "2024-01-03"].drop(columns="t")
    tl = mj.drift(ref, cur, by="t", freq="D", min_window_rows=20, record_check=False)
    small = [w for w in tl.windows if w.too_small]
    assert [(w.label, w.n_rows, w.status) for w in small] == [("2024-01-06", 5, "too small")]
    assert small[0].report is None and "5 rows < 20" in (small[0].reason or "")
    assert tl.too_small_windows == ["2024-01-06"] and tl.min_window_rows == 20
    assert not tl.drifted and len(tl.reports) == 9  # the wild 5 rows were not tested
    frame = tl.to_frame()
    assert frame.loc["2024-01-06", "status"] == "too small" and frame.loc["2024-01-07", "status"] == "ok"
    d = tl.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["too_small_windows"] == ["2024-01-06"] and d["windows"][5]["status"] == "too small"
    assert "too small" in str(tl) and "too small" in tl._repr_html_()
    fig = tl.figure()
    marks = [t for t in fig.data if t.name == "too small"]
    assert len(marks) == 1 and list(marks[0].x) == ["2024-01-06"]
    assert list(fig.layout.xaxis.categoryarray) == [w.label for w in tl.windows]
    # with no minimum the same window is tested, and drifts
    assert "2024-01-06" in mj.drift(ref, cur, by="t", freq="D", min_window_rows=0, record_check=False).drifted_windows


def test_default_minimum_is_a_tenth_of_the_median_window() -> None:
    cur = _daily(3, 1000)
    cur = pd.concat([cur, _daily(1, 88, seed=5).assign(t=pd.Timestamp("2024-01-04"), x=lambda f: f.x + 1)],
                    ignore_index=True)
    tl = mj.drift(cur[cur.t < "2024-01-02"].drop(columns="t"), cur, by="t", freq="D", record_check=False)
    assert tl.min_window_rows == 100 and tl.too_small_windows == ["2024-01-04"]
    assert "default" in (tl.windows[-1].reason or "")


def test_first_window_too_small_is_not_the_reference() -> None:
    cur = pd.concat([_daily(1, 3).assign(x=9.0), _daily(4, 80, seed=1).assign(t=lambda f: f.t + pd.Timedelta(days=1))],
                    ignore_index=True)
    tl = mj.drift(cur, by="t", freq="D", min_window_rows=10, record_check=False)
    assert [w.status for w in tl.windows] == ["too small", "reference", "ok", "ok", "ok"]
    assert tl.reference_label == "first window (2024-01-02)"
    with pytest.raises(MlopsUsageError, match="at least 500 rows"):
        mj.drift(cur, by="t", freq="D", min_window_rows=500, record_check=False)


@pytest.mark.parametrize("bad", [-1, "10", 2.5, True])
def test_bad_min_window_rows_is_a_usage_error(bad: object) -> None:
    cur = _daily(3, 10)
    with pytest.raises(MlopsUsageError, match="min_window_rows"):
        mj.drift(cur, by="t", freq="D", min_window_rows=bad, record_check=False)  # type: ignore[arg-type]
    with pytest.raises(MlopsUsageError, match="needs by"):
        mj.drift(cur, cur, min_window_rows=10, record_check=False)


def test_min_window_rows_from_the_drift_table_of_the_config(project: Path) -> None:
    cur = _daily(4, 30)
    (project / "mlops.toml").write_text("[drift]\nmin_window_rows = 31\n")
    tl = mj.drift(cur.drop(columns="t"), cur, by="t", freq="D", min_window_rows=None, record_check=False)
    assert tl.min_window_rows == 31 and len(tl.too_small_windows) == 4
    assert "[drift] min_window_rows" in (tl.windows[0].reason or "")
    assert mj.drift(cur, by="t", freq="D", min_window_rows=5, record_check=False).too_small_windows == []  # arg wins
    for text, match in [("min_window_rows = 'ten'", "must be int"), ("min_window_rows = -3", ">= 0"),
                        ("min_windows = 3", "unknown key 'min_windows'")]:
        (project / "mlops.toml").write_text(f"[drift]\n{text}\n")
        with pytest.raises(ConfigError, match=match):
            mj.drift(cur, by="t", freq="D", record_check=False)


def test_cli_min_window_rows(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mlops_jupyter.cli import main

    cur = _daily(4, 30)
    cur.iloc[:60].drop(columns="t").to_csv("ref.csv", index=False)
    cur.iloc[:95].to_csv("cur.csv", index=False)  # the fourth day has 5 rows
    assert main(["drift", "ref.csv", "cur.csv", "--by", "t", "--freq", "D", "--min-window-rows", "10", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["too_small_windows"] == ["2024-01-04"] and out["min_window_rows"] == 10
    assert main(["drift", "ref.csv", "cur.csv", "--min-window-rows", "10"]) == 2
    assert "needs by" in capsys.readouterr().err
