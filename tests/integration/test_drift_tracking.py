"""Drift inside a real MLflow run (SQLite store): window scores as stepped metrics, tags."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import plotly.data
import pytest

import mlops_jupyter as mj
from tests.integration.servers import use_store_template


def test_timeline_scores_are_logged_per_window_and_run_is_tagged(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    use_store_template(project, tmp_path_factory.getbasetemp())  # schema made once, copied
    # Given an active run and monthly windows of stock prices against Q1 2018
    stocks = plotly.data.stocks()
    stocks["date"] = pd.to_datetime(stocks["date"])
    q1 = stocks[stocks.date < "2018-04-01"].drop(columns="date")
    run = mj.start_run(name="drift-monitor")
    # When drift is computed over windows with a tag trigger
    tl = mj.drift(q1, stocks, by="date", freq="M", on_drift="tag")
    mj.end_run()
    # Then each window's share is a metric point with the window index as step
    client = run.client
    history = client.get_metric_history(run.run_id, "drift.share")
    assert [m.step for m in history] == list(range(len(tl.reports)))
    assert [m.value for m in history] == [r.share for r in tl.reports]
    assert len(client.get_metric_history(run.run_id, "drift.GOOG")) == len(tl.reports)
    # And the run carries the drift tags
    tags = client.get_run(run.run_id).data.tags
    assert tags["drift.detected"] == "true" and tags["drift.method"] == "auto"
    assert tl.drifted_windows[0] in tags["drift.columns"]
