"""A durable local spool for tracking events the store could not take (server down).

One JSON-lines file per run under ``.mlops/spool/``: a header line with the tracking URI,
then one line per operation (metrics/params/tags batches, artifacts, dataset inputs, the
final status). Every append is fsync'ed under a file lock. Replay sends the operations in
order; each one is idempotent on MLflow (metrics are deduplicated by their primary key
(key, timestamp, step, value), params and tags carry the same value, artifacts overwrite
the same path, terminating twice is harmless), so a replay interrupted half-way can simply
run again: nothing is lost and nothing is counted twice.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._util import atomic_write_text
from .._views import Viewable

SPOOL_DIR = "spool"


def spool_dir(state_dir: Path) -> Path:
    """``.mlops/spool`` of the project."""
    return state_dir / SPOOL_DIR


def _lock(directory: Path) -> Any:
    from filelock import FileLock

    directory.mkdir(parents=True, exist_ok=True)
    return FileLock(str(directory / ".lock"), timeout=60)


class Spool:
    """The spool file of one run."""

    def __init__(self, state_dir: Path, run_id: str, uri: str) -> None:
        self.dir = spool_dir(state_dir)
        self.run_id = run_id
        self.uri = uri
        self.path = self.dir / f"{run_id}.jsonl"
        self.files = self.dir / f"{run_id}.files"

    def append(self, op: dict[str, Any]) -> None:
        """Durably add one operation (header written first if the file is new)."""
        with _lock(self.dir):
            new = not self.path.exists()
            with self.path.open("a", encoding="utf-8") as fh:
                if new:
                    fh.write(json.dumps({"op": "header", "uri": self.uri, "run_id": self.run_id}) + "\n")
                fh.write(json.dumps(op, allow_nan=True) + "\n")
                fh.flush()
                os.fsync(fh.fileno())

    def keep_file(self, local_path: Path) -> Path:
        """Copy an artifact into the spool so it survives until replay."""
        target = self.files / uuid.uuid4().hex[:12] / local_path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if local_path.is_dir():
            shutil.copytree(local_path, target)
        else:
            shutil.copy2(local_path, target)
        return target


@dataclass(repr=False)
class SyncResult(Viewable):
    """What ``sync`` replayed and what is still waiting."""

    replayed_runs: list[str] = field(default_factory=list)
    replayed_ops: int = 0
    pending_runs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.pending_runs and not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "replayed_runs": self.replayed_runs,
            "replayed_ops": self.replayed_ops,
            "pending_runs": self.pending_runs,
            "errors": self.errors,
        }


def pending(state_dir: Path) -> list[Path]:
    """Spool files waiting for replay."""
    folder = spool_dir(state_dir)
    return sorted(folder.glob("*.jsonl")) if folder.is_dir() else []


def _read_ops(path: Path) -> list[dict[str, Any]]:
    ops = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            ops.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # torn last line of a killed process: that op never completed
    return ops


def replay(state_dir: Path, skip_runs: set[str] | None = None) -> SyncResult:
    """Send every spooled operation to its store, in order; remove what was delivered."""
    from . import store

    result = SyncResult()
    folder = spool_dir(state_dir)
    if not folder.is_dir():
        return result
    with _lock(folder):
        for path in pending(state_dir):
            run_id = path.stem
            if skip_runs and run_id in skip_runs:
                result.pending_runs.append(run_id)
                continue
            ops = _read_ops(path)
            header = ops[0] if ops and ops[0].get("op") == "header" else {}
            uri = header.get("uri")
            if not uri:
                result.errors.append(f"{path.name}: no header, left in place")
                continue
            if not store.reachable(uri):
                result.pending_runs.append(run_id)
                continue
            progress = path.with_suffix(".done")
            mapping = path.with_suffix(".runid")
            done = int(progress.read_text()) if progress.exists() else 1
            target = mapping.read_text().strip() if mapping.exists() else run_id
            try:
                client = store.get_client(uri)
                for i in range(done, len(ops)):
                    if ops[i].get("op") == "create":
                        if not mapping.exists():
                            target = _create_run(client, uri, ops[i])
                            atomic_write_text(mapping, target)
                    else:
                        result.errors += _apply(client, target, ops[i])
                    atomic_write_text(progress, str(i + 1))
                    result.replayed_ops += 1
            except Exception as exc:
                if store.is_connection_error(exc):
                    result.pending_runs.append(run_id)
                else:
                    result.errors.append(f"run {run_id}: {type(exc).__name__}: {str(exc)[:300]}")
                continue
            path.unlink()
            progress.unlink(missing_ok=True)
            mapping.unlink(missing_ok=True)
            shutil.rmtree(folder / f"{run_id}.files", ignore_errors=True)
            result.replayed_runs.append(target)
    return result


def _create_run(client: Any, uri: str, op: dict[str, Any]) -> str:
    from .store import ensure_experiment

    exp_id = ensure_experiment(client, op["experiment"], uri)
    run = client.create_run(exp_id, start_time=op.get("start_time"), tags=op.get("tags") or {}, run_name=op.get("run_name"))
    return str(run.info.run_id)


def _apply(client: Any, run_id: str, op: dict[str, Any]) -> list[str]:
    """Send one spooled operation; returns the items the store refused (they are reported)."""
    kind = op.get("op")
    if kind == "batch":  # one refused item does not hold back (or drop) the others
        from .writer import send_isolating

        refused = send_isolating(client, run_id, [tuple(x) for x in op.get("metrics", [])],
                                 [tuple(x) for x in op.get("params", [])],
                                 [tuple(x) for x in op.get("tags", [])])
        return [f"run {run_id}: store refused {k} {key!r}: {why}" for k, key, why in refused]
    if kind == "artifact":
        local = Path(op["path"])
        if local.exists():
            client.log_artifact(run_id, str(local), op.get("artifact_path"))
    elif kind == "inputs":
        from .datasets import dataset_input_from_dict

        client.log_inputs(run_id, datasets=[dataset_input_from_dict(op["input"])])
    elif kind == "terminate":
        client.set_terminated(run_id, status=op["status"], end_time=op.get("end_time"))
    return []
