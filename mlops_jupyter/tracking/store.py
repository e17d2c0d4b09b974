"""The one door to the tracking store: every MLflow client of the package is made here.

- :func:`client_for` / :func:`get_client`: a client on a profile's (or a URI's) store, after
  the URI check (:mod:`.uris`) and, for a SQLite file, the one-time schema creation under a
  lock; clients are kept per (tracking URI, registry URI) for the session.
- :func:`read_client`: the same for readers that must not create a store (None when there
  is none yet), and :func:`store_exists`, the one "is there a store yet" question.
- :func:`store_errors` / :func:`translate_error`: MLflow, SQLAlchemy and connection errors
  become one :class:`~mlops_jupyter.errors.TrackingError` line naming what failed and where.

MLflow creates its SQLite schema on first use, and several processes doing that at once on a
fresh file crash. We create it once per store, under a file lock next to the database,
before anything else touches it. Remote stores get bounded HTTP timeouts so that a server
that is down costs seconds, not minutes (the events then go to the spool).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlparse

from ..config import mask_secret
from ..errors import MlopsError, TrackingError
from ..session import session
from .uris import DATABRICKS_HINT, SQLITE_MAGIC, check_uri, is_remote, sqlite_path

if TYPE_CHECKING:
    from ..config import Profile

T = TypeVar("T")

# Bounded HTTP behaviour for remote stores; users can still override through the env vars.
HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "10",
}
LOCK_TIMEOUT = 300.0
LOCKED_RETRIES = 8
DOCTOR_HINT = "check the tracking URI with mlops-jupyter doctor"
_SECRET_IN_URI = re.compile(r"(\b[a-zA-Z][\w+.\-]*://[^/\s:@]+:)[^@\s/]+@")
# errors of these libraries are store errors (no import of them needed to recognise one)
_STORE_LIBRARIES = ("mlflow", "sqlalchemy", "requests", "urllib3", "sqlite3", "alembic", "http")

__all__ = [
    "DATABRICKS_HINT", "SQLITE_MAGIC", "check_uri", "client_for", "get_client", "is_connection_error",
    "is_remote", "read_client", "retry_locked", "scrub", "sqlite_path", "store_errors", "store_exists",
    "translate_error",
]


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


def new_client(uri: str, registry_uri: str | None = None) -> Any:
    """A bare ``MlflowClient`` (no URI check, no schema lock, not kept): the only place one is
    constructed. Use :func:`client_for`, :func:`get_client` or :func:`read_client` instead;
    this is for stores we build ourselves (the first-start template)."""
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri, registry_uri=registry_uri or None)


def _clients() -> dict[tuple[str, str | None], Any]:
    return session.state.setdefault("tracking.clients", {})  # type: ignore[no-any-return]


def store_exists(uri: str) -> bool:
    """Is there a store at ``uri`` yet? False only for a SQLite URI whose file is missing
    (nothing was ever tracked); servers and other databases are assumed to exist."""
    db = sqlite_path(uri)
    return db is None or db.is_file()


def client_for(profile: Profile | None = None, *, create: bool = True) -> Any:
    """A client on ``profile``'s store (the active profile by default), with its registry URI.

    ``create=False``: never create the store; returns None when there is none yet."""
    profile = profile if profile is not None else session.profile()
    if not create:
        return read_client(profile.tracking_uri, profile.registry_uri)
    return get_client(profile.tracking_uri, profile.registry_uri)


def read_client(uri: str, registry_uri: str | None = None) -> Any:
    """A client for reading ``uri``, or None when the store does not exist yet (reading never
    creates a store). An existing store gets the same URI check and schema lock as a writer."""
    check_uri(uri)
    if not store_exists(uri):
        return None
    with store_errors("cannot open the tracking store", uri):
        try:
            return get_client(uri, registry_uri)
        except PermissionError:  # a read-only folder has no room for the lock file: read without it
            key = (uri, registry_uri or None)
            return _clients().setdefault(key, new_client(uri, registry_uri))


def get_client(uri: str, registry_uri: str | None = None) -> Any:
    """An ``MlflowClient`` for ``uri`` whose store is ready (schema created once, under a lock).

    MLflow's global URIs are left alone: ``mlflow.set_tracking_uri`` also sets the
    ``MLFLOW_TRACKING_URI`` variable, which would then override every profile."""
    key = (uri, registry_uri or None)
    if uri in _prepared() and key in _clients():
        return _clients()[key]
    client = _prepare(uri)
    _clients()[(uri, None)] = client
    if key[1] is not None:
        _clients()[key] = new_client(uri, registry_uri)
    return _clients()[key]


def _prepare(uri: str) -> Any:
    from filelock import FileLock

    check_uri(uri)
    if is_remote(uri):
        for key, value in HTTP_DEFAULTS.items():
            os.environ.setdefault(key, value)
    db = sqlite_path(uri)
    if uri in _prepared() or db is None:
        _prepared().add(uri)
        return new_client(uri)
    db.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(db) + ".lock", timeout=LOCK_TIMEOUT), _quiet_schema_logs():
        from . import firststart

        # a fresh store is a copy of the machine's migrated template when there is one
        fresh = not db.exists() and not firststart.seed(db)
        # MLflow creates/migrates the schema when it first builds the store object: do it
        # here, one process at a time (alone, 8 processes on a fresh file all crash).
        client = new_client(uri)
        retry_locked(lambda: client.search_experiments(max_results=1))
        if fresh:
            firststart.save_template(db)
    _prepared().add(uri)
    return client


def scrub(text: str) -> str:
    """Mask passwords inside any ``scheme://user:password@host`` URI of a message."""
    return _SECRET_IN_URI.sub(r"\1***@", text)


