"""Tracking URIs refused for the right reason and before anything is created; an offline start
is said loudly, once, in the cell (issue 12). Real SQLite files, a real kernel."""

from __future__ import annotations

import importlib.util
import os
import sqlite3
from pathlib import Path

import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import TrackingError
from tests.integration.servers import free_port
from tests.notebooks import execute, make_notebook

PASSWD = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() if p.is_file() else b"<dir>" for p in folder.iterdir()}


def test_sqlite_uri_of_a_file_that_is_no_database_creates_nothing(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "passwd").write_text(PASSWD)
    before = _listing(etc)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{etc / 'passwd'}")
    with pytest.raises(TrackingError, match=r"passwd, which is not an SQLite database") as err:
        mj.start_run()
    assert "mlflow.db" in (err.value.hint or "")
    assert _listing(etc) == before  # no passwd.lock, passwd untouched


def test_sqlite_uri_of_another_applications_database_is_refused_untouched(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = tmp_path / "app.db"
    with sqlite3.connect(app) as conn:
        conn.execute("CREATE TABLE users (id INTEGER, name TEXT)")
        conn.execute("INSERT INTO users VALUES (1, 'ada')")
    conn.close()
    before = _listing(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{app}")
    with pytest.raises(TrackingError, match=r"an SQLite database of something else \(tables users\)"):
        mj.start_run()
    assert _listing(tmp_path) == before
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}")
    with pytest.raises(TrackingError, match="names the folder"):
        mj.start_run()


@pytest.mark.parametrize("uri", ["databricks", "databricks://team", "databricks-uc"])
def test_databricks_uri_is_refused_for_the_right_reason(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, uri: str
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("DATABRICKS_HOST", raising=False)
    monkeypatch.delenv("DATABRICKS_CONFIG_FILE", raising=False)
    with pytest.raises(TrackingError) as err:
        mj.start_run()
    text = str(err.value)
    assert "plain folder" not in text and "FileStore" not in text
    if importlib.util.find_spec("databricks") is None or importlib.util.find_spec("databricks.sdk") is None:
        assert "needs the databricks-sdk package" in text
    else:
        assert "no Databricks credentials" in text
    assert "databricks-sdk" in (err.value.hint or "") and "DATABRICKS_HOST" in (err.value.hint or "")
    assert not (project / uri.split(":")[0]).exists()  # no folder of that name was created


@pytest.mark.slow
def test_offline_start_is_said_loudly_once_in_the_cell(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a real kernel, even with warnings silenced (a common notebook habit)."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{free_port()}/")
    nb = make_notebook([
        "import warnings\nwarnings.filterwarnings('ignore')\n%load_ext mlops_jupyter",
        "%mlops_track start --name down",
        "import mlops_jupyter as mj\nfor i in range(5):\n    mj.log(acc=i / 5, step=i)\nmj.log(model='rf')",
        "%mlops_track end",
    ])
    execute(nb, project)
    texts = [
        "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
        for cell in nb.cells
    ]
    assert texts[1].count("OFFLINE RUN") == 1, texts[1]
    assert "NOT on the server" in texts[1] and "%mlops_track sync" in texts[1]
    assert all("OFFLINE RUN" not in t for i, t in enumerate(texts) if i != 1)  # once
    assert list((project / ".mlops" / "spool").glob("offline-*.jsonl"))
    assert os.environ["MLFLOW_TRACKING_URI"].startswith("http://127.0.0.1:")
