"""The tracking store: URI checks, one-time schema creation under a lock, clients, experiments.

MLflow creates its SQLite schema on first use, and several processes doing that at once on a
fresh file crash. We create it once per store, under a file lock next to the database,
before anything else touches it. Remote stores get bounded HTTP timeouts so that a server
that is down costs seconds, not minutes (the events then go to the spool).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

from ..errors import TrackingError
from ..session import session

T = TypeVar("T")

# Bounded HTTP behaviour for remote stores; users can still override through the env vars.
HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "10",
}
LOCK_TIMEOUT = 300.0
LOCKED_RETRIES = 8


def is_remote(uri: str) -> bool:
    """True for an ``http(s)://`` tracking server."""
    return uri.startswith(("http://", "https://"))


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI (None for other stores or ``:memory:``)."""
    if not uri.startswith("sqlite:///"):
        return None
    raw = uri[len("sqlite:///") :].split("?", 1)[0]
    if not raw or raw == ":memory:":
        return None
    return Path(raw)


SQLITE_MAGIC = b"SQLite format 3\x00"
DATABRICKS_HINT = ("pip install databricks-sdk, then set DATABRICKS_HOST and DATABRICKS_TOKEN (or a profile in "
                   "~/.databrickscfg); or use sqlite:///... / http(s)://... instead")


def check_uri(uri: str) -> str:
    """Refuse stores we cannot use reliably, with a fix; return the URI unchanged.

    Nothing is created here: a refused URI leaves no file (no lock, no database) behind."""
    scheme = urlparse(uri).scheme
    if uri == "databricks" or scheme in ("databricks", "databricks-uc") or uri == "databricks-uc":
        return _check_databricks(uri)
    if scheme in ("", "file") or (len(scheme) == 1 and os.name == "nt"):
        folder = uri[len("file://") :] if uri.startswith("file://") else uri
        raise TrackingError(
            f"tracking URI '{uri}' is a plain folder (MLflow's FileStore), deprecated since MLflow 3",
            hint=f"use a database file instead, e.g. sqlite:///{Path(folder).resolve() / 'mlflow.db'}, "
            "or unset MLFLOW_TRACKING_URI for the embedded default under .mlops/",
        )
    if scheme not in ("sqlite", "http", "https", "postgresql", "mysql", "mssql", "databricks") and not scheme.startswith(
        ("postgresql+", "mysql+", "mssql+")
    ):
        raise TrackingError(f"tracking URI scheme '{scheme}' is not supported", hint="use sqlite:///..., http(s)://... or postgresql://...")
    db = sqlite_path(uri)
    if db is not None:
        _check_sqlite_file(uri, db)
    return uri


def _check_sqlite_file(uri: str, db: Path) -> None:
    """Refuse a ``sqlite:///`` URI naming a folder, a file that is not an SQLite database
    (MLflow would fail on it, and we would have created a lock file next to it), or the
    SQLite database of another application (MLflow would add its tables to it)."""
    fix = f"point it at a new file, e.g. sqlite:///{db.parent.resolve() / 'mlflow.db'}"
    if db.is_dir():
        raise TrackingError(f"tracking URI '{uri}' names the folder {db}, not a database file",
                            hint=f"use sqlite:///{db.resolve() / 'mlflow.db'}")
    if not db.exists():
        return
    try:
        with db.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise TrackingError(f"tracking URI '{uri}': cannot read {db}: {exc.strerror}", hint=fix) from None
    if not head:
        return  # an empty file is a new SQLite database
    if head != SQLITE_MAGIC:
        raise TrackingError(f"tracking URI '{uri}' names {db}, which is not an SQLite database", hint=fix)
    import sqlite3

    try:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            conn.close()
    except sqlite3.Error:
        return  # locked or busy: MLflow's own error (or success) will tell
    if tables and not tables & {"experiments", "alembic_version"}:
        raise TrackingError(
            f"tracking URI '{uri}' names {db}, an SQLite database of something else "
            f"(tables {', '.join(sorted(tables)[:3])}{', ...' if len(tables) > 3 else ''}): MLflow would add its tables to it",
            hint=fix,
        )


def _check_databricks(uri: str) -> str:
    """Databricks needs the ``databricks-sdk`` package and credentials; say which is missing."""
    import importlib.util

    if importlib.util.find_spec("databricks") is None or importlib.util.find_spec("databricks.sdk") is None:
        raise TrackingError(f"tracking URI '{uri}' needs the databricks-sdk package, which is not installed",
                            hint=DATABRICKS_HINT)
    profile = urlparse(uri).netloc or None
    if profile is None and os.environ.get("DATABRICKS_HOST"):
        return uri
    cfg = Path(os.environ.get("DATABRICKS_CONFIG_FILE") or Path.home() / ".databrickscfg")
    import configparser

    parser = configparser.RawConfigParser()
    with contextlib.suppress(OSError, configparser.Error):
        parser.read(cfg)
    wanted = profile or "DEFAULT"
    if (wanted == "DEFAULT" and parser.defaults().get("host")) or parser.has_section(wanted):
        return uri
    raise TrackingError(
        f"tracking URI '{uri}': no Databricks credentials"
        + (f" (no profile '{profile}' in {cfg})" if profile else " (DATABRICKS_HOST is not set and "
           f"{cfg} has no [DEFAULT] host)"),
        hint=DATABRICKS_HINT,
    )


def is_locked_error(exc: BaseException) -> bool:
    """SQLite's "database is locked" (possibly wrapped by SQLAlchemy or MLflow)."""
    text = str(exc).lower()
    return "database is locked" in text or "database table is locked" in text


