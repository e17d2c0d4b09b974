"""Pure parts of tracking: value checks, cell-history analysis, error classification."""

from __future__ import annotations

import numpy as np
import pytest

from mlops_jupyter.errors import PathOutsideRoot
from mlops_jupyter.tracking.comparison import default_mode
from mlops_jupyter.tracking.history import CellHistory
from mlops_jupyter.tracking.run import as_metric, check_artifact_path
from mlops_jupyter.tracking.store import check_uri, is_connection_error, sqlite_path


def test_numbers_become_metrics_and_the_rest_params() -> None:
    assert as_metric(1) == 1.0 and as_metric(np.float32(0.5)) == 0.5 and as_metric(np.int64(3)) == 3.0
    assert as_metric(np.array(2.5)) == 2.5
    assert as_metric(True) is None and as_metric("0.5") is None and as_metric(np.array([1, 2])) is None


@pytest.mark.parametrize("ok", ["plots", "a/b/c.json", "./x", "dir with space/f"])
def test_safe_artifact_paths(ok: str) -> None:
    assert check_artifact_path(ok)


@pytest.mark.parametrize("bad", ["../x", "a/../../b", "/etc/x", "C:\\x", "a\\..\\..\\b", "x\x00y"])
def test_unsafe_artifact_paths(bad: str) -> None:
    with pytest.raises(PathOutsideRoot):
        check_artifact_path(bad)


def _nb(*cells: tuple[str, str]) -> dict[str, object]:
    return {"cells": [{"cell_type": "code", "id": cid, "source": src} for cid, src in cells]}


def test_linear_history_is_not_flagged() -> None:
    h = CellHistory()
    for n, (cid, src) in enumerate([("a", "x = 1"), ("b", "y = x")], start=1):
        h.pre(src, cid)
        h.post(n, True)
    rep = h.report(_nb(("a", "x = 1"), ("b", "y = x")))
    assert rep.ok and rep.flag() == "linear" and rep.warning() is None and rep.notebook_known


def test_out_of_order_and_edited_cells_are_flagged() -> None:
    h = CellHistory()
    runs = [("a", "x = 1"), ("b", "y = x"), ("a", "x = 1"), ("c", "z = 0")]
    for n, (cid, src) in enumerate(runs, start=1):
        h.pre(src, cid)
        h.post(n, True)
    rep = h.report(_nb(("a", "x = 1"), ("b", "y = x"), ("c", "z = 5")))  # c edited after it ran
    assert rep.out_of_order == [3] and rep.edited == [4]
    assert rep.flag() == "out_of_order=1,edited=1"
    assert "In[3]" in (rep.warning() or "") and "In[4]" in (rep.warning() or "")


def test_failed_cell_is_recorded_with_its_error() -> None:
    h = CellHistory()
    h.pre("1/0", "a")
    h.post(1, False, ZeroDivisionError("division by zero"))
    (cell,) = h.report(None).cells
    assert cell["success"] is False and cell["error"].startswith("ZeroDivisionError")
    assert cell["duration_s"] >= 0


def test_connection_errors_are_told_apart_from_refusals() -> None:
    import requests

    assert is_connection_error(requests.ConnectionError("boom"))
    assert is_connection_error(Exception("API request to endpoint /x failed with error code 503 != 200"))
    assert is_connection_error(Exception("Max retries exceeded with url: /api (Caused by NewConnectionError)"))
    assert not is_connection_error(Exception("Run 'ab503cd' not found"))
    assert not is_connection_error(Exception("INVALID_PARAMETER_VALUE: Changing param values is not allowed"))


def test_uri_checks() -> None:
    assert sqlite_path("sqlite:////tmp/a/mlflow.db") is not None
    assert str(sqlite_path("sqlite:////tmp/a/mlflow.db")) == "/tmp/a/mlflow.db"
    assert sqlite_path("sqlite:///:memory:") is None
    from mlops_jupyter.errors import TrackingError

    for bad in ("/tmp/mlruns", "file:///tmp/mlruns", "ftp://x"):
        with pytest.raises(TrackingError):
            check_uri(bad)
    assert check_uri("http://127.0.0.1:5000") == "http://127.0.0.1:5000"


def test_compare_mode_from_name() -> None:
    assert default_mode("val_loss") == "min" and default_mode("rmse") == "min"
    assert default_mode("val_acc") == "max" and default_mode("auc") == "max"


def test_cells_before_load_ext_are_seeded_once() -> None:
    h = CellHistory()
    h.seed(["import pandas", "%load_ext mlops_jupyter"])
    h.seed(["ignored"])
    h.pre("x = 1", "c")
    h.post(3, True)
    cells = h.report(None).cells
    assert [c["source"] for c in cells] == ["import pandas", "%load_ext mlops_jupyter", "x = 1"]
    assert cells[0]["duration_s"] is None and cells[2]["duration_s"] is not None


def test_live_chart_draws_trailing_points_after_the_throttle_interval() -> None:
    import time

    from mlops_jupyter.display.runchart import LiveChart

    chart = LiveChart("t", min_interval=0.3, live=False)
    chart.on_points([("loss", 1.0, 0, 0)])
    chart.on_points([("loss", 0.5, 0, 1)])  # throttled
    assert chart.redraws == 1
    deadline = time.monotonic() + 5
    while chart.redraws < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert chart.redraws == 2 and list(chart.figure.data[0].y) == [1.0, 0.5]
