"""Gate configuration, the metric gate's arithmetic, options parsing and light imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mlops_jupyter.errors import ConfigError, MlopsUsageError
from mlops_jupyter.release.decision import FAILED, PASSED, SKIPPED, Decision, GateResult
from mlops_jupyter.release.gates import gate_metrics, parse_metric_specs, resolve_config
from mlops_jupyter.release.registry import parse_candidate


def test_config_table_and_arguments_merge() -> None:
    section = {"suite": "eval", "metrics": {"accuracy": {"min": 0.9}}, "ab": {"rule": "non-inferiority", "delta": 0.01}}
    cfg = resolve_config(section, "mlops.toml", metrics={"accuracy": {"min_delta": 0}}, ab={"confidence": 0.9})
    assert cfg.wanted() == ["data", "metrics", "ab"]
    spec = cfg.metrics["accuracy"]
    assert spec.min == 0.9 and spec.min_delta == 0.0 and spec.higher_is_better
    assert cfg.ab is not None and cfg.ab["rule"] == "non-inferiority" and cfg.ab["confidence"] == 0.9
    only = resolve_config(section, "mlops.toml", gates="metrics")
    assert only.wanted() == ["metrics"]


@pytest.mark.parametrize(
    ("section", "match"),
    [
        ({"suit": "x"}, "unknown key 'suit'"),
        ({"metrics": {"accuracy": {"minimum": 1}}}, "unknown key 'minimum'"),
        ({"metrics": {"accuracy": {"min": "high"}}}, "finite number"),
        ({"metrics": {"accuracy": 0.9}}, "table of thresholds"),
        ({"ab": {"rule": "better"}}, "not known"),
        ({"ab": {"confidence": 1.2}}, "between 0.5 and 1"),
        ({"ab": {"delta": -1}}, "must be ≥ 0"),
        ({"metrics": {"x": {"direction": "up"}}}, "'higher' or 'lower'"),
    ],
)
def test_bad_config_is_refused_with_a_clear_message(section: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        resolve_config(section, "mlops.toml")


def test_unknown_gate_name() -> None:
    with pytest.raises(MlopsUsageError, match="unknown gate"):
        resolve_config({}, "x", gates=["speed"])


def test_metric_gate_absolute_relative_and_direction() -> None:
    specs = parse_metric_specs({"accuracy": {"min": 0.9, "min_delta": 0.0},
                                "log_loss": {"max": 0.4, "min_rel_delta": 0.05}}, "t")
    assert specs["log_loss"].higher_is_better is False
    ok = gate_metrics(specs, {"accuracy": 0.95, "log_loss": 0.2}, {"accuracy": 0.94, "log_loss": 0.22}, "eval")
    assert ok.status == PASSED
    assert ok.numbers["metrics"]["log_loss"]["improvement"] == pytest.approx(0.02)
    bad = gate_metrics(specs, {"accuracy": 0.93, "log_loss": 0.215}, {"accuracy": 0.94, "log_loss": 0.22}, "eval")
    assert bad.status == FAILED
    assert "accuracy improves by -0.01" in bad.reason and "log_loss improves by +2.27%" in bad.reason
    absolute = gate_metrics(specs, {"accuracy": 0.85, "log_loss": 0.5}, None, "eval")
    assert absolute.status == FAILED and "< min 0.9" in absolute.reason and "> max 0.4" in absolute.reason
    first = gate_metrics(specs, {"accuracy": 0.95, "log_loss": 0.3}, None, "eval")
    assert first.status == PASSED and "no champion" in first.reason
    missing = gate_metrics(specs, {"accuracy": 0.95}, None, "logged")
    assert missing.status == FAILED and "log_loss unavailable" in missing.reason


def test_candidate_forms() -> None:
    rid = "a" * 32
    assert parse_candidate("m", rid) == ("run", rid)
    assert parse_candidate("m", f"runs:/{rid}/model") == ("run", f"{rid}/model")
    assert parse_candidate("m", "models:/m/3") == ("version", "3")
    assert parse_candidate("m", 4) == ("version", "4")
    assert parse_candidate("m", "models:/m@challenger") == ("alias", "challenger")
    with pytest.raises(MlopsUsageError, match="belongs to model"):
        parse_candidate("m", "models:/other/1")
    with pytest.raises(MlopsUsageError, match="neither a run id"):
        parse_candidate("m", "latest")


def test_decision_statuses_and_text() -> None:
    d = Decision(id="x", time=0.0, model="m", alias="champion", candidate={"version": "2", "uri": "models:/m/2"},
                 champion=None, gates=[GateResult("metrics", PASSED, "accuracy 0.95"), GateResult("ab", SKIPPED, "no champion")],
                 first_champion=True)
    assert d.ok and d.status == "approved"
    d.promoted = True
    assert d.status == "promoted" and "first champion" in d.summary
    d.gates.append(GateResult("data", FAILED, "suite fails"))
    assert not d.ok and d.status == "refused" and d.reasons == ["data: suite fails"]
    assert "REFUSED m v2" in str(d) and "suite fails" in d._repr_html_()
    assert d.to_dict()["gates"][2]["status"] == "failed"
    assert list(d.to_frame()["gate"]) == ["metrics", "ab", "data"]


def test_options_translate_to_promote_kwargs() -> None:
    import argparse

    from mlops_jupyter.release.options import add_options, promote_kwargs

    p = argparse.ArgumentParser()
    add_options(p.add_argument)
    args = p.parse_args(["clf", "--candidate", "models:/clf/2", "--eval", "ev.csv", "--target", "y",
                         "--min", "accuracy=0.9", "f1=0.8", "--min-delta", "accuracy=-0.01",
                         "--rule", "non-inferiority", "--delta", "0.02", "--dry-run", "--max-drift-share", "0.2"])
    kw, refs = promote_kwargs(args)
    assert kw["metrics"] == {"accuracy": {"min": 0.9, "min_delta": -0.01}, "f1": {"min": 0.8}}
    assert kw["ab"] == {"rule": "non-inferiority", "delta": 0.02}
    assert kw["dry_run"] is True and kw["max_drift_share"] == 0.2
    assert refs == {"eval_data": "ev.csv"}
    with pytest.raises(MlopsUsageError, match="not a number"):
        promote_kwargs(p.parse_args(["clf", "--candidate", "1", "--min", "accuracy=high"]))


def test_importing_release_surfaces_is_light() -> None:
    code = (
        "import sys, mlops_jupyter.release, mlops_jupyter.magics.release, mlops_jupyter.cli.release, "
        "mlops_jupyter.display.release, mlops_jupyter.release.options\n"
        "heavy = [m for m in ('mlflow', 'scipy', 'plotly', 'sqlalchemy', 'dvc') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
