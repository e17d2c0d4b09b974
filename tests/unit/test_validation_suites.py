"""Suites on disk, inference round trips, run logging, check history and metric checks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter.checks import latest_checks
from mlops_jupyter.errors import ConfigError, ReadOnlyEnvironment, RuleError, ValidationFailed
from mlops_jupyter.session import session
from mlops_jupyter.validation import Suite


def _datasets() -> dict[str, pd.DataFrame]:
    from plotly import data
    from sklearn.datasets import load_wine

    wine = load_wine(as_frame=True).frame
    tips = data.tips()
    gap = data.gapminder()
    return {"wine": wine, "tips": tips, "gapminder": gap}


@pytest.mark.parametrize("name", ["wine", "tips", "gapminder"])
def test_infer_save_load_passes_on_source_and_catches_corruption(project: Path, name: str) -> None:
    df = _datasets()[name]
    suite = mj.infer_suite(df, name=name)
    path = mj.save_suite(suite, name)
    assert path == project / "mlops" / "suites" / f"{name}.yaml"
    loaded = mj.load_suite(name)
    assert loaded.rules == suite.rules
    assert mj.validate(df, suite=name).ok

    num = df.select_dtypes("number").columns[0]
    text_cols = [c for c in df.columns if df[c].dtype == "str"]
    corruptions = {
        "unit change x1000": lambda d: d.assign(**{num: d[num] * 1000}),
        "sign flip": lambda d: d.assign(**{num: -d[num].abs() - 1}),
        "nulls injected": lambda d: d.assign(**{num: d[num].where(np.arange(len(d)) % 3 != 0)}),
        "column dropped": lambda d: d.drop(columns=[num]),
        "rows truncated": lambda d: d.head(3),
    }
    if text_cols:
        col = text_cols[-1]
        corruptions["typo category"] = lambda d: d.assign(**{col: d[col].str.upper() + "?"})
    for label, corrupt in corruptions.items():
        report = mj.validate(corrupt(df.copy()), suite=name, warn_only=True)
        assert not report.ok, f"{name}: {label} not caught"


def test_suite_yaml_is_readable_and_errors_name_the_suite(project: Path) -> None:
    mj.save_suite("x > 0\n# comment\ny in {1, 2}", "small")
    text = (project / "mlops/suites/small.yaml").read_text()
    assert "- x > 0" in text and "comment" not in text
    (project / "mlops/suites/broken.yaml").write_text("rules:\n  - x > 0\n  - x betwen 1 and 2\n")
    with pytest.raises(RuleError, match="suite 'broken': line 2"):
        mj.load_suite("broken")
    with pytest.raises(RuleError, match="no suite 'nope'") as info:
        mj.load_suite("nope")
    assert "small" in (info.value.hint or "")
    for bad in ("../evil", "a/b", ""):
        with pytest.raises(RuleError):
            mj.save_suite("x > 0", bad)


def test_a_broken_suite_never_replaces_a_good_one(project: Path) -> None:
    mj.save_suite("x > 0", "keep")
    with pytest.raises(RuleError):
        mj.save_suite("x >>> 0", "keep")
    assert mj.load_suite("keep").rules == ["x > 0"]


def test_saving_is_a_write_refused_in_read_only_profile(project: Path) -> None:
    (project / "mlops.toml").write_text('default_env = "prod"\n[env.prod]\ninteractive = "read-only"\n')
    session.interactive = True
    with pytest.raises(ReadOnlyEnvironment):
        mj.save_suite(Suite("s", ["x > 0"]), "s")
    # validating is not a write
    assert mj.validate(pd.DataFrame({"x": [1]}), "x > 0").ok


def test_validation_settings_are_checked(project: Path) -> None:
    (project / "mlops.toml").write_text("[validation]\nsampel = 3\n")
    with pytest.raises(ConfigError, match="unknown key 'sampel' in \\[validation\\]") as info:
        mj.validate(pd.DataFrame({"x": [1]}), "x > 0")
    assert info.value.hint == "did you mean 'sample'?"


def test_check_history_records_every_run(project: Path) -> None:
    df = pd.DataFrame({"x": [1, -1]})
    mj.validate(df, "x > 0", warn_only=True, name="positive")
    entry = latest_checks()[0]
    assert (entry["kind"], entry["name"], entry["ok"]) == ("validation", "positive", False)
    assert entry["summary"]["failed"] == 1


def test_report_is_logged_into_the_active_run(git_project: Path) -> None:
    from mlflow.tracking import MlflowClient

    run = mj.start_run(name="v")
    with pytest.raises(ValidationFailed):
        mj.validate(pd.DataFrame({"x": [1, -1]}), "x > 0\nx < 10", name="checks")
    mj.end_run()
    client = MlflowClient(tracking_uri=session.profile().tracking_uri)
    metrics = client.get_run(run.run_id).data.metrics
    assert metrics["validation.checks.pass_fraction"] == 0.5
    assert metrics["validation.checks.failed_rules"] == 1
    local = client.download_artifacts(run.run_id, "validation/checks.json", str(git_project / "dl"))
    assert json.loads(Path(local).read_text())["results"][0]["failing"] == 1


def test_metric_rules_on_a_dict() -> None:
    report = mj.check_metrics("accuracy >= 0.8\nrmse between 0 and 3\nf1 > 0.5", run={"accuracy": 0.9, "rmse": 4.0},
                              warn_only=True)
    assert [r.status for r in report.results] == ["pass", "fail", "fail"]
    assert "was not logged" in report.results[2].message
    with pytest.raises(RuleError, match="not a metric rule"):
        mj.check_metrics("accuracy is unique", run={"accuracy": 1.0})
    for row_only in ("accuracy > 0.8 mostly 0.9", "accuracy > 0.8 where f1 > 0", "accuracy > 0.8, nulls fail",
                     "accuracy > now", "accuracy within 0.1 of f1"):  # never silently ignored
        with pytest.raises(RuleError, match="not a metric rule"):
            mj.check_metrics(row_only, run={"accuracy": 1.0, "f1": 1.0})
    with pytest.raises(ValidationFailed):
        mj.check_metrics("accuracy >= 0.95", run={"accuracy": 0.9})


def test_metric_rules_against_the_registered_champion(git_project: Path) -> None:
    from mlflow.tracking import MlflowClient

    (git_project / "mlops.toml").write_text('[validation]\nmodel = "churn"\n')
    champ = mj.start_run(name="champion")
    mj.log(accuracy=0.90)
    mj.end_run()
    client = MlflowClient(tracking_uri=session.profile().tracking_uri)
    client.create_registered_model("churn")
    version = client.create_model_version("churn", f"runs:/{champ.run_id}/model", run_id=champ.run_id)
    client.set_registered_model_alias("churn", "champion", version.version)

    mj.start_run(name="challenger")
    mj.log(accuracy=0.895)
    ok = mj.check_metrics("accuracy >= champion.accuracy - 0.01")
    assert ok.ok and ok.results[0].observed == pytest.approx(0.895)
    with pytest.raises(ValidationFailed):
        mj.check_metrics("accuracy >= champion.accuracy")
    missing = mj.check_metrics("accuracy >= champion.accuracy", model="nope", warn_only=True)
    assert "no version of model 'nope'" in missing.results[0].message
    mj.end_run()
