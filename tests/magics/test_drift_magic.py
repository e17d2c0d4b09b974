"""%drift in a real IPython shell, its script export, and the --on-drift triggers."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import plotly.data
import pytest
from IPython.core.error import UsageError

from mlops_jupyter.drift_detection import DriftReport, DriftTimeline, triggers
from mlops_jupyter.errors import ConfigError, DriftDetected, MlopsError, NoActiveRun
from mlops_jupyter.magics.drift import SCRIPT_EXPORTS, DriftMagics
from mlops_jupyter.webhook import WebhookError


@pytest.fixture
def frames(ip: Any) -> Any:
    g = plotly.data.gapminder()
    cols = ["continent", "lifeExp", "pop", "gdpPercap"]
    ip.user_ns["ref"] = g[g.year == 1952][cols].reset_index(drop=True)
    ip.user_ns["cur"] = g[g.year == 2007][cols].reset_index(drop=True)
    ip.user_ns["same"] = ip.user_ns["ref"].copy()
    stocks = plotly.data.stocks()
    stocks["date"] = pd.to_datetime(stocks["date"])
    ip.user_ns["stocks"] = stocks
    return ip


def test_drift_magic_returns_report_with_options(frames: Any) -> None:
    rep = frames.run_line_magic("drift", "ref cur --method robust --columns lifeExp pop")
    assert isinstance(rep, DriftReport) and rep.method == "robust"
    assert [c.column for c in rep.columns] == ["lifeExp", "pop"] and rep.drifted
    assert rep.name == "ref vs cur"
    ok = frames.run_line_magic("drift", "ref same")
    assert ok.ok and not ok.drifted


def test_drift_magic_windows_and_reference_option(frames: Any) -> None:
    tl = frames.run_line_magic("drift", "stocks --by date --freq M")
    assert isinstance(tl, DriftTimeline) and len(tl.windows) > 12
    frames.user_ns["first_year"] = frames.user_ns["stocks"].iloc[:52].drop(columns="date")
    tl2 = frames.run_line_magic("drift", "stocks --reference first_year --by date --freq M")
    assert tl2.reference_label == "reference" and tl2.drifted


def test_drift_magic_min_window_rows_marks_small_windows(frames: Any) -> None:
    # stock prices are weekly: each month has 4 or 5 rows
    tl = frames.run_line_magic("drift", "stocks --by date --freq M --min-window-rows 5")
    sizes = {w.label: w.n_rows for w in tl.windows}
    assert tl.too_small_windows == [label for label, n in sizes.items() if n < 5]
    assert tl.too_small_windows and all(w.report is None for w in tl.windows if w.too_small)
    assert "too small" in str(tl)
    export = SCRIPT_EXPORTS["drift"]
    assert export("stocks --by date --freq M --min-window-rows 5", None) == (
        "mj.drift(stocks, by='date', freq='M', min_window_rows=5)")
    for line in ["ref cur --min-window-rows 5", "stocks --by date --min-window-rows -1"]:
        with pytest.raises(UsageError, match="min-window-rows"):
            frames.run_line_magic("drift", line)


def test_drift_magic_usage_errors(frames: Any) -> None:
    for line in ["ref", "ref cur extra", "ref cur --freq W", "nope cur", "ref cur --bogus"]:
        with pytest.raises(UsageError):
            frames.run_line_magic("drift", line)
    with pytest.raises(MlopsError, match="unknown drift method"):
        frames.run_line_magic("drift", "ref cur --method nope")


def test_drift_magic_fail_raises_one_line_error(frames: Any) -> None:
    with pytest.raises(DriftDetected) as info:
        frames.run_line_magic("drift", "ref cur --fail")
    assert info.value._render_traceback_()[0].startswith("DriftDetected: drift detected in ref vs cur")
    with pytest.raises(DriftDetected):
        frames.run_line_magic("drift", "ref cur --on-drift raise")


def test_drift_magic_reads_files(frames: Any, project: Path) -> None:
    frames.user_ns["ref"].to_csv(project / "ref.csv", index=False)
    rep = frames.run_line_magic("drift", "ref.csv cur")
    assert rep.drifted and rep.name == "ref.csv vs cur"


def test_script_export_matches_the_magic(frames: Any) -> None:
    export = SCRIPT_EXPORTS["drift"]
    assert DriftMagics.drift.parser is not None
    src = export("ref cur --method psi --threshold 0.2 --columns lifeExp pop --on-drift webhook http://x/y --fail", None)
    assert src == ("mj.drift(ref, cur, columns=['lifeExp', 'pop'], method='psi', threshold=0.2, fail=True, "
                   "on_drift='webhook http://x/y', name='ref vs cur')")
    assert export("ref cur --per-column pop=psi:0.2 continent=chi2", None) == (
        "mj.drift(ref, cur, per_column={'pop': ('psi', 0.2), 'continent': 'chi2'}, name='ref vs cur')")
    rep = frames.run_line_magic("drift", "ref cur --per-column pop=psi:0.2 continent=chi2")
    assert rep.column("pop").method == "psi" and rep.column("pop").threshold == 0.2
    assert rep.column("continent").method == "chisquare"
    with pytest.raises(UsageError):
        export("ref cur --per-column pop", None)
    assert export("data/ref.csv cur", None).startswith("mj.drift('data/ref.csv', cur,")
    src2 = export("stocks --reference first --by date --freq W", None)
    assert src2 == "mj.drift(first, stocks, by='date', freq='W', name='first vs stocks')"
    # the exported call runs under plain Python with the same result as the magic
    import mlops_jupyter as mj

    ns = {"mj": mj, **{k: frames.user_ns[k] for k in ("ref", "cur")}}
    code = export("ref cur --method robust", None)
    from_script = eval(code, ns)
    from_magic = frames.run_line_magic("drift", "ref cur --method robust")
    assert from_script.to_dict()["columns"] == from_magic.to_dict()["columns"]
    with pytest.raises(UsageError):
        export("ref", None)


def test_light_import() -> None:
    import subprocess

    code = ("import sys, mlops_jupyter.magics.drift, mlops_jupyter.cli.drift;"
            "bad=[m for m in ('scipy','plotly','mlflow','dvc','ipywidgets') if m in sys.modules];"
            "print(bad); sys.exit(1 if bad else 0)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


# -- triggers ---------------------------------------------------------------------------

class _Receiver(BaseHTTPRequestHandler):
    mode = "ok"
    bodies: ClassVar[list[Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).bodies.append(json.loads(body))
        if type(self).mode == "slow":
            time.sleep(1.0)
        status = 500 if type(self).mode == "500" else 200
        try:
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"{}")
        except OSError:
            pass

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver(project: Path) -> Iterator[tuple[str, type[_Receiver]]]:
    handler = type("Receiver", (_Receiver,), {"bodies": [], "mode": "ok"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    (project / "mlops.toml").write_text("[webhook]\ntimeout = 0.3\nretries = 1\nbackoff = 0.05\n")
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    finally:
        server.shutdown()
        server.server_close()


def test_webhook_success_posts_summary(frames: Any, receiver: Any) -> None:
    url, handler = receiver
    rep = frames.run_line_magic("drift", f"ref cur --on-drift webhook {url}")
    assert handler.bodies[0]["event"] == "drift" and handler.bodies[0]["drifted"] is True
    assert set(handler.bodies[0]["drifted_columns"]) == {"lifeExp", "pop", "gdpPercap"}
    assert rep.actions == [f"webhook {url}: HTTP 200"]
    frames.run_line_magic("drift", f"ref same --on-drift webhook {url}")
    assert len(handler.bodies) == 1  # no drift, no call


@pytest.mark.parametrize("mode", ["500", "slow"])
def test_webhook_failure_is_reported_never_silent(frames: Any, receiver: Any, mode: str) -> None:
    url, handler = receiver
    handler.mode = mode
    with pytest.raises(WebhookError, match="500" if mode == "500" else "timed out"):
        frames.run_line_magic("drift", f"ref cur --on-drift webhook {url}")
    assert len(handler.bodies) == 2  # first try + one retry


def test_webhook_retries_zero_from_config_makes_one_attempt(frames: Any, receiver: Any, project: Path) -> None:
    url, handler = receiver
    handler.mode = "500"
    (project / "mlops.toml").write_text("[webhook]\nretries = 0\nbackoff = 0\n")
    with pytest.raises(WebhookError, match=r"failed after 1 attempt\(s\): HTTP 500"):
        frames.run_line_magic("drift", f"ref cur --on-drift webhook {url}")
    assert len(handler.bodies) == 1


def test_bad_webhook_table_is_a_config_error_before_any_action(frames: Any, receiver: Any, project: Path) -> None:
    url, handler = receiver
    (project / "mlops.toml").write_text("[webhook]\ntimeout = -1\n")
    for other in ("cur", "same"):  # reported whether or not the data drifted
        with pytest.raises(ConfigError, match=r"'timeout' in \[webhook\] .* got -1$"):
            frames.run_line_magic("drift", f"ref {other} --on-drift webhook {url}")
    (project / "mlops.toml").write_text("[webhook]\nretrys = 0\n")
    with pytest.raises(ConfigError, match="unknown key 'retrys'") as info:
        frames.run_line_magic("drift", f"ref cur --on-drift webhook {url}")
    assert info.value.hint == "did you mean 'retries'?"
    assert handler.bodies == []


class _FakeRun:
    """Stands in for the tracking handle (contract in docs/ARCHITECTURE.md)."""

    def __init__(self) -> None:
        self.tags: dict[str, str] = {}
        self.metrics: list[tuple[dict[str, float], int | None]] = []

    def set_tags(self, tags: dict[str, str]) -> None:
        self.tags.update(tags)

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        self.metrics.append((metrics, step))


def test_tag_and_window_metrics_go_to_the_active_run(frames: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    run = _FakeRun()
    monkeypatch.setattr(triggers, "active_run", lambda: run)
    frames.run_line_magic("drift", "ref cur --on-drift tag")
    assert run.tags["drift.detected"] == "true" and "lifeExp" in run.tags["drift.columns"]
    assert run.metrics[-1][1] is None and run.metrics[-1][0]["drift.share"] == 0.75
    run.metrics.clear()
    tl = frames.run_line_magic("drift", "stocks --by date --freq M")
    assert [step for _, step in run.metrics] == list(range(len(tl.reports)))
    assert all("drift.GOOG" in m for m, _ in run.metrics)


def test_tag_without_run_and_unavailable_job_runner_are_clear(frames: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(triggers, "active_run", lambda: None)
    with pytest.raises(NoActiveRun):
        frames.run_line_magic("drift", "ref cur --on-drift tag")
    import importlib

    real = importlib.import_module

    def no_runner(name: str, *a: Any) -> Any:
        if name == "mlops_jupyter.export":
            raise ImportError(name)
        return real(name, *a)

    monkeypatch.setattr(importlib, "import_module", no_runner)
    with pytest.raises(MlopsError, match="job runner is unavailable"):
        frames.run_line_magic("drift", "ref cur --on-drift run jobs/retrain")
