"""Leases of open runs, so that a run left open by a dead kernel is closed as KILLED.

Starting a run writes ``.mlops/runs/<run_id>.json`` (pid, host, process start time, URI);
ending it removes the file. The next start on the same host finds leases whose process is
gone and terminates those runs as KILLED.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from .._util import atomic_write_json

LEASES_DIR = "runs"


def _proc_start(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _alive(pid: int, proc_start: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a reused pid is another process: compare start times where /proc tells us
    now = _proc_start(pid)
    return proc_start is None or now is None or now == proc_start


def write(state_dir: Path, run_id: str, uri: str, experiment_id: str) -> Path:
    """Record that this process holds ``run_id`` open."""
    path = state_dir / LEASES_DIR / f"{run_id}.json"
    atomic_write_json(path, {
        "run_id": run_id, "uri": uri, "experiment_id": experiment_id, "pid": os.getpid(),
        "host": socket.gethostname(), "proc_start": _proc_start(os.getpid()), "started": time.time(),
    })
    return path


def remove(state_dir: Path, run_id: str) -> None:
    """Forget the lease of ``run_id`` (the run ended)."""
    (state_dir / LEASES_DIR / f"{run_id}.json").unlink(missing_ok=True)


def orphans(state_dir: Path) -> list[dict[str, Any]]:
    """Leases on this host whose process is gone."""
    folder = state_dir / LEASES_DIR
    if not folder.is_dir():
        return []
    host = socket.gethostname()
    out = []
    for path in sorted(folder.glob("*.json")):
        try:
            lease = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if lease.get("host") != host or lease.get("pid") == os.getpid():
            continue
        if not _alive(int(lease.get("pid", 0)), lease.get("proc_start")):
            out.append(lease)
    return out


def close_orphans(state_dir: Path, spooled: set[str]) -> list[str]:
    """Terminate runs of dead processes as KILLED; return their ids.

    Runs with spooled events are left to the replay (their spool ends with their status).
    """
    from . import store

    closed = []
    for lease in orphans(state_dir):
        run_id = lease["run_id"]
        if run_id in spooled:
            continue
        try:
            client = store.get_client(lease["uri"])
            run = client.get_run(run_id)
            if run.info.status == "RUNNING":
                client.set_tag(run_id, "mlops.end_reason", f"orphan: process {lease.get('pid')} died with the run open")
                client.set_terminated(run_id, status="KILLED")
                closed.append(run_id)
        except Exception as exc:
            if store.is_connection_error(exc):
                continue  # try again at the next start
        remove(state_dir, run_id)
    return closed
