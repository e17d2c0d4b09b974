"""tracking/store.py is the one door to the tracking store (issue 15): no other module makes an
MlflowClient, readers never create a store, and store errors read as one line naming what
failed and where. Real SQLite files and a real unreachable server address, no mocks."""

from __future__ import annotations

import ast
import sqlite3
from pathlib import Path

import pytest

import mlops_jupyter
from mlops_jupyter.errors import MlopsUsageError, TrackingError
from mlops_jupyter.tracking import store
from tests.integration.servers import free_port, use_store_template

PACKAGE = Path(mlops_jupyter.__file__).parent
DOOR = PACKAGE / "tracking" / "store.py"


def _constructions(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call) and (
        (isinstance(node.func, ast.Name) and node.func.id == "MlflowClient")
        or (isinstance(node.func, ast.Attribute) and node.func.attr == "MlflowClient"))]


def test_only_tracking_store_constructs_an_mlflow_client() -> None:
    offenders = {str(p.relative_to(PACKAGE)): lines for p in sorted(PACKAGE.rglob("*.py"))
                 if p != DOOR and (lines := _constructions(p))}
    assert offenders == {}, "construct clients through mlops_jupyter.tracking.store (client_for/get_client/read_client)"
    assert _constructions(DOOR), "the door itself must still construct the client"


def test_the_ast_check_sees_both_spellings(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("import mlflow\nfrom mlflow import MlflowClient\nMlflowClient(tracking_uri='x')\n"
                      "c = mlflow.tracking.MlflowClient('y')\n")
    assert _constructions(sample) == [3, 4]


def test_reading_a_missing_sqlite_store_creates_nothing(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert store.store_exists(uri) is False
    assert store.read_client(uri) is None
    assert list(tmp_path.iterdir()) == []  # no database, no lock file
    assert store.store_exists("http://127.0.0.1:1") is True


def test_readers_get_the_schema_lock_and_the_uri_check(tmp_path: Path) -> None:
    db = tmp_path / "mlflow.db"
    db.touch()  # an empty file is a new SQLite database: its schema is made under the lock
    client = store.read_client(f"sqlite:///{db}")
    assert client is not None and client.search_experiments(max_results=1) is not None
    assert Path(str(db) + ".lock").exists()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'experiments'").fetchone()
    conn.close()
    (tmp_path / "notes.db").write_text("not a database\n")
    with pytest.raises(TrackingError, match="not an SQLite database"):
        store.read_client(f"sqlite:///{tmp_path / 'notes.db'}")
    with pytest.raises(TrackingError, match="names the folder"):
        store.read_client(f"sqlite:///{tmp_path}")


def test_client_for_a_profile_is_prepared_once_and_kept(project: Path) -> None:
    from mlops_jupyter.session import session

    profile = session.profile()
    db = store.sqlite_path(profile.tracking_uri)
    assert db is not None and not db.exists()
    assert store.client_for(profile, create=False) is None and not db.exists()
    client = store.client_for(profile)
    assert db.is_file() and Path(str(db) + ".lock").exists()  # schema created under the lock
    assert store.client_for(profile) is client
    assert store.client_for(create=False) is client  # the active profile by default
    other = store.get_client(profile.tracking_uri, registry_uri=profile.tracking_uri + "?r=1")
    assert other is not client and other._registry_uri.endswith("?r=1")


def test_server_down_is_one_line_naming_the_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "3")
    uri = f"http://alice:s3cret@127.0.0.1:{free_port()}"
    client = store.read_client(uri)
    with pytest.raises(TrackingError) as err, store.store_errors("cannot list experiments", uri):
        client.search_experiments(max_results=1)
    masked = uri.replace("s3cret", "***")
    assert err.value.message == f"cannot list experiments: tracking store {masked} is unreachable (connection refused)"
    assert "s3cret" not in " ".join(err.value.lines())
    assert "doctor" in (err.value.hint or "")
    assert err.value.__cause__ is None and err.value.__suppress_context__


def test_a_missing_run_in_a_real_sqlite_store(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    use_store_template(project, tmp_path_factory.getbasetemp())
    client = store.client_for()
    with pytest.raises(TrackingError) as err, store.store_errors("cannot read run 0123"):
        client.get_run("0" * 32)
    assert err.value.message.startswith(f"cannot read run 0123: Run with id={'0' * 32} not found")
    assert "\n" not in err.value.message and len(err.value.message) <= 320
    assert err.value.hint == store.DOCTOR_HINT


def test_a_locked_sqlite_database_says_so(tmp_path: Path) -> None:
    db = tmp_path / "mlflow.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        other = sqlite3.connect(db, timeout=0)
        with pytest.raises(TrackingError) as err, store.store_errors("cannot log metric acc", f"sqlite:///{db}"):
            other.execute("SELECT * FROM t").fetchall()
        other.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert err.value.message == f"cannot log metric acc: tracking store sqlite:///{db} is locked by another process (database is locked)"


def test_our_errors_and_bugs_pass_through_unchanged() -> None:
    with pytest.raises(MlopsUsageError, match=r"^bad$"), store.store_errors("x"):
        raise MlopsUsageError("bad")
    with pytest.raises(KeyError), store.store_errors("x"):
        raise KeyError("a bug stays a bug")
    mine = TrackingError("already ours")
    assert store.translate_error(mine, "x") is mine
