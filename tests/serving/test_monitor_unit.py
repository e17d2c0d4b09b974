"""``mj.monitor`` on a synthetic service folder (no servers): windows, quality, drift, SLOs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import RuleError, SloBreached
from mlops_jupyter.monitoring.slo import parse_slo
from mlops_jupyter.serving.log import RecordLog

T0 = 1_699_999_980.0  # in the past, a window boundary for 60 s windows


def _service(project: Path, shift_second_window: bool = True) -> Path:
    folder = project / ".mlops" / "serving" / "svc"
    folder.mkdir(parents=True)
    (folder / "service.json").write_text(json.dumps({
        "name": "svc", "url": "http://127.0.0.1:1", "stopped": True, "gateway_pid": None,
        "arms": {"champion": {"version": "1"}, "challenger": {"version": "2"}}}))
    rng = np.random.default_rng(0)
    log, fb = RecordLog(folder, "requests"), RecordLog(folder, "feedback")
    log.open()
    fb.open()
    for i in range(400):
        second = i >= 200
        arm = "challenger" if i % 4 == 0 else "champion"
        x = float(rng.normal(5.0 if (second and shift_second_window) else 0.0, 1.0))
        pred = int(x > 0)
        status = 500 if (arm == "champion" and second and i % 10 == 1) else 200
        log.append({"request_id": f"r{i}", "time": T0 + (60 if second else 0) + i * 0.1, "arm": arm,
                    "model_version": "2" if arm == "challenger" else "1", "status": status,
                    "latency_ms": 300.0 if (second and arm == "champion") else 10.0,
                    "inputs": json.dumps([{"x": x}]), "prediction": json.dumps([pred] if status == 200 else ""),
                    "n_rows": 1})
        if status == 200 and i % 2 == 0:
            label = pred if arm == "champion" else (pred if i % 8 == 0 else 1 - pred)
            fb.append({"request_id": f"r{i}", "time": T0 + 130, "label": json.dumps(label)})
    log.close()
    fb.close()
    with (folder / "health.jsonl").open("w") as fh:
        for e in [{"time": T0, "arm": None, "up": True}, {"time": T0 + 30, "arm": "challenger", "up": False},
                  {"time": T0 + 45, "arm": "challenger", "up": True}]:
            fh.write(json.dumps(e) + "\n")
    return folder


def test_windows_per_arm_quality_and_uptime(project: Path) -> None:
    _service(project)
    rep = mj.monitor("svc", window="60s")
    arms = {a["arm"]: a for a in rep.arms}
    assert arms["champion"]["requests"] == 300 and arms["challenger"]["requests"] == 100
    assert arms["champion"]["error_rate"] == pytest.approx(20 / 300)
    assert arms["challenger"]["error_rate"] == 0.0
    assert arms["champion"]["accuracy"] == 1.0 and arms["challenger"]["accuracy"] == pytest.approx(0.5)
    assert arms["challenger"]["uptime"] < arms["champion"]["uptime"] == 1.0
    assert rep.down["challenger"] == [(T0 + 30, T0 + 45)]
    frame = rep.to_frame()
    assert list(frame["window"].unique()) == [T0, T0 + 60]
    second = frame[(frame["window"] == T0 + 60) & (frame["arm"] == "champion")].iloc[0]
    assert second["p95_latency"] == 300.0 and second["request_rate"] == pytest.approx(150 / 60)
    assert rep.ok  # no SLO given


def test_slo_rules_and_breaches_go_to_the_triggers(project: Path) -> None:
    _service(project)
    seen: list[object] = []
    rep = mj.monitor("svc", window="60s", slo=["p95_latency < 200 ms", "error_rate < 5%", "accuracy >= 0.85 mostly 0.5"],
                     on_breach=seen.append)
    verdicts = {r.rule: r.ok for r in rep.slo}
    assert verdicts == {"p95_latency < 200 ms": False, "error_rate < 5%": False, "accuracy >= 0.85 mostly 0.5": True}
    assert not rep.ok and seen == [rep]
    with pytest.raises(SloBreached, match="p95_latency < 200 ms"):
        mj.monitor("svc", window="60s", slo="p95_latency < 200 ms", on_breach="raise")


def test_input_and_prediction_drift_per_window(project: Path) -> None:
    _service(project)
    reference = pd.DataFrame({"x": np.random.default_rng(1).normal(0.0, 1.0, 1000)})
    rep = mj.monitor("svc", reference=reference, window="60s", slo="drift_share < 0.3")
    first, second = (rep.drift[k] for k in sorted(rep.drift))
    assert first["drift_share"] == 0.0 and second["drift_share"] == 1.0
    assert second["drifted_columns"] == ["x"] and second["prediction_drifted"] is True
    assert not rep.ok and rep.slo[0].breaches == [str(T0 + 60)]


def test_views_are_bounded_and_json_safe(project: Path) -> None:
    _service(project)
    rep = mj.monitor("svc", window="60s", slo="p99_latency < 1 s")
    text = json.dumps(rep.to_dict(), allow_nan=False)
    assert '"service": "svc"' in text
    assert "p95" in str(rep) and "challenger" in str(rep)
    assert "mlops-card" in rep._repr_html_() and len(rep._repr_html_()) < 20_000
    fig = rep.figure()
    assert len(fig.data) >= 8
    up = next(t for t in fig.data if t.name == "challenger up")
    assert 0 in list(up.y)  # the gap in the uptime chart


@pytest.mark.parametrize("bad", ["latency < 3", "p95_latency < 3 %", "error_rate << 1", "accuracy >= 0.9 mostly 2"])
def test_bad_slo_rules_are_rule_errors(bad: str) -> None:
    with pytest.raises(RuleError):
        parse_slo(bad)


def test_slo_units() -> None:
    assert parse_slo("p95_latency < 0.2 s").value == pytest.approx(200.0)
    assert parse_slo("error_rate < 1%").value == pytest.approx(0.01)
    assert parse_slo("accuracy >= 0.85 mostly 0.9").mostly == 0.9


def test_unknown_service_names_the_known_ones(project: Path) -> None:
    _service(project)
    with pytest.raises(mj.MlopsError, match="no service named 'nope'") as err:
        mj.monitor("nope")
    assert "svc" in (err.value.hint or "")


def test_cli_monitor_json_and_fail(project: Path) -> None:
    _service(project)
    cmd = [sys.executable, "-m", "mlops_jupyter", "monitor", "svc", "--window", "60s", "--json",
           "--slo", "p95_latency < 200 ms", "--fail"]
    out = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert out.returncode == 1, out.stderr
    data = json.loads(out.stdout)
    assert data["ok"] is False and data["slo"][0]["ok"] is False and len(data["arms"]) == 2


def test_monitor_magic_takes_quoted_slo_rules(ip: object, project: Path) -> None:
    """Regression: IPython keeps the quotes of `--slo "p95_latency < 200 ms"` (RuleError in demo 07)."""
    _service(project)
    rep = ip.run_line_magic("mlops_monitor", """svc --window 60s --slo "p95_latency < 200 ms" 'error_rate < 50%'""")  # type: ignore[attr-defined]
    assert [(r.rule, r.ok) for r in rep.slo] == [("p95_latency < 200 ms", False), ("error_rate < 50%", True)]


def test_uptime_counts_only_the_time_the_service_was_meant_to_run() -> None:
    """Regression: a deliberate stop and a later start counted the pause as downtime (demo 07
    showed 15 % uptime for a healthy service started twice)."""
    from mlops_jupyter.monitoring.api import down_intervals

    events = [{"time": 0, "arm": None, "up": True}, {"time": 10, "arm": None, "up": False},  # ran 10 s, stopped
              {"time": 100, "arm": None, "up": True},                                        # started again
              {"time": 110, "arm": "b", "up": False}, {"time": 115, "arm": "b", "up": True}]
    down, uptime = down_intervals(events, ["a", "b"], now=120)
    assert down == {"a": [], "b": [(110, 115)]}
    assert uptime["a"] == 1.0 and uptime["b"] == pytest.approx(1 - 5 / 30)
    crashed = [{"time": 0, "arm": None, "up": True}, {"time": 4, "arm": "a", "up": True},
               {"time": 50, "arm": None, "up": True}]  # a SIGKILL'd gateway left no stop event
    down, uptime = down_intervals(crashed, ["a"], now=60)
    assert down["a"] == [(4, 50)] and uptime["a"] == pytest.approx(1 - 46 / 60)


def _scored_service(project: Path, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """A binary classifier's log whose predictions are probabilities, in one of three forms."""
    folder = project / ".mlops" / "serving" / "scored"
    folder.mkdir(parents=True)
    (folder / "service.json").write_text(json.dumps({
        "name": "scored", "url": "http://127.0.0.1:1", "stopped": True, "gateway_pid": None,
        "arms": {"champion": {"version": "1"}}}))
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    p = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0.001, 0.999).round(3)
    p[:10] = 0.5  # ties are counted half
    log, fb = RecordLog(folder, "requests"), RecordLog(folder, "feedback")
    log.open()
    fb.open()
    for i, (yi, pi) in enumerate(zip(y, p, strict=True)):
        pred = {"float": [float(pi)], "proba": [[round(1 - pi, 3), float(pi)]],
                "dict": [{"label": int(pi >= 0.5), "probability": float(pi)}]}[kind]
        log.append({"request_id": f"r{i}", "time": T0 + i * 0.1, "arm": "champion", "model_version": "1", "status": 200,
                    "latency_ms": 5.0, "inputs": "[]", "prediction": json.dumps(pred), "n_rows": 1})
        fb.append({"request_id": f"r{i}", "time": T0 + 60, "label": json.dumps(int(yi))})
    log.close()
    fb.close()
    return y, p