def is_store_error(exc: BaseException) -> bool:
    """An error raised by the store's libraries (MLflow, SQLAlchemy, requests, sqlite) or the
    network, as opposed to a bug or an error of ours."""
    if isinstance(exc, MlopsError):
        return False
    if isinstance(exc, OSError):
        return True
    return any(c.__module__.split(".", 1)[0] in _STORE_LIBRARIES for c in type(exc).__mro__)


def _reason(text: str) -> str:
    for needle, reason in (("Connection refused", "connection refused"), ("timed out", "timed out"),
                           ("Name or service not known", "unknown host"), ("nodename nor servname", "unknown host"),
                           ("Temporary failure in name resolution", "unknown host"),
                           ("RemoteDisconnected", "connection closed by the server"),
                           ("Connection reset", "connection reset")):
        if needle in text:
            return reason
    code = re.search(r"(?:error|status) code (50[234])\b", text)
    return f"HTTP {code.group(1)}" if code else "no answer"


def translate_error(exc: BaseException, what: str, uri: str | None = None, hint: str | None = None) -> TrackingError:
    """One line for a failed store operation: ``WHAT: tracking store URI is unreachable
    (REASON)`` for a server that does not answer, ``WHAT: ... is locked`` for a busy SQLite
    file, else ``WHAT: MESSAGE`` (first 300 characters, passwords masked)."""
    if isinstance(exc, TrackingError):
        return exc
    where = f"tracking store {mask_secret(uri)}" if uri else "the tracking store"
    text = scrub(" ".join(str(exc).split()))
    if is_connection_error(exc):
        return TrackingError(f"{what}: {where} is unreachable ({_reason(text)})",
                             hint=hint or f"start the tracking server or fix the URI; {DOCTOR_HINT}", uri=uri)
    if is_locked_error(exc):
        return TrackingError(f"{what}: {where} is locked by another process (database is locked)",
                             hint="retry when the other process is done", uri=uri)
    return TrackingError(f"{what}: {text[:300] or type(exc).__name__}", hint=hint or DOCTOR_HINT, uri=uri)


@contextlib.contextmanager
def store_errors(what: str, uri: str | None = None, hint: str | None = None) -> Iterator[None]:
    """Turn store errors raised in the block into one :class:`TrackingError`
    (:func:`translate_error`); our own errors and bugs pass through unchanged."""
    try:
        yield
    except Exception as exc:
        if not is_store_error(exc):
            raise
        raise translate_error(exc, what, uri, hint) from None


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


def build_template() -> None:
    """Build the first-start template in a scratch folder (the background process of
    :func:`~mlops_jupyter.tracking.firststart.prewarm`; here because it needs the one door)."""
    import tempfile

    from filelock import FileLock

    from .firststart import save_template, template_path

    template = template_path()
    if template is None:
        return
    template.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(template) + ".lock", timeout=600):
        if template.exists():
            return
        with tempfile.TemporaryDirectory(prefix="mlops-template-") as tmp:
            db = Path(tmp) / "mlflow.db"
            new_client(f"sqlite:///{db}").search_experiments(max_results=1)
            save_template(db)
