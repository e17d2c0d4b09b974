"""The first start on a fresh store: progress while it waits, and the machine's store template
(real MLflow SQLite stores, a real background process)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

import mlops_jupyter as mj
from mlops_jupyter.tracking import firststart

pytestmark = pytest.mark.slow


def test_first_start_says_what_it_waits_for_in_a_terminal(project: Path, capfd: pytest.CaptureFixture[str]) -> None:
    run = mj.start_run(name="first")
    err = capfd.readouterr().err
    store = project / ".mlops" / "mlflow.db"
    assert f"mlops_jupyter: creating the tracking store {store} (first run in this project) ..." in err
    assert "done in" in err
    mj.end_run()
    # the store exists now: a second start in the same process waits for nothing, says nothing
    mj.start_run(name="second")
    assert "mlops_jupyter:" not in capfd.readouterr().err
    mj.end_run()
    assert run.status == "FINISHED"


def test_background_template_makes_a_new_project_store_a_copy(
    tmp_path: Path, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv(firststart.CACHE_VAR, str(cache))
    template = firststart.template_path()
    assert template is not None and not template.exists()
    store = project / ".mlops" / "mlflow.db"
    # what %load_ext does: a background process builds the template, nothing in the project
    assert firststart.prewarm(store)
    assert not firststart.prewarm(store)  # one build at a time
    deadline = time.monotonic() + 240
    while not template.exists() and time.monotonic() < deadline:
        time.sleep(1)
    assert template.exists() and not (project / ".mlops").exists()
    with sqlite3.connect(template) as conn:
        assert conn.execute("select count(*) from alembic_version").fetchone()[0] == 1
    # the first start of the project copies it (no migrations) and re-points Default's artifacts
    t = time.monotonic()
    run = mj.start_run(name="seeded")
    mj.log(acc=1.0)
    mj.end_run()
    assert time.monotonic() - t < 60
    assert run.client.get_run(run.run_id).data.metrics == {"acc": 1.0}
    with sqlite3.connect(store) as conn:
        (location,) = conn.execute("select artifact_location from experiments where experiment_id = 0").fetchone()
    assert location == (store.parent.resolve() / "artifacts" / "0").as_uri()
    assert firststart.seed(store) is False  # an existing store is never overwritten


def test_template_is_saved_after_the_first_migration_and_can_be_switched_off(
    tmp_path: Path, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(firststart.CACHE_VAR, str(tmp_path / "cache"))
    mj.start_run(name="migrates")
    mj.end_run()
    template = firststart.template_path()
    assert template is not None and template.exists()
    monkeypatch.setenv(firststart.CACHE_VAR, "off")
    assert firststart.template_path() is None and not firststart.prewarm(project / "x.db")
