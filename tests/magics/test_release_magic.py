"""%mlops_promote in a real IPython shell, its help, usage errors and its script export."""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError

from mlops_jupyter.errors import GateFailed
from mlops_jupyter.magics.release import SCRIPT_EXPORTS, ReleaseMagics
from mlops_jupyter.release.decision import Decision


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import mlflow
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    root = tmp_path_factory.mktemp("release_magic")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    df = load_wine(as_frame=True).frame
    train, ev = train_test_split(df, test_size=0.5, random_state=0, stratify=df["target"])
    saved = (mlflow.get_tracking_uri(), os.environ.get("MLFLOW_TRACKING_URI"))
    mlflow.set_tracking_uri(uri)
    runs = {}
    for name, c in (("good", 1.0), ("poor", 1e-4)):
        model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=500))
        model.fit(train.drop(columns="target"), train["target"])
        with warnings.catch_warnings(), mlflow.start_run() as run:
            warnings.simplefilter("ignore")
            mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"])
        runs[name] = run.info.run_id
    yield {"uri": uri, "eval": ev, "runs": runs}
    mlflow.set_tracking_uri(saved[0])  # it also set MLFLOW_TRACKING_URI: restore that too
    if saved[1] is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = saved[1]


@pytest.fixture
def shell(ip: Any, store: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store["uri"])
    ip.user_ns["ev"] = store["eval"]
    ip.user_ns["xy"] = (store["eval"].drop(columns="target"), store["eval"]["target"])
    return ip


def test_promote_magic_promotes_then_displays_a_refusal(shell: Any, store: dict[str, Any]) -> None:
    model = "wine_" + uuid.uuid4().hex[:6]
    runs = store["runs"]
    d = shell.run_line_magic("mlops_promote", f"{model} --candidate {runs['poor']} --eval ev --target target --ab")
    assert isinstance(d, Decision) and d.promoted and d.first_champion
    # a worse model: refused and displayed, not raised (the notebook goes on)
    worse = shell.run_line_magic("mlops_promote", f"{model} --candidate {runs['poor']} --eval xy --ab --dry-run")
    assert worse.status == "unchanged"  # poor already holds the alias
    d2 = shell.run_line_magic(
        "mlops_promote",
        f"{model} --candidate {runs['good']} --eval xy --min accuracy=0.9 --min-delta accuracy=0.01 "
        "--rule superiority --confidence 0.9",
    )
    assert d2.ok and d2.promoted and {g.name for g in d2.gates} == {"metrics", "ab"}
    back = shell.run_line_magic("mlops_promote", f"{model} --candidate models:/{model}/1 --eval ev --target target --ab")
    assert not back.ok and not back.promoted and "REFUSED" in back._repr_html_()
    with pytest.raises(GateFailed):
        shell.run_line_magic("mlops_promote", f"{model} --candidate 1 --eval ev --target target --ab --fail")


def test_promote_magic_compare_shows_the_view(shell: Any, store: dict[str, Any]) -> None:
    model = "wine_" + uuid.uuid4().hex[:6]
    shell.run_line_magic("mlops_promote", f"{model} --candidate {store['runs']['poor']} --eval ev --target target --ab")
    comp = shell.run_line_magic(
        "mlops_promote", f"{model} --candidate {store['runs']['good']} --eval ev --target target --ab --dry-run --compare")
    assert comp.champion["version"] == "1" and comp.metrics[0]["metric"] == "accuracy"
    assert comp.ab is not None and comp.ab.status == "passed"


@pytest.mark.parametrize(
    "line",
    [
        "",  # no model
        "m",  # --candidate missing
        "m --candidate 1 --eval nope",  # unknown variable
        "m --candidate 1 --min accuracy",  # not name=value
        "m --candidate 1 --min accuracy=high",
        "m --candidate 1 --rule better",
        "m --candidate 1 --bogus",
    ],
)
def test_promote_magic_usage_errors(shell: Any, line: str) -> None:
    with pytest.raises(UsageError):
        shell.run_line_magic("mlops_promote", line)


def test_promote_magic_help_is_the_parser() -> None:
    doc = ReleaseMagics.mlops_promote.__doc__ or ""
    assert "--candidate" in doc and "--min-delta" in doc and "--dry-run" in doc and "--fail" in doc


def test_script_export_matches_the_magic(tmp_path: Path) -> None:
    export = SCRIPT_EXPORTS["mlops_promote"]
    src = export("clf --candidate abc --eval ev --target y --min accuracy=0.9 --ab --rule non-inferiority "
                 "--delta 0.01 --current data/cur.csv --dry-run --fail", None)
    assert src.startswith("mj.promote('clf', 'abc', ")
    assert "eval_data=ev" in src and "current='data/cur.csv'" in src
    assert "metrics={'accuracy': {'min': 0.9}}" in src and "ab={'rule': 'non-inferiority', 'delta': 0.01}" in src
    assert "dry_run=True" in src and "raise_on_fail=True" in src
    compile(src, "<export>", "eval")
    with pytest.raises(UsageError):
        export("clf", None)