def retry_locked(fn: Callable[[], T], retries: int = LOCKED_RETRIES) -> T:
    """Call ``fn``, retrying with backoff while SQLite says the database is locked."""
    delay = 0.05
    for attempt in range(retries + 1):
        try:
            return fn()
        except Exception as exc:
            if attempt >= retries or not is_locked_error(exc):
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    raise AssertionError("unreachable")  # pragma: no cover


def _prepared() -> set[str]:
    return session.state.setdefault("tracking.prepared_stores", set())  # type: ignore[no-any-return]


@contextlib.contextmanager
def _quiet_schema_logs() -> Iterator[None]:
    """Keep MLflow's and alembic's INFO lines about creating tables out of the user's cell."""
    loggers = [logging.getLogger(name) for name in ("mlflow.store.db.utils", "alembic.runtime.migration")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def get_client(uri: str) -> Any:
    """An ``MlflowClient`` for ``uri`` whose store is ready (schema created once, under a lock)."""
    from filelock import FileLock
    from mlflow.tracking import MlflowClient

    check_uri(uri)
    if is_remote(uri):
        for key, value in HTTP_DEFAULTS.items():
            os.environ.setdefault(key, value)
    db = sqlite_path(uri)
    if uri in _prepared() or db is None:
        _prepared().add(uri)
        return MlflowClient(tracking_uri=uri)
    db.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(db) + ".lock", timeout=LOCK_TIMEOUT), _quiet_schema_logs():
        from . import firststart

        # a fresh store is a copy of the machine's migrated template when there is one
        fresh = not db.exists() and not firststart.seed(db)
        # MLflow creates/migrates the schema when it first builds the store object: do it
        # here, one process at a time (alone, 8 processes on a fresh file all crash).
        client = MlflowClient(tracking_uri=uri)
        retry_locked(lambda: client.search_experiments(max_results=1))
        if fresh:
            firststart.save_template(db)
    _prepared().add(uri)
    return client


def artifact_root_for(uri: str) -> str | None:
    """Where experiments created by us keep artifacts (next to a SQLite store; server decides otherwise)."""
    db = sqlite_path(uri)
    if db is None:
        return None
    return (db.parent.resolve() / "artifacts").as_uri()


def ensure_experiment(client: Any, name: str, uri: str) -> str:
    """The id of experiment ``name``, created if missing (safe when processes race)."""
    exp = retry_locked(lambda: client.get_experiment_by_name(name))
    if exp is not None:
        if exp.lifecycle_stage == "deleted":
            raise TrackingError(
                f"experiment '{name}' is deleted in {uri}",
                hint="restore it in the MLflow UI, or use another name (--experiment)",
            )
        return str(exp.experiment_id)
    try:
        return str(retry_locked(lambda: client.create_experiment(name, artifact_location=artifact_root_for(uri))))
    except Exception:
        exp = client.get_experiment_by_name(name)  # another process created it first
        if exp is None:
            raise
        return str(exp.experiment_id)


def reachable(uri: str, timeout: float = 2.0) -> bool:
    """Fast TCP check of a tracking server (always True for database stores)."""
    import socket

    if not is_remote(uri):
        return True
    parsed = urlparse(uri)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname or "localhost", port), timeout=timeout):
            return True
    except OSError:
        return False


def is_connection_error(exc: BaseException) -> bool:
    """True when ``exc`` means "the server could not be reached" (spool and retry later)."""
    import requests

    if isinstance(exc, (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError)):
        return True
    import re

    text = str(exc)
    if re.search(r"error code 50[234]\b|status code 50[234]\b", text):
        return True
    return any(
        s in text
        for s in (
            "Max retries exceeded", "Connection refused", "NewConnectionError", "ConnectTimeout",
            "ReadTimeout", "timed out", "RemoteDisconnected", "Connection aborted", "Connection reset",
        )
    )


def ui_link(uri: str, experiment_id: str, run_id: str, ui_url: str | None = None) -> str | None:
    """Link to the run in the MLflow UI when there is a server (or a configured ``ui_url``)."""
    base = ui_url or (uri if is_remote(uri) else None)
    if not base or not experiment_id:
        return None
    return f"{base.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"


def ui_command(uri: str) -> str:
    """The shell command that opens the MLflow UI on this store."""
    if is_remote(uri):
        return f"open {uri}"
    return f"mlflow ui --backend-store-uri {uri}"
