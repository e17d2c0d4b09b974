"""``mj.promote(..., ab="online:SERVICE")`` on a real registry with a service's logged experiment."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

import mlops_jupyter as mj
from mlops_jupyter.cli import main
from mlops_jupyter.serving.log import RecordLog

from .conftest import Zoo

pytestmark = pytest.mark.slow


def _register(zoo: Zoo, name: str) -> None:
    from mlflow.tracking import MlflowClient

    c = MlflowClient(tracking_uri=zoo.uri)
    c.create_registered_model(name)
    for arm in ("champion", "challenger"):
        mv = c.create_model_version(name, f"runs:/{zoo.runs[arm]}/model", run_id=zoo.runs[arm])
        if arm == "champion":
            c.set_registered_model_alias(name, "champion", mv.version)


def _experiment(root: Path, service: str, model: str, n: int, acc: dict[str, float], seed: int = 0) -> None:
    folder = root / ".mlops" / "serving" / service
    folder.mkdir(parents=True, exist_ok=True)
    arms = {"champion": {"name": model, "version": "1"}, "challenger": {"name": model, "version": "2"}}
    (folder / "service.json").write_text(json.dumps({"name": service, "url": "", "stopped": True, "arms": arms}))
    rng = np.random.default_rng(seed)
    log, fb = RecordLog(folder, "requests"), RecordLog(folder, "feedback")
    log.open()
    fb.open()
    t = time.time()
    for i in range(2 * n):
        arm = "challenger" if i % 2 else "champion"
        rid = f"{service}-{seed}-{i}"
        log.append({"request_id": rid, "time": t, "arm": arm, "model_version": arms[arm]["version"], "status": 200,
                    "latency_ms": 5.0, "inputs": "[]", "prediction": "[1]", "n_rows": 1})
        fb.append({"request_id": rid, "time": t, "label": json.dumps(int(rng.random() < acc[arm]))})
    log.close()
    fb.close()


def test_online_gate_refuses_until_evidence_then_promotes(in_zoo: Zoo) -> None:
    _register(in_zoo, "online-a")
    _experiment(in_zoo.root, "exp-a", "online-a", 60, {"champion": 0.80, "challenger": 0.90})
    refused = mj.promote("online-a", "models:/online-a/2", ab="online:exp-a")
    gate = refused.gates[0]
    assert not refused.ok and not refused.promoted and gate.name == "ab" and gate.status == "failed"
    assert "insufficient evidence online: need ≈" in gate.reason and "more labelled requests" in gate.reason
    assert gate.numbers["test"] == "msprt" and gate.numbers["source"] == "online:exp-a"
    assert refused.record.get("run_id")  # the refusal is recorded in the registry

    _experiment(in_zoo.root, "exp-a", "online-a", 1500, {"champion": 0.80, "challenger": 0.90}, seed=1)
    passed = mj.promote("online-a", "models:/online-a/2", ab="online:exp-a")
    assert passed.ok and passed.promoted, passed.gates[0].reason
    assert passed.gates[0].reason.startswith("better online (mSPRT")
    from mlflow.tracking import MlflowClient

    c = MlflowClient(tracking_uri=in_zoo.uri)
    assert str(c.get_model_version_by_alias("online-a", "champion").version) == "2"
    tags = c.get_model_version("online-a", "2").tags
    assert '"source":"online:exp-a"' in tags["mlops.release.decision"]


def test_online_gate_checks_the_service_serves_the_candidate_and_champion(in_zoo: Zoo) -> None:
    _register(in_zoo, "online-b")
    _experiment(in_zoo.root, "exp-b", "online-b", 50, {"champion": 0.8, "challenger": 0.8})
    wrong = mj.promote("online-b", "models:/online-b/1", ab="online:exp-b", dry_run=True)
    assert wrong.already_champion  # v1 holds the alias already: nothing evaluated
    from mlflow.tracking import MlflowClient

    MlflowClient(tracking_uri=in_zoo.uri).create_model_version("online-b", f"runs:/{in_zoo.runs['challenger']}/model")
    other = mj.promote("online-b", "models:/online-b/3", ab="online:exp-b", dry_run=True)
    assert not other.ok and "is not the challenger of service exp-b (it serves online-b v2)" in other.gates[0].reason
    with pytest.raises(mj.MlopsError, match="not an online experiment"):
        mj.promote("online-b", "models:/online-b/2", ab="offline:exp-b", dry_run=True)


def test_cli_ab_online(in_zoo: Zoo, capsys: pytest.CaptureFixture[str]) -> None:
    _register(in_zoo, "online-c")
    _experiment(in_zoo.root, "exp-c", "online-c", 40, {"champion": 0.8, "challenger": 0.8})
    code = main(["promote", "online-c", "--candidate", "models:/online-c/2", "--ab", "online:exp-c", "--dry-run", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["gates"][0]["numbers"]["test"] == "msprt"
    assert out["gates"][0]["numbers"]["details"]["n_challenger"] == 40
    assert main(["promote", "online-c", "--candidate", "models:/online-c/2", "--ab", "online:nope", "--dry-run"]) == 1
    assert "no service named 'nope'" in capsys.readouterr().out
