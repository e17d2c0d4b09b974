"""Tracking URIs: which stores we accept, and why the others are refused (with a fix).

Nothing here touches a store or imports MLflow; :mod:`.store` is the door that uses these
checks before it opens a client.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from urllib.parse import urlparse

from ..errors import TrackingError


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
