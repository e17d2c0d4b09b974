"""History of check results (validation, drift, gates) per notebook, for the side panel.

An append-only JSON-lines file under ``.mlops/`` of the project, written under a file
lock so that several kernels can record at once.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ._util import json_safe
from .session import session

CHECKS_FILE = "checks.jsonl"
MAX_READ = 5000  # newest lines read back; the file is append-only and may grow


def _path() -> Path:
    return session.config().state_dir / CHECKS_FILE


def record_check(kind: str, name: str, ok: bool, summary: dict[str, Any], notebook: str | None = None) -> None:
    """Append one check result (``kind`` is validation | drift | gate)."""
    from filelock import FileLock

    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {
        "time": time.time(),
        "kind": kind,
        "name": name,
        "ok": bool(ok),
        "notebook": notebook if notebook is not None else session.notebook_path,
        "summary": json_safe(summary),
    }
    line = json.dumps(entry, default=str, allow_nan=False, separators=(",", ":")) + "\n"
    with FileLock(str(path) + ".lock", timeout=10), path.open("a", encoding="utf-8") as fh:
        fh.write(line)


def latest_checks(notebook: str | None = None, root: Path | None = None) -> list[dict[str, Any]]:
    """The newest result per (kind, name), newest first; filtered by notebook if given."""
    path = (root / ".mlops" / CHECKS_FILE) if root else _path()
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()[-MAX_READ:]
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for line in lines:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn last line from a killed process; skip it
        if notebook is not None and entry.get("notebook") != notebook:
            continue
        latest[(entry.get("kind", ""), entry.get("name", ""))] = entry
    return sorted(latest.values(), key=lambda e: e.get("time", 0), reverse=True)
