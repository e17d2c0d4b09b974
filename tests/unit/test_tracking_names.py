"""Metric, param and tag names: MLflow's rules at the `mj.log` call; one bad item never drops
the good ones (issue 12). Real MLflow SQLite stores."""

from __future__ import annotations

import string
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import mlops_jupyter as mj
from mlops_jupyter.tracking.run import InvalidName, name_problem
from mlops_jupyter.tracking.spool import Spool, replay
from mlops_jupyter.tracking.writer import Writer
from tests.integration.servers import use_store_template

ISSUE_NAMES = ["/lead", "trail/", "a//b", "./a", ".", "..x", "a\nb", "acc\n", "", "a/./b", "a/../b", "x" * 251]
GOOD_NAMES = ["acc", "val/loss", "a.b", ".a", "a..b", "a.", "x" * 250, "épsilon", "a b", "t:1", "-", "_"]
NAME_ALPHABET = string.ascii_letters[:6] + "/._- :\n\\é"


@pytest.fixture(autouse=True)
def _migrated_store(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    use_store_template(project, tmp_path_factory.getbasetemp())


def _mlflow_refuses(name: str) -> bool:
    from mlflow.exceptions import MlflowException
    from mlflow.utils import validation as v

    refused = []
    for check in (v._validate_metric_name, v._validate_param_name, v._validate_tag_name):
        try:
            check(name)
            v._validate_length_limit("key", v.MAX_ENTITY_KEY_LENGTH, name)
            refused.append(False)
        except MlflowException:
            refused.append(True)
    assert len(set(refused)) == 1  # one rule for the three kinds
    return refused[0]


@given(st.text(alphabet=NAME_ALPHABET, max_size=12) | st.text(max_size=6))
@settings(max_examples=600, deadline=None)
@example("acc\n")
@example("..")
def test_our_rules_are_mlflows_rules(name: str) -> None:
    ours = name_problem(name) is not None
    if name.endswith("\n") and "\n" not in name[:-1] and not ours:
        pytest.fail("a final newline must be refused")
    if name.endswith("\n") and "\n" not in name[:-1]:
        return  # MLflow's `$` lets a final newline through; we refuse it (documented)
    assert ours == _mlflow_refuses(name), (name, name_problem(name))


@pytest.mark.parametrize("name", [n for n in ISSUE_NAMES if n not in ("acc\n", "")] + ["", "x" * 251])
def test_mlflow_refuses_the_issue_names_and_so_do_we(name: str) -> None:
    assert _mlflow_refuses(name) and name_problem(name)


def test_a_bad_name_refuses_the_whole_call_naming_the_key(project: Path) -> None:
    run = mj.start_run(name="names")
    for bad in ISSUE_NAMES:
        with pytest.raises(InvalidName, match="invalid metric name") as err:
            mj.log({"good_before": 1.0, bad: 2.0, "good_after": 3.0})
        assert repr(bad) in str(err.value) and "nothing of this call was logged" in str(err.value)
        assert "\n" not in err.value.args[0].replace(repr(bad), "")  # one line (the key is shown as repr)
        with pytest.raises(InvalidName, match="invalid param name"):
            mj.log({"p_good": "x", bad: "text"})
        with pytest.raises(InvalidName, match="invalid tag name"):
            run.set_tags({"t_good": "x", bad: "y"})
    # a bad metric also refuses the params of the same call, and vice versa
    with pytest.raises(InvalidName):
        mj.log(model="rf", **{"/lead": 0.5})
    assert run.writer.pending == 0 and run.points == 0 and run.params == {} and run.steps == {}
    mj.log({name: float(i) for i, name in enumerate(GOOD_NAMES)}, step=1)
    mj.log(model="rf")
    run.flush()
    data = run.client.get_run(run.run_id).data
    assert set(data.metrics) == set(GOOD_NAMES) and data.params == {"model": "rf"}
    assert run.writer.errors == []
    mj.end_run()


def test_writer_isolates_a_refused_item_and_stores_the_rest(project: Path) -> None:
    """Names that slip past the call (another client, an old spool) are isolated by the
    background writer: the store's refusal costs only that item."""
    run = mj.start_run(name="isolate")
    w = Writer(run.run_id, run.client, run.spool, interval=0.05)
    ts = int(time.time() * 1000)
    good = [(f"m{i}", float(i), ts, 0) for i in range(40)]
    with pytest.warns(UserWarning, match=r"refused metric '/lead'.*rest of its batch was stored"):
        w.add_metrics([*good[:17], ("/lead", 1.0, ts, 0), *good[17:], ("a//b", 2.0, ts, 0)])
        w.add_params([("p1", "x"), ("..x", "y"), ("p2", "z")])
        w.add_tags([("t1", "x"), ("./a", "y")])
        assert w.flush(30)
    w.close()
    data = run.client.get_run(run.run_id).data
    assert set(data.metrics) == {k for k, *_ in good}
    assert {k: data.params[k] for k in ("p1", "p2")} == {"p1": "x", "p2": "z"} and "..x" not in data.params
    assert data.tags.get("t1") == "x" and "./a" not in data.tags
    assert sorted(e.split("'")[1] for e in w.errors) == sorted(["/lead", "a//b", "..x", "./a"])
    assert w.stored_points == 40
    mj.end_run()


def test_spool_replay_isolates_a_refused_item(project: Path) -> None:
    run = mj.start_run(name="replay")
    run_id = run.run_id
    mj.end_run()
    spool = Spool(project / ".mlops", run_id, run.uri)
    ts = int(time.time() * 1000)
    spool.append({"op": "batch", "metrics": [["ok1", 1.0, ts, 0], ["trail/", 2.0, ts, 0], ["ok2", 3.0, ts, 0]],
                  "params": [], "tags": []})
    result = replay(project / ".mlops")
    assert any("'trail/'" in e for e in result.errors), result.errors
    data = run.client.get_run(run_id).data
    assert {"ok1", "ok2"} <= set(data.metrics) and "trail/" not in data.metrics


def test_any_name_is_stored_exactly_or_refused_at_the_call(project: Path) -> None:
    """Property: for any string, `mj.log` either refuses it at once or MLflow stores it under
    exactly that name; nothing is refused later in the background."""
    run = mj.start_run(name="property")
    outcomes = {"stored": 0, "refused": 0}

    @given(name=st.text(alphabet=NAME_ALPHABET, max_size=10) | st.text(max_size=5), value=st.floats(-1e6, 1e6))
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @example(name="/lead", value=1.0)
    @example(name="acc\n", value=1.0)
    def prop(name: str, value: float) -> None:
        try:
            mj.log({name: value, "anchor": value}, step=0)
        except InvalidName:
            outcomes["refused"] += 1
            return
        run.flush()
        assert run.writer.errors == []
        stored = run.client.get_metric_history(run.run_id, name)
        assert stored and stored[-1].key == name and stored[-1].value == value
        outcomes["stored"] += 1

    prop()
    assert outcomes["stored"] > 20 and outcomes["refused"] > 20, outcomes
    mj.end_run()
