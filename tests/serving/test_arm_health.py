"""A dead arm leaves the rotation and comes back (real scoring servers killed by PID)."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import mlops_jupyter as mj
from mlops_jupyter.serving.gateway import arm_of

from .conftest import Zoo, rows, start_service

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def svc(zoo: Zoo) -> Iterator[Any]:
    service = start_service(zoo, "health", challenger="models:/churn@challenger", split=0.5,
                            probe_interval=5.0)  # a request can find a dead arm before the probe does
    try:
        yield service
    finally:
        service.stop(_force=True)


def _wait(cond: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.2)
    raise AssertionError("condition not reached")


def _metric(text: str, name: str, arm: str) -> float:
    for line in text.splitlines():
        if line.startswith(f'{name}{{arm="{arm}"}}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_killed_challenger_leaves_the_rotation_and_returns_after_restart(svc: Any, zoo: Zoo) -> None:
    keys = [f"user{i}" for i in range(200) if arm_of(f"user{i}", 0.5) == "challenger"][:20]
    body = {"inputs": rows(zoo, 1)}
    with httpx.Client(timeout=30) as c:
        assert {c.post(svc.url + "/invocations", json=body, headers={"X-Request-Key": k}).headers["X-Arm"] for k in keys} == {"challenger"}
        pid = svc.procs["challenger"].pid
        os.killpg(pid, signal.SIGKILL)  # the challenger's scoring server dies
        replies = [c.post(svc.url + "/invocations", json=body, headers={"X-Request-Key": k}) for k in keys]
        assert [r.status_code for r in replies] == [200] * len(keys)  # traffic continues...
        assert {r.headers["X-Arm"] for r in replies} == {"champion"}  # ...on the champion
        _wait(lambda: c.get(svc.url + "/health").json()["status"] == "degraded")
        health = c.get(svc.url + "/health")
        assert health.status_code == 200 and health.json()["arms"]["challenger"]["up"] is False
        metrics = c.get(svc.url + "/metrics").text
        assert _metric(metrics, "mlops_arm_up", "challenger") == 0.0

        svc.restart_arm("challenger")
        _wait(lambda: c.get(svc.url + "/health").json()["status"] == "ok")
        back = {c.post(svc.url + "/invocations", json=body, headers={"X-Request-Key": k}).headers["X-Arm"] for k in keys}
        assert back == {"challenger"}
    events = [json.loads(x) for x in (svc.folder / "health.jsonl").read_text().splitlines()]
    arm_events = [(e["arm"], e["up"]) for e in events if e["arm"] == "challenger"]
    assert arm_events[-2:] == [("challenger", False), ("challenger", True)]
    assert svc.procs["challenger"].pid != pid
    # the monitor's uptime comes from this health history: the challenger's gap shows
    report = mj.monitor(svc, window="10s")
    gaps = report.down["challenger"]
    assert gaps and gaps[-1][1] > gaps[-1][0] and not report.down["champion"]
    arms = {a["arm"]: a for a in report.arms}
    assert arms["challenger"]["uptime"] < 1.0 == arms["champion"]["uptime"]
    up = next(t for t in report.figure().data if t.name == "challenger up")
    assert 0 in list(up.y)


def test_a_request_that_finds_the_arm_dead_is_a_model_error_and_fails_over(svc: Any, zoo: Zoo) -> None:
    key = next(f"u{i}" for i in range(100) if arm_of(f"u{i}", 0.5) == "challenger")
    body = {"inputs": rows(zoo, 1)}
    with httpx.Client(timeout=30) as c:
        _wait(lambda: c.get(svc.url + "/health").json()["status"] == "ok")
        before = _metric(c.get(svc.url + "/metrics").text, "mlops_model_errors_total", "challenger")
        os.killpg(svc.procs["challenger"].pid, signal.SIGKILL)
        r = c.post(svc.url + "/invocations", json=body, headers={"X-Request-Key": key})  # before any probe
        after = _metric(c.get(svc.url + "/metrics").text, "mlops_model_errors_total", "challenger")
    assert r.status_code == 200 and r.headers["X-Arm"] == "champion"
    assert after - before == 1.0
    svc.restart_arm("challenger")
