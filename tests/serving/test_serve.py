"""``mj.serve`` over real HTTP: real ``mlflow models serve`` subprocesses behind the gateway."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mlops_jupyter.serving import read_log

from .conftest import FEATURES, Zoo, rows, start_service

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def svc(zoo: Zoo) -> Iterator[Any]:
    service = start_service(zoo, "ab", challenger="models:/churn@challenger", split=0.3)
    try:
        yield service
    finally:
        service.stop(_force=True)


def _metric(text: str, name: str, **labels: str) -> float:
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(name + ("{" + want + "}" if want else " ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_every_mlflow_request_format_is_forwarded_unchanged(svc: Any, zoo: Zoo) -> None:
    r = rows(zoo, 3)
    cols = FEATURES
    bodies = {
        "dataframe_split": {"dataframe_split": {"columns": cols, "data": [[x[c] for c in cols] for x in r]}},
        "dataframe_records": {"dataframe_records": r},
        "inputs": {"inputs": r},
        "instances": {"instances": r},
    }
    direct = httpx.post(f"http://127.0.0.1:{svc.arms['champion'].port}/invocations", json=bodies["dataframe_records"])
    for fmt, body in bodies.items():
        res = httpx.post(svc.url + "/invocations", json=body, headers={"X-Request-Key": "same-caller"})
        assert res.status_code == 200, (fmt, res.text)
        assert len(res.json()["predictions"]) == 3
        assert len(res.headers["X-Request-Id"]) == 32
        assert res.headers["X-Arm"] in ("champion", "challenger")
        if res.headers["X-Arm"] == "champion":
            assert res.json() == direct.json()
    csv = ",".join(cols) + "\n" + "\n".join(",".join(str(x[c]) for c in cols) for x in r)
    res = httpx.post(svc.url + "/invocations", content=csv, headers={"content-type": "text/csv"})
    assert res.status_code == 200 and len(res.json()["predictions"]) == 3


def test_split_is_stable_per_key_and_near_the_share(svc: Any, zoo: Zoo) -> None:
    body = {"dataframe_records": rows(zoo, 1)}
    with httpx.Client() as c:
        same = {c.post(svc.url + "/invocations", json=body, headers={"X-Request-Key": "user-42"}).headers["X-Arm"]
                for _ in range(10)}
        arms = Counter(c.post(svc.url + "/invocations", json=body, headers={"X-Request-Key": f"k{i}"}).headers["X-Arm"]
                       for i in range(120))
        keyless = Counter(c.post(svc.url + "/invocations", json=body).headers["X-Arm"] for _ in range(60))
    assert len(same) == 1
    assert 0.15 < arms["challenger"] / 120 < 0.45  # split 0.3; 120 keys: ±3.6 sd
    assert keyless["challenger"] > 3 and keyless["champion"] > 25  # random ids are split too
    assert svc.status().ok


def test_health_metrics_and_log_per_arm(svc: Any, zoo: Zoo, in_zoo: Zoo) -> None:
    with httpx.Client() as c:
        for i in range(20):
            assert c.post(svc.url + "/invocations", json={"inputs": rows(zoo, 2, i)}, headers={"X-Request-Key": f"m{i}"}).status_code == 200
        health = c.get(svc.url + "/health").json()
        metrics = c.get(svc.url + "/metrics").text
    assert health["status"] == "ok" and set(health["arms"]) == {"champion", "challenger"}
    assert health["arms"]["champion"]["model_version"] == "1" and health["arms"]["challenger"]["model_version"] == "2"
    total = sum(_metric(metrics, "mlops_requests_total", arm=a, status="2xx") for a in ("champion", "challenger"))
    assert total >= 20
    assert _metric(metrics, "mlops_request_latency_seconds_count", arm="champion") > 0
    assert _metric(metrics, "mlops_arm_up", arm="challenger") == 1.0
    log = read_log(svc.folder)
    assert len(log) >= 20 and set(log["arm"]) == {"champion", "challenger"}
    last = log.iloc[-1]
    assert last["status"] == 200 and last["n_rows"] == 2 and last["latency_ms"] > 0
    assert json.loads(last["inputs"])[0].keys() == set(FEATURES)
    assert len(json.loads(last["prediction"])) == 2
    assert set(log["model_version"]) == {"1", "2"}


def test_bad_payloads_are_clear_4xx_and_not_model_errors(svc: Any, zoo: Zoo) -> None:
    with httpx.Client() as c:
        before = c.get(svc.url + "/metrics").text
        not_json = c.post(svc.url + "/invocations", content=b"{not json", headers={"content-type": "application/json"})
        wrong_cols = c.post(svc.url + "/invocations", json={"dataframe_records": [{"nope": 1.0}]})
        huge = c.post(svc.url + "/invocations", content=b"x" * (10 * 1024 * 1024), headers={"content-type": "application/json"})
        fb_unknown = c.post(svc.url + "/feedback", json={"request_id": "0" * 32, "label": 1})
        fb_bad = c.post(svc.url + "/feedback", json={"label": 1})
        fb_not_json = c.post(svc.url + "/feedback", content=b"][")
        ok = c.post(svc.url + "/invocations", json={"inputs": rows(zoo, 1)})
        after = c.get(svc.url + "/metrics").text
    assert not_json.status_code == 400 and "not valid JSON" in not_json.json()["message"]
    assert wrong_cols.status_code == 400  # MLflow's schema check, passed through
    assert huge.status_code == 413 and "limit" in huge.json()["message"]
    assert fb_unknown.status_code == 404 and "unknown request id" in fb_unknown.json()["message"]
    assert fb_bad.status_code == 400 and fb_not_json.status_code == 400
    assert ok.status_code == 200  # still alive
    for arm in ("champion", "challenger"):
        assert _metric(after, "mlops_model_errors_total", arm=arm) == _metric(before, "mlops_model_errors_total", arm=arm)
    assert _metric(after, "mlops_client_errors_total", arm="gateway") - _metric(before, "mlops_client_errors_total", arm="gateway") == 2


def test_feedback_is_stored_for_a_logged_request(svc: Any, zoo: Zoo) -> None:
    res = httpx.post(svc.url + "/invocations", json={"inputs": rows(zoo, 1)})
    rid = res.headers["X-Request-Id"]
    fb = httpx.post(svc.url + "/feedback", json={"request_id": rid, "label": 1})
    assert fb.status_code == 200 and fb.json() == {"stored": 1}
    labels = read_log(svc.folder, "feedback")
    assert json.loads(labels.set_index("request_id").loc[rid, "label"]) == 1


@pytest.mark.prometheus
def test_a_real_prometheus_scrapes_the_request_count(svc: Any, zoo: Zoo, tmp_path: Path) -> None:
    from .prom import Prometheus, prometheus_bin

    assert prometheus_bin(), "prometheus is not installed (bash .ci/system-deps.sh installs it)"
    with httpx.Client() as c:
        for i in range(7):
            assert c.post(svc.url + "/invocations", json={"inputs": rows(zoo, 1, i)}).status_code == 200
        own = c.get(svc.url + "/metrics").text
    expected = sum(_metric(own, "mlops_requests_total", arm=a, status=s)
                   for a in ("champion", "challenger") for s in ("2xx", "4xx", "5xx"))
    prom = Prometheus(tmp_path / "prom", f"127.0.0.1:{svc.port}").start()
    try:
        deadline = time.monotonic() + 20
        seen = None
        while time.monotonic() < deadline:
            result = prom.query("sum(mlops_requests_total)")
            seen = float(result[0]["value"][1]) if result else None
            if seen == expected:
                break
            time.sleep(0.5)
        assert seen == expected
        per_arm = {r["metric"]["arm"] for r in prom.query("mlops_request_latency_seconds_count")}
        assert per_arm == {"champion", "challenger"}
    finally:
        prom.stop()


def test_side_panel_services_section_sees_the_running_service(svc: Any, zoo: Zoo) -> None:
    from mlops_jupyter.server.services import serving

    def entry() -> dict[str, Any]:
        (found,) = [s for s in serving(zoo.root, None)["services"] if s["name"] == "ab"]
        return found

    before = entry()
    assert (before["running"], before["status"], before["url"]) == (True, "ok", svc.url)
    assert {a["arm"]: (a["up"], a["version"]) for a in before["arms"]} == {"champion": (True, "1"), "challenger": (True, "2")}
    with httpx.Client() as c:
        for i in range(7):
            assert c.post(svc.url + "/invocations", json={"inputs": rows(zoo, 1, i)}).status_code == 200
    after = entry()
    count = lambda e: sum(a["requests"] for a in e["last"])  # noqa: E731
    assert count(after) - count(before) == 7  # acknowledged requests are in the last window at once
    assert all(a["errors"] == 0 and a["p95_latency_ms"] > 0 for a in after["last"])
