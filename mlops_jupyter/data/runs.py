"""Record pins and loads as inputs of the active run, and remember which runs used what.

Every pin and load inside a run becomes an MLflow dataset input carrying our full-content
digest (the DVC md5 of the bytes) plus path, revision and remote as tags. Data that is not
committed to git or not pushed to the remote makes the run un-reproducible: the user gets
a :class:`DataNotSavedWarning` and the run gets a tag naming the paths.

A small usage index (``.mlops/data/usage.jsonl``) lets ``%mlops_data status`` show the last
runs that used a dataset without querying the tracking store.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import Any

from ..session import session


class DataNotSavedWarning(UserWarning):
    """A run used data that is not committed to git or not pushed to the DVC remote."""


def current_run() -> Any:
    """The active run handle (see docs/ARCHITECTURE.md) or None."""
    import importlib

    try:
        tracking = importlib.import_module("mlops_jupyter.tracking")
    except ImportError:
        return None
    getter = getattr(tracking, "current_run", None)
    return getter() if getter is not None else None


def _usage_file(root: Path) -> Path:
    return root / ".mlops" / "data" / "usage.jsonl"


def record_input(
    root: Path,
    action: str,
    path: str,
    md5: str,
    revision: str | None,
    remote: str | None,
    committed: bool,
    pushed: bool | None,
    df: Any = None,
    fingerprint: str | None = None,
) -> str | None:
    """Log one dataset use into the active run (if any); returns the run id or None."""
    run = current_run()
    if run is None:
        return None
    tags = {
        "mlops.data.action": action,
        "dvc.path": path,
        "dvc.md5": md5,
        "dvc.rev": revision or "uncommitted",
        "dvc.remote": remote or "",
        "mlops.data.committed": str(committed).lower(),
        "mlops.data.pushed": "unknown" if pushed is None else str(pushed).lower(),
    }
    if fingerprint:
        tags["mlops.data.fingerprint"] = fingerprint
    source = f"dvc://{path}@{revision or 'workspace'}"
    run.log_input(path, md5, source, tags=tags, df=df)
    flags = session.state.setdefault("data", {}).setdefault("flags", {}).setdefault(
        str(run.run_id), {"not_committed": [], "not_pushed": []}
    )
    problems = []
    if not committed and path not in flags["not_committed"]:
        flags["not_committed"].append(path)
        problems.append("not committed to git")
    if pushed is False and path not in flags["not_pushed"]:
        flags["not_pushed"].append(path)
        problems.append(f"not pushed to DVC remote '{remote}'")
    if problems:
        run.set_tags({
            f"mlops.data.{key}": ",".join(sorted(paths)) for key, paths in flags.items() if paths
        })
        warnings.warn(
            f"run {run.run_id} uses {path} which is {' and '.join(problems)}: the run cannot be reproduced "
            "from the repository alone (commit the .dvc file / pin with --push)",
            DataNotSavedWarning,
            stacklevel=3,
        )
    try:
        usage = _usage_file(root)
        usage.parent.mkdir(parents=True, exist_ok=True)
        entry = {"run_id": str(run.run_id), "path": path, "md5": md5, "rev": revision, "action": action,
                 "time": time.time()}
        with usage.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")
    except OSError:
        pass
    return str(run.run_id)


def last_runs(root: Path, limit: int = 3) -> dict[str, list[str]]:
    """path -> ids of the last runs that pinned or loaded it (newest first)."""
    usage = _usage_file(root)
    out: dict[str, list[str]] = {}
    try:
        lines = usage.read_text(encoding="utf-8").splitlines()
    except OSError:
        return out
    for line in reversed(lines):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        runs = out.setdefault(str(entry.get("path")), [])
        rid = str(entry.get("run_id"))
        if rid not in runs and len(runs) < limit:
            runs.append(rid)
    return out
