"""%mlops_track and %%mlops_track in a real IPython shell, and their script exports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError

import mlops_jupyter as mj
from mlops_jupyter import tracking
from mlops_jupyter.errors import ReadOnlyEnvironment
from mlops_jupyter.magics.tracking import SCRIPT_EXPORTS, TrackingMagics
from mlops_jupyter.session import session
from tests.integration.servers import use_store_template


@pytest.fixture(autouse=True)
def _migrated_store(request: pytest.FixtureRequest, project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Start each test from a copy of an already-migrated empty store (schema creation takes
    seconds); the test of concurrent schema creation starts from nothing."""
    if "fresh_sqlite" not in request.node.name:
        use_store_template(project, tmp_path_factory.getbasetemp())


def _client_run(run_id: str) -> Any:
    handle = tracking.last_run() or tracking.active_run()
    assert handle is not None
    return handle.client.get_run(run_id)


def test_start_log_status_end(ip: Any, project: Path) -> None:
    view = ip.run_line_magic("mlops_track", "start --name first --tags team=ds stage=dev")
    assert "first" in str(view) and "RUNNING" in str(view)
    run = tracking.active_run()
    assert run is not None
    ip.user_ns["acc"] = 0.91
    ip.run_cell("%mlops_track log acc={acc} model=rf --step 2")
    (project / "out.txt").write_text("x")
    ip.run_line_magic("mlops_track", "artifact out.txt --artifact-path outputs")
    status = ip.run_line_magic("mlops_track", "status")
    assert "acc" in str(status)
    ended = ip.run_line_magic("mlops_track", "end --status finished")
    assert "FINISHED" in str(ended)
    got = _client_run(run.run_id)
    assert got.data.metrics == {"acc": 0.91}
    assert got.data.params == {"model": "rf"}
    assert got.data.tags["team"] == "ds" and got.data.tags["stage"] == "dev"
    assert [a.path for a in run.client.list_artifacts(run.run_id, "outputs")] == ["outputs/out.txt"]
    assert "last run" in str(ip.run_line_magic("mlops_track", "status"))


def test_cell_history_is_recorded_with_out_of_order_flag(ip: Any, project: Path) -> None:
    ip.run_cell("%mlops_track start")
    ip.run_cell("a = 1", cell_id="c1")
    ip.run_cell("b = 2", cell_id="c2")
    ip.run_cell("a = 3", cell_id="c1")  # edited and re-run, above c2: out of order
    session.cell_ids = ["c1", "c2"]
    with pytest.warns(UserWarning, match="out of order"):
        ip.run_line_magic("mlops_track", "end")
    run = tracking.last_run()
    assert run is not None
    got = run.client.get_run(run.run_id)
    assert got.data.tags["mlops.history"] == "out_of_order=1,edited=1"
    local = run.client.download_artifacts(run.run_id, "history/cells.json", str(project / "dl"))
    import json

    cells = json.loads(Path(local).read_text())["cells"]
    assert [c["source"] for c in cells if c["cell_id"]] == ["a = 1", "b = 2", "a = 3"]
    assert all(c["duration_s"] is not None for c in cells if c["cell_id"])


def test_cell_magic_runs_inside_a_run(ip: Any, project: Path) -> None:
    result = ip.run_cell("%%mlops_track --name cellrun\nimport mlops_jupyter as mj\nmj.log(loss=0.1)\n41 + 1")
    assert result.success and result.result == 42
    run = tracking.last_run()
    assert run is not None and run.run_name == "cellrun"
    got = run.client.get_run(run.run_id)
    assert got.info.status == "FINISHED" and got.data.metrics == {"loss": 0.1}


def test_exception_in_cell_magic_fails_the_run_and_propagates(ip: Any, project: Path) -> None:
    result = ip.run_cell("%%mlops_track\nraise ValueError('bad data')")
    assert isinstance(result.error_in_exec, ValueError)
    run = tracking.last_run()
    assert run is not None and run.client.get_run(run.run_id).info.status == "FAILED"


