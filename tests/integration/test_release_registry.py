"""Release gate on a real MLflow registry (SQLite in a tmp dir) with real scikit-learn models.

Models are logged once per module (MLflow model logging is slow); every test promotes into
its own registered model name, so registry state never leaks between tests.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import ConfigError, GateFailed, MlopsUsageError, ReadOnlyEnvironment
from mlops_jupyter.session import session

pytestmark = pytest.mark.slow


@dataclass
class Zoo:
    uri: str
    root: Path
    train: Any
    eval: Any
    runs: dict[str, str]  # strong / twin / weak -> run id


def _log(uri: str, name: str, model: Any, params: dict[str, Any], train: Any, ev: Any, train_csv: Path) -> str:
    import mlflow

    mlflow.set_tracking_uri(uri)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with mlflow.start_run(run_name=name) as run:
            mlflow.log_params(params)
            mlflow.set_tag("mlflow.source.git.commit", name * 4)
            mlflow.set_tag("mlops.python", "3.11")
            ds = mlflow.data.from_pandas(train, source=str(train_csv), targets="target")
            mlflow.log_input(ds, context="training")
            mlflow.log_metric("accuracy", float(model.score(ev.drop(columns="target"), ev["target"])))
            # explicit requirements skip MLflow's slow requirement inference (~5 s a model)
            mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"])
    return str(run.info.run_id)


def _restore_mlflow_globals(saved: tuple[str, str | None]) -> None:
    # mlflow.set_tracking_uri also sets MLFLOW_TRACKING_URI; leave the process as found.
    import mlflow

    mlflow.set_tracking_uri(saved[0])
    if saved[1] is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = saved[1]


@pytest.fixture(scope="module")
def zoo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zoo]:
    import mlflow
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    saved = (mlflow.get_tracking_uri(), os.environ.get("MLFLOW_TRACKING_URI"))
    root = tmp_path_factory.mktemp("release_store")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    df = load_breast_cancer(as_frame=True).frame
    train, ev = train_test_split(df, test_size=0.4, random_state=0, stratify=df["target"])
    train_csv = root / "train.csv"
    train.to_csv(train_csv, index=False)
    x, y = train.drop(columns="target"), train["target"]
    runs = {}
    for name, c in (("strong", 1.0), ("twin", 0.5), ("weak", 1e-3)):
        model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=500)).fit(x, y)
        runs[name] = _log(uri, name, model, {"C": c, "max_iter": 500}, train, ev, train_csv)
    yield Zoo(uri=uri, root=root, train=train, eval=ev, runs=runs)
    _restore_mlflow_globals(saved)


@pytest.fixture
def reg(zoo: Zoo, project: Path, monkeypatch: pytest.MonkeyPatch) -> Zoo:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", zoo.uri)
    return zoo


def _name() -> str:
    return "clf_" + uuid.uuid4().hex[:8]


def _client(zoo: Zoo) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=zoo.uri)


def _alias_version(zoo: Zoo, model: str, alias: str = "champion") -> str | None:
    try:
        return str(_client(zoo).get_model_version_by_alias(model, alias).version)
    except Exception:
        return None


def _record(zoo: Zoo, decision: Any) -> dict[str, Any]:
    import mlflow

    path = mlflow.artifacts.download_artifacts(decision.record["artifact"], tracking_uri=zoo.uri)
    return json.loads(Path(path).read_text())


GATES = {"metrics": {"accuracy": {"min": 0.8, "min_delta": 0.0}}, "ab": True}


def test_first_candidate_becomes_champion_and_the_record_says_so(reg: Zoo) -> None:
    model = _name()
    d = mj.promote(model, reg.runs["weak"], eval_data=reg.eval, target="target", **GATES)
    assert d.ok and d.promoted and d.first_champion and d.status == "promoted"
    assert d.gate("ab").status == "skipped" and "no champion" in d.gate("ab").reason
    assert "absolute thresholds only" in d.gate("metrics").reason
    assert _alias_version(reg, model) == d.candidate["version"] == "1"
    record = _record(reg, d)
    assert record["first_champion"] is True and record["promoted"] is True and record["status"] == "promoted"
    assert record["candidate"]["run_id"] == reg.runs["weak"] and record["champion"] is None
    assert record["gates"][0]["numbers"]["metrics"]["accuracy"]["candidate"] == pytest.approx(0.886, abs=0.01)
    tags = _client(reg).get_model_version(model, "1").tags
    assert tags["mlops.release.decision_id"] == d.id and tags["mlops.release.status"] == "promoted"
    assert json.loads(tags["mlops.release.decision"])["id"] == d.id
    promo_run = _client(reg).get_run(d.record["run_id"])
    assert promo_run.data.tags["mlops.kind"] == "promotion" and promo_run.info.status == "FINISHED"
    # the check history got the verdict
    history = (Path.cwd() / ".mlops" / "checks.jsonl").read_text().splitlines()
    entry = json.loads(history[-1])
    assert entry["kind"] == "gate" and entry["ok"] is True and model in entry["name"]


def test_absolute_threshold_refuses_even_the_first_champion(reg: Zoo) -> None:
    model = _name()
    d = mj.promote(model, reg.runs["weak"], eval_data=reg.eval, target="target",
                   metrics={"accuracy": {"min": 0.95}})
    assert not d.ok and not d.promoted and d.status == "refused"
    assert "accuracy 0.886 < min 0.95" in d.reasons[0]
    assert _alias_version(reg, model) is None
    assert _record(reg, d)["status"] == "refused"
    tags = _client(reg).get_model_version(model, d.candidate["version"]).tags
    assert tags["mlops.release.ok"] == "false"


def test_worse_challenger_is_refused_and_the_alias_stays(reg: Zoo) -> None:
    model = _name()
    assert mj.promote(model, reg.runs["strong"], eval_data=reg.eval, target="target", **GATES).promoted
    d = mj.promote(model, reg.runs["weak"], eval_data=reg.eval, target="target", **GATES)
    assert not d.ok and not d.promoted
    assert {g.name for g in d.failed_gates} == {"metrics", "ab"}
    ab = d.gate("ab").numbers
    assert ab["improvement"] < 0 and ab["ci_high"] < 0 and ab["test"] == "mcnemar-exact"
    assert _alias_version(reg, model) == "1"
    assert d.champion is not None and d.champion["version"] == "1"
    with pytest.raises(GateFailed) as info:
        mj.promote(model, reg.runs["weak"], eval_data=reg.eval, target="target", raise_on_fail=True, **GATES)
    assert info.value.decision.status == "refused" and info.value.exit_code == 1
    # retrying the same run reuses its version instead of registering a new one
    assert info.value.decision.candidate["version"] == d.candidate["version"] == "2"


def test_better_challenger_passes_the_ab_test(reg: Zoo) -> None:
    model = _name()
    mj.promote(model, reg.runs["weak"], eval_data=reg.eval, target="target", **GATES)
    d = mj.promote(model, reg.runs["strong"], eval_data=reg.eval, target="target", **GATES)
    assert d.ok and d.promoted and not d.first_champion
    ab = d.gate("ab").numbers
    assert ab["passed"] and ab["p_value"] < 0.05 and ab["ci_low"] > 0
    assert ab["details"]["challenger_only_right"] > ab["details"]["champion_only_right"]
    assert _alias_version(reg, model) == "2"
    # the candidate already holding the alias: nothing to do
    again = mj.promote(model, f"models:/{model}/2", eval_data=reg.eval, target="target", **GATES)
    assert again.already_champion and again.status == "unchanged" and not again.gates


def test_equal_challenger_superiority_refused_non_inferiority_passes(reg: Zoo) -> None:
    model = _name()
    mj.promote(model, reg.runs["strong"], eval_data=reg.eval, target="target", **GATES)
    sup = mj.promote(model, reg.runs["twin"], eval_data=reg.eval, target="target", ab=True)
    assert not sup.ok and "not shown better" in sup.gate("ab").reason
    non_inf = mj.promote(model, reg.runs["twin"], eval_data=reg.eval, target="target",
                         ab={"rule": "non-inferiority", "delta": 0.03})
    assert non_inf.ok and non_inf.promoted
    assert non_inf.gate("ab").numbers["ci_low"] > -0.03
    assert _alias_version(reg, model) == "2"


def test_bootstrap_on_log_loss_uses_probabilities(reg: Zoo) -> None:
    model = _name()
    mj.promote(model, reg.runs["weak"], eval_data=reg.eval, target="target", ab=True)
    d = mj.promote(model, reg.runs["strong"], eval_data=reg.eval, target="target",
                   ab={"metric": "log_loss", "test": "bootstrap", "n_boot": 500},
                   metrics={"roc_auc": {"min": 0.9}})
    assert d.ok, d.reasons
    ab = d.gate("ab").numbers
    assert ab["test"] == "paired-bootstrap" and ab["challenger_value"] < ab["champion_value"]
    assert d.gate("metrics").numbers["metrics"]["roc_auc"]["candidate"] > 0.9


def test_logged_metrics_without_eval_data(reg: Zoo) -> None:
    model = _name()
    mj.promote(model, reg.runs["strong"], metrics={"accuracy": {"min": 0.8}})
    d = mj.promote(model, reg.runs["weak"], metrics={"accuracy": {"min_delta": 0.0}})
    assert not d.ok and d.gate("metrics").numbers["source"] == "logged run metrics"
    needs_eval = mj.promote(model, reg.runs["twin"], gates=["ab"])
    assert not needs_eval.ok and "needs evaluation data" in needs_eval.gate("ab").reason


def test_dry_run_writes_nothing(reg: Zoo) -> None:
    model = _name()
    d = mj.promote(model, reg.runs["strong"], eval_data=reg.eval, target="target", dry_run=True, **GATES)
    assert d.ok and not d.promoted and d.status == "dry-run" and d.candidate["version"] is None
    assert not d.record
    assert list(_client(reg).search_registered_models(filter_string=f"name='{model}'")) == []


def test_no_gates_is_a_usage_error(reg: Zoo) -> None:
    with pytest.raises(MlopsUsageError, match="no release gates"):
        mj.promote(_name(), reg.runs["strong"])


def test_config_table_drives_the_gates(reg: Zoo) -> None:
    model = _name()
    (Path.cwd() / "mlops.toml").write_text(
        'experiment = "rel"\n[release]\nalias = "prod"\ntarget = "target"\n'
        "[release.metrics.accuracy]\nmin = 0.99\n"
    )
    d = mj.promote(model, reg.runs["strong"], eval_data=reg.eval)
    assert d.alias == "prod" and not d.ok and "< min 0.99" in d.reasons[0]
    (Path.cwd() / "mlops.toml").write_text('[release]\ntarget = "target"\nmin_acc = 1\n')
    with pytest.raises(mj.MlopsError, match="unknown key 'min_acc'"):
        mj.promote(model, reg.runs["strong"], eval_data=reg.eval)


def test_read_only_profile_refuses_interactive_and_allows_headless(reg: Zoo, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _name()
    (Path.cwd() / "mlops.toml").write_text(
        f'default_env = "prod"\n[env.prod]\ntracking_uri = "{reg.uri}"\ninteractive = "read-only"\n'
    )
    session.interactive = True
    with pytest.raises(ReadOnlyEnvironment, match="promote a model"):
        mj.promote(model, reg.runs["strong"], eval_data=reg.eval, target="target", ab=True)
    assert _alias_version(reg, model) is None
    # a dry run writes nothing, so it is allowed
    assert mj.promote(model, reg.runs["strong"], eval_data=reg.eval, target="target", ab=True, dry_run=True).ok
    monkeypatch.setenv("MLOPS_HEADLESS", "1")
    d = mj.promote(model, reg.runs["strong"], eval_data=reg.eval, target="target", ab=True)
    assert d.promoted and d.environment == "prod" and d.headless


def test_process_dying_before_the_alias_move_leaves_the_alias(reg: Zoo, tmp_path: Path) -> None:
    model = _name()
    mj.promote(model, reg.runs["weak"], eval_data=reg.eval, target="target", **GATES)
    eval_csv = tmp_path / "eval.csv"
    reg.eval.to_csv(eval_csv, index=False)
    script = tmp_path / "die.py"
    script.write_text(textwrap.dedent(f"""
        import os, sys
        import mlops_jupyter.release.promotion as p
        def die(decision):
            sys.stdout.write("record " + decision.record["run_id"] + "\\n"); sys.stdout.flush()
            os._exit(3)
        p._before_alias_move = die
        p.promote({model!r}, {reg.runs['strong']!r}, eval_data={str(eval_csv)!r}, target="target", ab=True)
        print("not reached")
    """))
    env = {**os.environ, "MLFLOW_TRACKING_URI": reg.uri}
    out = subprocess.run([sys.executable, str(script)], cwd=Path.cwd(), env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 3, out.stderr[-2000:]
    assert "not reached" not in out.stdout
    assert _alias_version(reg, model) == "1"  # unchanged
    run_id = out.stdout.split("record ", 1)[1].split()[0]
    import mlflow

    rec = json.loads(Path(mlflow.artifacts.download_artifacts(f"runs:/{run_id}/decision.json", tracking_uri=reg.uri)).read_text())
    assert rec["ok"] is True and rec["status"] == "approved" and rec["promoted"] is False
    # the next attempt completes the promotion
    assert mj.promote(model, reg.runs["strong"], eval_data=reg.eval, target="target", ab=True).promoted
    assert _alias_version(reg, model) == "2"


class _Hook(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_webhook_on_promotion(reg: Zoo) -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        model = _name()
        url = f"http://127.0.0.1:{server.server_port}/hook"
        d = mj.promote(model, reg.runs["strong"], eval_data=reg.eval, target="target", ab=True, webhook=url)
        assert d.webhook == {"url": url, "ok": True, "status": 204, "attempts": 1}
        assert _Hook.received[-1]["event"] == "promotion" and _Hook.received[-1]["id"] == d.id
        refused = mj.promote(model, reg.runs["weak"], eval_data=reg.eval, target="target", ab=True, webhook=url)
        assert not refused.ok and refused.webhook is None and len(_Hook.received) == 1
    finally:
        server.shutdown()
        server.server_close()
    # an unreachable webhook does not undo the promotion, and says so
    model = _name()
    with pytest.warns(UserWarning, match="webhook was not delivered"):
        d = mj.promote(model, reg.runs["strong"], eval_data=reg.eval, target="target", ab=True,
                       webhook=f"http://127.0.0.1:{server.server_port}/gone")
    assert d.promoted and d.webhook is not None and d.webhook["ok"] is False


class _Hook500(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[int] = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).hits += 1
        self.send_response(500)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_webhook_settings_come_from_the_webhook_table(reg: Zoo) -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Hook500)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hook"
    try:
        # retries = 0: one attempt on a 500, and the failure is reported (not silent)
        (Path.cwd() / "mlops.toml").write_text("[webhook]\nretries = 0\nbackoff = 0\n")
        with pytest.warns(UserWarning, match=r"failed after 1 attempt\(s\): HTTP 500"):
            d = mj.promote(_name(), reg.runs["strong"], eval_data=reg.eval, target="target", ab=True, webhook=url)
        assert d.promoted and d.webhook is not None and d.webhook["ok"] is False and _Hook500.hits == 1
        # a bad table is refused before anything is registered or moved
        (Path.cwd() / "mlops.toml").write_text("[webhook]\ntimeout = 0\n")
        model = _name()
        with pytest.raises(ConfigError, match=r"'timeout' in \[webhook\] .* got 0$"):
            mj.promote(model, reg.runs["strong"], eval_data=reg.eval, target="target", ab=True, webhook=url)
        assert _client(reg).search_registered_models(filter_string=f"name = '{model}'") == []
        assert _Hook500.hits == 1
    finally:
        server.shutdown()
        server.server_close()


def test_candidate_forms_and_errors(reg: Zoo) -> None:
    model = _name()
    first = mj.promote(model, f"runs:/{reg.runs['weak']}/model", eval_data=reg.eval, target="target", ab=True)
    assert first.promoted
    with pytest.raises(MlopsUsageError, match="has no version 9"):
        mj.promote(model, 9, eval_data=reg.eval, target="target", ab=True)
    with pytest.raises(MlopsUsageError, match="no logged model named 'nope'"):
        mj.promote(model, f"runs:/{reg.runs['weak']}/nope", eval_data=reg.eval, target="target", ab=True)
    with pytest.raises(MlopsUsageError, match="no run"):
        mj.promote(model, "f" * 32, eval_data=reg.eval, target="target", ab=True)
    with pytest.raises(MlopsUsageError, match="target column 'label'"):
        mj.promote(model, reg.runs["strong"], eval_data=reg.eval, target="label", ab=True)


def test_compare_models_view(reg: Zoo) -> None:
    model = _name()
    mj.promote(model, reg.runs["weak"], eval_data=reg.eval, target="target", ab=True)
    comp = mj.compare_models(model, reg.runs["strong"], eval_data=reg.eval, target="target",
                             metrics=["accuracy", "roc_auc"], n_boot=300)
    acc = comp.metrics[0]
    assert acc["metric"] == "accuracy"
    assert acc["challenger_ci_low"] < acc["challenger"] < acc["challenger_ci_high"]
    assert acc["challenger"] > acc["champion"]
    assert comp.ab is not None and comp.ab.status == "passed" and comp.ok
    assert comp.params == [("C", "1.0", "0.001")]
    assert comp.git["challenger"]["mlflow.source.git.commit"] == "strong" * 4
    assert comp.environment["champion"]["mlops.python"] == "3.11"
    assert comp.data["challenger"][0]["context"] == "training"
    html = comp._repr_html_()
    assert "challenger vs champion" in html and "Params that differ" in html and "roc_auc" in html
    assert "A/B: passed" in str(comp)
    fig = comp.figure()
    assert len(fig.data) == 2
    json.dumps(comp.to_dict())
    # nothing was registered by comparing
    assert len(list(_client(reg).search_model_versions(f"name='{model}'"))) == 1


def test_cli_promote_exit_codes(reg: Zoo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mlops_jupyter.cli import main

    model = _name()
    eval_csv = tmp_path / "eval.csv"
    reg.eval.to_csv(eval_csv, index=False)
    base = ["promote", model, "--eval", str(eval_csv), "--target", "target", "--ab"]
    assert main([*base, "--candidate", reg.runs["strong"], "--min", "accuracy=0.9"]) == 0
    assert "promoted" in capsys.readouterr().out
    assert main([*base, "--candidate", reg.runs["weak"], "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "refused" and out["gates"][0]["name"] == "ab"
    assert main([*base, "--candidate", "not-a-run"]) == 2
    assert "neither a run id" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["promote", model])  # --candidate missing
    assert exc.value.code == 2
    assert _alias_version(reg, model) == "1"


def test_data_gate_passes_and_fails_on_a_suite(reg: Zoo) -> None:
    mj.save_suite("rows >= 100\n`mean radius` between 5 and 30\ntarget in {0, 1}", "eval_suite")
    model = _name()
    d = mj.promote(model, reg.runs["strong"], eval_data=reg.eval, target="target", suite="eval_suite")
    assert d.ok and d.promoted and d.gates[0].name == "data"
    assert d.gate("data").numbers["rules"] == 3
    broken = reg.eval.copy()
    broken.loc[broken.index[:5], "mean radius"] = -1.0
    refused = mj.promote(model, reg.runs["twin"], eval_data=broken, target="target", suite="eval_suite", ab=True)
    assert not refused.ok and "fails suite 'eval_suite'" in refused.gate("data").reason
    failed = refused.gate("data").numbers["failed"]
    assert [f["rule"] for f in failed] == ["`mean radius` between 5 and 30"] and failed[0]["failing"] == 5
    assert _alias_version(reg, model) == "1"
    missing = mj.promote(model, reg.runs["twin"], eval_data=reg.eval, target="target", suite="no_such_suite")
    assert not missing.ok and "no_such_suite" in missing.gate("data").reason


def test_drift_gate_uses_the_training_input_of_the_run(reg: Zoo) -> None:
    model = _name()
    same = reg.eval
    d = mj.promote(model, reg.runs["strong"], current=same, max_drift_share=0.1)
    assert d.ok and d.gate("drift").numbers["share"] <= 0.1  # reference: the run's logged train.csv
    shifted = reg.eval.copy()
    for col in ["mean radius", "mean texture", "mean perimeter", "mean area"]:
        shifted[col] = shifted[col] * 1.5
    refused = mj.promote(model, reg.runs["twin"], current=shifted, max_drift_share=0.1, target="target")
    assert not refused.ok and refused.gate("drift").status == "failed"
    assert "mean radius" in refused.gate("drift").numbers["drifted_columns"]
    assert _alias_version(reg, model) == "1"
    # an explicit reference wins; unknown training data is a failing gate, never a pass
    explicit = mj.promote(model, reg.runs["twin"], current=shifted, reference=shifted, max_drift_share=0.1)
    assert explicit.gate("drift").status == "passed"
    from mlops_jupyter.release.gates import GateConfig, gate_drift

    assert gate_drift(None, shifted, GateConfig()).status == "failed"


def test_promote_leaves_mlflow_globals_and_profiles_alone(reg: Zoo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    (Path.cwd() / "mlops.toml").write_text(f'[env.dev]\ntracking_uri = "{reg.uri}"\n')
    d = mj.promote(_name(), reg.runs["strong"], eval_data=reg.eval, target="target", ab=True)
    assert d.promoted
    assert "MLFLOW_TRACKING_URI" not in os.environ  # the profile still decides the store


def test_a_concurrent_promotion_is_not_overwritten(reg: Zoo, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlops_jupyter.release.promotion as promote_module
    from mlops_jupyter.errors import TrackingError

    model = _name()
    mj.promote(model, reg.runs["weak"], eval_data=reg.eval, target="target", ab=True)
    other = mj.promote(model, reg.runs["twin"], eval_data=reg.eval, target="target", ab=True, dry_run=True)
    assert other.ok
    client = _client(reg)
    v_twin = client.create_model_version(model, source=f"runs:/{reg.runs['twin']}/model", run_id=reg.runs["twin"]).version

    def someone_else_promotes(decision: Any) -> None:  # another job wins the race meanwhile
        client.set_registered_model_alias(model, "champion", str(v_twin))

    monkeypatch.setattr(promote_module, "_before_alias_move", someone_else_promotes)
    with pytest.raises(TrackingError, match="moved to v2 during this decision"):
        mj.promote(model, reg.runs["strong"], eval_data=reg.eval, target="target", ab=True)
    assert _alias_version(reg, model) == str(v_twin)


def test_promotions_on_one_local_registry_take_turns(reg: Zoo, tmp_path: Path) -> None:
    """Two promotions that both passed their gates: the second waits for the registry lock,
    then sees the first one's champion and stops instead of overwriting it."""
    from mlops_jupyter.release import registry

    model = _name()
    mj.promote(model, reg.runs["weak"], eval_data=reg.eval, target="target", ab=True)  # v1 champion
    client = _client(reg)
    v_twin = client.create_model_version(model, source=f"runs:/{reg.runs['twin']}/model", run_id=reg.runs["twin"]).version
    eval_csv = tmp_path / "eval.csv"
    reg.eval.to_csv(eval_csv, index=False)
    script = tmp_path / "second.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        import mlops_jupyter.release.promotion as p
        from mlops_jupyter.errors import MlopsError
        def at_the_lock(decision):
            print("gates passed", flush=True)
        p._before_alias_move = at_the_lock
        try:
            d = p.promote({model!r}, {reg.runs['strong']!r}, eval_data={str(eval_csv)!r}, target="target", ab=True)
            print("promoted", d.promoted, flush=True)
        except MlopsError as exc:
            print("refused:", exc.message, flush=True)
            sys.exit(exc.exit_code)
    """))
    env = {**os.environ, "MLFLOW_TRACKING_URI": reg.uri}
    # Given a first promotion holding the lock (re-check done, alias about to move)
    with registry.alias_lock(model, "champion"):
        second = subprocess.Popen([sys.executable, str(script)], cwd=Path.cwd(), env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert second.stdout is not None
        assert second.stdout.readline().strip() == "gates passed"  # the second one reached the lock
        time.sleep(1.0)
        assert second.poll() is None  # and waits there
        client.set_registered_model_alias(model, "champion", str(v_twin))  # the first one moves it
    out, err = second.communicate(timeout=120)
    # Then the second promotion re-checked after the first one and did not overwrite it
    assert second.returncode == 2, out + err[-2000:]
    assert f"refused: alias 'champion' of '{model}' moved to v{v_twin} during this decision" in out
    assert _alias_version(reg, model) == str(v_twin)


def test_cli_takes_the_evaluation_data_from_the_config(reg: Zoo, capsys: pytest.CaptureFixture[str]) -> None:
    from mlops_jupyter.cli import main

    reg.eval.to_csv(Path.cwd() / "eval.csv", index=False)
    (Path.cwd() / "mlops.toml").write_text(
        '[release]\neval = "eval.csv"\ntarget = "target"\n[release.ab]\nrule = "non-inferiority"\ndelta = 0.03\n'
    )
    model = _name()
    assert main(["promote", model, "--candidate", reg.runs["strong"]]) == 0
    capsys.readouterr()
    assert main(["promote", model, "--candidate", reg.runs["twin"], "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["gates"][0]["numbers"]["rule"] == "non-inferiority" and record["promoted"]
    assert _alias_version(reg, model) == "2"  # twin is not worse than 0.03: promoted
    assert main(["promote", model, "--candidate", reg.runs["weak"], "--rule", "superiority"]) == 1
    assert _alias_version(reg, model) == "2"
