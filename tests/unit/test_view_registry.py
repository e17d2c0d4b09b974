"""Views attach to results from outside: the display registry, the Viewable mixin, and the
text of the results whose views moved out of their classes (unchanged, character for
character)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from mlops_jupyter._views import Viewable
from mlops_jupyter.diagnosis import Check, DoctorReport
from mlops_jupyter.display import registry
from mlops_jupyter.monitoring.report import MonitorReport
from mlops_jupyter.monitoring.slo import SloResult
from mlops_jupyter.serving.service import ServiceStatus
from mlops_jupyter.testing.cellcoverage import CellCoverage, CellLines, FunctionCoverage
from mlops_jupyter.tracking.models import LoggedModel
from mlops_jupyter.tracking.spool import SyncResult
from mlops_jupyter.validation.suites import Suite


def test_moved_text_views_are_unchanged() -> None:
    model = LoggedModel("abcdef123456", "m", "sklearn", "models:/x", registered_name="reg", version="3")
    assert str(model) == repr(model) == "model 'm' (sklearn) logged in run abcdef12: models:/x; registered as reg version 3"
    assert str(Suite("s", ["x > 1", "y not null"], "desc")) == "suite 's' (2 rules): desc\n  x > 1\n  y not null"
    assert repr(Suite("t", [])) == "suite 't' (0 rules)"
    status = ServiceStatus("svc", "http://h:1", True, {"status": "ok", "arms": {"a": {"up": True, "model_uri": "m:/1"},
                                                                             "b": {"up": False}}})
    assert str(status) == "service svc at http://h:1: ok\n  a          up    m:/1\n  b          DOWN  None"
    assert repr(status).startswith("ServiceStatus(name='svc'")  # the dataclass repr stays
    cov = CellCoverage([CellLines("cell 1", "def f():\n    return 1\n", [1, 2], [1],
                                  [FunctionCoverage("f", "cell 1", 1, 1, 0)])])
    assert str(cov) == ("Coverage of notebook cells by tests: 50% (1/2 statements)\n"
                        "  cell 1: 1/2 lines; missing [2]\n  NOT RUN   f (cell 1:1)")
    doctor = DoctorReport([Check("git", "ok", "fine"), Check("store", "fail", "down", "start it")])
    assert str(doctor) == ("status  check  detail  fix\n------  -----  ------  --------\n"
                           "OK      git    fine\nFAIL    store  down    start it")
    assert str(SyncResult()) == "sync: nothing spooled, the store is up to date"
    assert str(SyncResult(["r1"], 5, ["r2"], ["boom"])) == (
        "sync: replayed 5 spooled events of 1 run(s)\nstill spooled (store unreachable): r2\nerror: boom")


def test_monitor_report_text_is_unchanged() -> None:
    arm = {"arm": "a", "model_version": "1", "requests": 10, "error_rate": 0.1, "p50_latency": 1.0,
           "p95_latency": float("nan"), "p99_latency": None, "uptime": 1.0, "labelled": 3, "accuracy": None}
    report = MonitorReport("svc", "http://h", True, "1h", 3600.0, 0.0, [arm], None,
                           drift={1.0: {"drift_share": 0.5, "prediction_drift": 0.123}},
                           slo=[SloResult("p95 < 100", False, "p95", reason="2 windows", worst=120.0),
                                SloResult("errors", True, "e", reason="ok")])
    assert str(report).splitlines() == [
        "service svc (running) http://h — window 1h",
        "arm  version  requests  errors  p50     p95  p99  uptime  labelled  accuracy",
        "---  -------  --------  ------  ------  ---  ---  ------  --------  --------",
        "a    1        10        10.0%   1.0 ms  —    —    100.0%  3         —",
        "last window: drift share 50.0%, prediction drift 0.123",
        "FAIL p95 < 100: 2 windows, worst 120",
        "ok   errors: ok",
    ]
    assert repr(report).startswith("MonitorReport(service='svc'")


def test_html_views_escape_and_use_cards() -> None:
    html = LoggedModel("abcdef123456", "m<x>", "pyfunc", "models:/y")._repr_html_()
    assert html is not None and "mlops-card" in html and "m&lt;x&gt;" in html and "<x>" not in html
    sync = SyncResult([], 0, ["r<2>"], [])._repr_html_()
    assert sync is not None and "mlops-warn" in sync and "r&lt;2&gt;" in sync


def test_a_view_registered_by_name_replaces_the_default_and_reaches_subclasses() -> None:
    suite = Suite("s", ["x > 1"])
    default = suite._repr_html_()
    old = registry.for_type_by_name("mlops_jupyter.validation.suites", "Suite", "html", lambda s: f"<b>{s.name}</b>")
    try:
        assert old is not None and old(suite) == default
        assert suite._repr_html_() == "<b>s</b>"

        @dataclass(repr=False)
        class MySuite(Suite):
            pass

        assert MySuite("t", [])._repr_html_() == "<b>t</b>"  # the base's view, along the MRO
        assert str(MySuite("t", [])) == "suite 't' (0 rules)"
    finally:
        registry.for_type_by_name("mlops_jupyter.validation.suites", "Suite", "html", old)
    assert suite._repr_html_() == default


def test_a_class_without_views_says_so() -> None:
    @dataclass(repr=False)
    class Bare(Viewable):
        x: int = 1

    bare = Bare()
    assert bare._repr_html_() is None and bare._repr_mimebundle_() is None  # IPython falls back to text
    with pytest.raises(LookupError, match=r"no text view is registered for .*Bare"):
        str(bare)
    with pytest.raises(LookupError, match="no figure view"):
        bare._view("figure")


def test_results_carry_no_view_code() -> None:
    # the block the mixin replaced is gone from the result classes themselves
    for cls in (LoggedModel, Suite, ServiceStatus, CellCoverage, DoctorReport, MonitorReport, SyncResult):
        assert not {"__str__", "_repr_html_", "_repr_mimebundle_"} & set(vars(cls)), cls