def test_interrupt_in_cell_magic_kills_the_run(ip: Any, project: Path) -> None:
    result = ip.run_cell("%%mlops_track\nraise KeyboardInterrupt")
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    run = tracking.last_run()
    assert run is not None and run.client.get_run(run.run_id).info.status == "KILLED"
    assert tracking.active_run() is None


@pytest.mark.parametrize(
    "line",
    ["", "frobnicate", "log", "log novalue", "artifact", "end --status DONE", "start --step x"],
)
def test_bad_arguments_are_usage_errors(ip: Any, project: Path, line: str) -> None:
    mj.start_run()
    with pytest.raises(UsageError):
        ip.run_line_magic("mlops_track", line)


def test_help_is_the_parser(ip: Any) -> None:
    doc = TrackingMagics.mlops_track.__doc__ or ""
    for option in ("--experiment", "--autolog", "--step", "--status", "--artifact-path", "--metric"):
        assert option in doc


def test_read_only_profile_refuses_start(ip: Any, project: Path) -> None:
    (project / "mlops.toml").write_text('[env.dev]\n[env.prod]\ninteractive = "read-only"\n')
    ip.run_line_magic("mlops_env", "prod")
    result = ip.run_cell("%mlops_track start")
    assert isinstance(result.error_in_exec, ReadOnlyEnvironment)
    assert tracking.active_run() is None


def test_compare_magic(ip: Any, project: Path) -> None:
    for acc in (0.7, 0.8):
        ip.run_cell(f"%%mlops_track\nimport mlops_jupyter as mj\nmj.log(val_loss={1 - acc})")
    result = ip.run_line_magic("mlops_track", "compare")
    assert result.mode == "min" and result.ok  # 0.2 is the best val_loss


def test_sync_magic(ip: Any, project: Path) -> None:
    assert "nothing spooled" in str(ip.run_line_magic("mlops_track", "sync"))


# -- export to scripts -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "cell", "expected"),
    [
        ("start --name x", None, "mj.start_run(name='x')\n"),
        ("start -e exp --tags a=1 b={n} --autolog", None, "mj.start_run(experiment='exp', tags={'a': 1, 'b': (n)}, autolog=True)\n"),
        ("log acc=0.9 model=rf --step 3", None, "mj.log({'acc': 0.9, 'model': 'rf'}, step=3)\n"),
        ("log acc={score*2} loss=$loss", None, "mj.log({'acc': (score*2), 'loss': loss})\n"),
        ("artifact out/model.pkl --artifact-path model", None, "mj.log_artifact('out/model.pkl', artifact_path='model')\n"),
        ("end --status failed", None, "mj.end_run(status='FAILED')\n"),
        ("sync", None, "print(mj.sync())\n"),
        ("compare --metric acc", None, "print(mj.compare(metric='acc'))\n"),
        ("status", None, "print(mj.active_run())\n"),
        ("--name cell", "x = 1\nif x:\n    y = 2\n", "with mj.track(name='cell'):\n    x = 1\n    if x:\n        y = 2\n"),
    ],
)
def test_script_exports(line: str, cell: str | None, expected: str) -> None:
    code = SCRIPT_EXPORTS["mlops_track"](line, cell)
    assert code == expected
    compile(code, "<export>", "exec")


def test_script_export_bad_line_is_usage_error() -> None:
    with pytest.raises(UsageError):
        SCRIPT_EXPORTS["mlops_track"]("log novalue", None)


def test_exported_code_runs_like_the_magic(project: Path) -> None:
    export = SCRIPT_EXPORTS["mlops_track"]
    score = 0.4
    source = "".join([
        export("start --name script", None),
        export("log acc={score} kind=demo", None),
        export("end", None),
        export("--name block", "mj.log(loss=0.5)"),
    ])
    ns: dict[str, Any] = {"mj": mj, "score": score}
    exec(compile(source, "<job>", "exec"), ns)
    run = tracking.last_run()
    assert run is not None and run.run_name == "block"
    rows = run.client.search_runs([run.experiment_id], order_by=["attributes.start_time ASC"])
    assert [(r.info.run_name, r.data.metrics) for r in rows] == [("script", {"acc": 0.4}), ("block", {"loss": 0.5})]
