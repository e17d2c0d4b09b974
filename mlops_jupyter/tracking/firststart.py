"""The first start: feedback while MLflow loads and the store is built, and a store template.

A first ``start`` in a fresh project took 12-18 s in silence: importing MLflow (a few
seconds) and running its ~130 alembic migrations on the new SQLite file (most of the rest).
Two remedies:

- :func:`progress` shows a line that counts the seconds in the cell (text on stderr in
  terminals and jobs) and ends with how long it took.
- An empty, fully migrated store is kept once per machine and MLflow version in the user's
  cache (``~/.cache/mlops_jupyter/``, or ``MLOPS_STORE_CACHE``; ``off`` disables it): a
  new project's store is a copy of it (milliseconds) instead of a migration. The template is
  saved after the first migration on the machine, or built ahead of time by a background
  process that ``%load_ext`` starts when it is missing (:func:`prewarm`), so that even the
  first project rarely waits in a cell. The kernel itself never imports MLflow for this.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

CACHE_VAR = "MLOPS_STORE_CACHE"


def cache_dir() -> Path | None:
    """Where store templates live (None when ``MLOPS_STORE_CACHE=off``)."""
    value = os.environ.get(CACHE_VAR, "").strip()
    if value.lower() in ("off", "0", "no"):
        return None
    if value:
        return Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mlops_jupyter"


def template_path() -> Path | None:
    """The template of the installed MLflow version (it may not exist yet)."""
    from importlib.metadata import PackageNotFoundError, version

    folder = cache_dir()
    if folder is None:
        return None
    try:
        mlflow_version = version("mlflow")
    except PackageNotFoundError:
        return None
    return folder / f"mlflow-{mlflow_version}-sqlite.db"


def seed(db: Path) -> bool:
    """Copy the template to ``db`` when ``db`` does not exist yet; True when copied.

    The Default experiment (id 0) of the template points at the folder where the template
    was built: it is re-pointed at ``<store folder>/artifacts/0`` (our experiments carry
    their own artifact location anyway)."""
    template = template_path()
    if db.exists() or template is None or not template.is_file():
        return False
    tmp = db.with_name(db.name + ".seeding")
    try:
        shutil.copyfile(template, tmp)
        with contextlib.closing(sqlite3.connect(tmp)) as conn:
            conn.execute(
                "UPDATE experiments SET artifact_location = ? WHERE experiment_id = 0",
                ((db.parent.resolve() / "artifacts" / "0").as_uri(),),
            )
            conn.commit()
        os.replace(tmp, db)
    except (OSError, sqlite3.Error):
        tmp.unlink(missing_ok=True)
        return False
    return True


def save_template(db: Path) -> None:
    """Keep a copy of the freshly migrated, still empty store ``db`` as the template."""
    template = template_path()
    if template is None or template.exists():
        return
    try:
        template.parent.mkdir(parents=True, exist_ok=True)
        tmp = template.with_name(f"{template.name}.{os.getpid()}.tmp")
        with contextlib.closing(sqlite3.connect(db)) as src, contextlib.closing(sqlite3.connect(tmp)) as dst:
            src.backup(dst)  # a consistent copy even if another process writes to db
        os.replace(tmp, template)
    except (OSError, sqlite3.Error):
        pass


def prewarm(db: Path | None) -> bool:
    """At ``%load_ext``: start building the template in a background process when the
    project's SQLite store ``db`` does not exist and no template is there; True if started."""
    template = template_path()
    if db is None or db.exists() or template is None or template.exists():
        return False
    marker = template.with_name(template.name + ".building")
    with contextlib.suppress(OSError):
        if marker.exists() and time.time() - marker.stat().st_mtime < 600:
            return False  # another kernel is building it
        template.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
        code = (
            "import contextlib, os, sys\n"
            "with contextlib.suppress(Exception):\n"
            "    os.nice(10)  # low priority: the user's cells come first\n"
            "try:\n"
            "    from mlops_jupyter.tracking.store import build_template\n"
            "    build_template()\n"
            "finally:\n"
            f"    os.path.exists({str(marker)!r}) and os.unlink({str(marker)!r})\n"
        )
        subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )
        return True
    return False


def _in_kernel() -> bool:
    ip = sys.modules.get("IPython")
    shell = ip.get_ipython() if ip is not None else None
    return getattr(shell, "kernel", None) is not None


@contextlib.contextmanager
def progress(what: str, interval: float = 1.0) -> Iterator[None]:
    """Show ``what`` with the seconds it has been waiting, then how long it took.

    In a kernel: one output line updated in place from a timer thread (the cell is still
    running, so every frontend applies the update). Elsewhere: a line on stderr at the start
    and one at the end."""
    start = time.monotonic()
    if not _in_kernel():
        print(f"mlops_jupyter: {what} ...", file=sys.stderr, flush=True)
        try:
            yield
        finally:
            print(f"mlops_jupyter: {what}: done in {time.monotonic() - start:.1f} s", file=sys.stderr, flush=True)
        return
    import uuid

    from IPython.display import display, update_display

    display_id = f"mlops-progress-{uuid.uuid4().hex}"

    def bundle(text: str) -> dict[str, str]:
        return {"text/plain": text}

    display(bundle(f"⏳ {what} ..."), raw=True, display_id=display_id)
    done = threading.Event()

    def tick() -> None:
        while not done.wait(interval):
            with contextlib.suppress(Exception):
                update_display(bundle(f"⏳ {what} ... {time.monotonic() - start:.0f} s"), raw=True, display_id=display_id)

    timer = threading.Thread(target=tick, name="mlops-progress", daemon=True)
    timer.start()
    try:
        yield
    finally:
        done.set()
        timer.join(timeout=2)
        update_display(bundle(f"✓ {what}: {time.monotonic() - start:.1f} s"), raw=True, display_id=display_id)