@pytest.mark.parametrize("kind", ["float", "proba", "dict"])
def test_auc_and_accuracy_of_a_model_that_gives_probabilities(project: Path, kind: str) -> None:
    from sklearn.metrics import roc_auc_score

    y, p = _scored_service(project, kind)
    rep = mj.monitor("scored", window="1h", slo="auc >= 0.99")
    (arm,) = rep.arms
    assert arm["labelled"] == 300
    assert arm["auc"] == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    # a probability is right when it is on its label's side of 0.5 (not when it equals the label)
    assert arm["accuracy"] == pytest.approx(float(np.mean((p >= 0.5) == (y == 1))))
    assert 0.5 < arm["accuracy"] < 1.0
    assert rep.windows["auc"].iloc[0] == pytest.approx(arm["auc"])
    assert not rep.ok and "auc >= 0.99" in [r.rule for r in rep.breached]
    assert "AUC" in str(rep) and "AUC" in rep._repr_html_()


def test_no_auc_without_scores_or_without_both_classes(project: Path) -> None:
    from mlops_jupyter.monitoring.api import auc

    _service(project)
    rep = mj.monitor("svc", window="60s")
    assert all(a["auc"] is None for a in rep.arms) and "AUC" not in str(rep)
    assert auc(pd.Series([0.2, 0.9]), pd.Series([1.0, 1.0])) is None
    assert auc(pd.Series([0.2, 0.9, np.nan]), pd.Series([0.0, 1.0, 0.0])) == 1.0
