"""Warnings at export, not failures on the runner.

What export can see that will break (or weaken) the job on a CI runner: a DVC remote that
is a folder of this machine while the job is meant for a hosted runner, no finished
source run to compare with, files the notebook reads that are not pinned, and imports the
lock cannot pin (from :mod:`.lock`). They travel in ``ExportResult.warnings``; every
surface (CLI, magic, API repr, REST, nbconvert's log) shows them.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path
from typing import Any

from .lock import _strip_magics

HOSTED = ("github", "gitlab")
DATA_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq", ".json", ".jsonl", ".feather", ".arrow", ".xlsx", ".xls",
                 ".pkl", ".pickle", ".npy", ".npz", ".h5", ".hdf5", ".txt", ".zip", ".gz", ".orc", ".avro")
_READER = re.compile(r"read|load|open|scan|from_", re.IGNORECASE)


def remote_warning(root: Path, remote: str | None) -> str | None:
    """A warning when the job's DVC remote is a folder outside the repository."""
    try:
        from ..data.repo import DataRepo

        repo = DataRepo.find(root)
        name = repo.remote_name(remote)
        if not name:
            return None
        folder = repo.local_remote_dir(name)
    except Exception:  # no git/DVC here, or no such remote: the runner's own check reports it
        return None
    if folder is None:
        return None
    top = repo.root.resolve()
    inside = folder.resolve() == top or str(folder.resolve()).startswith(str(top) + os.sep)
    if inside:
        return None
    return (f"DVC remote '{name}' is the local folder {folder}: a hosted CI runner cannot reach it "
            "(dvc pull will fail there); use object storage (s3://, gs://, azure://, ssh://) for the job's profile")


def read_paths(sources: list[str]) -> list[tuple[int, str]]:
    """(cell, literal) for string literals passed to read/load/open-like calls."""
    out: list[tuple[int, str]] = []
    for cell, source in enumerate(sources):
        try:
            tree = ast.parse(_strip_magics(source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            fname = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if not _READER.search(fname):
                continue
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and "://" not in arg.value:
                    out.append((cell, arg.value))
    return out


def unpinned_data(sources: list[str], root: Path, nb_dir: Path, data: list[dict[str, Any]]) -> list[str]:
    """Project files that the notebook reads and no DVC pin covers (project-relative)."""
    pinned = [d["path"] for d in data]
    found: list[str] = []
    for _, literal in read_paths(sources):
        if not literal or "\n" in literal or len(literal) > 400:
            continue
        path = Path(literal)
        full = path if path.is_absolute() else (nb_dir / path)
        try:
            rel = full.resolve().relative_to(root.resolve()).as_posix()
        except (ValueError, OSError):
            continue
        if not (full.exists() or path.suffix.lower() in DATA_SUFFIXES) or full.suffix in (".py", ".ipynb", ".toml"):
            continue
        partly = full.is_dir() and any(p.startswith(rel + "/") for p in pinned)  # a folder of pinned files
        if not partly and not _covered(rel, pinned):
            found.append(rel)
    return list(dict.fromkeys(found))


def _covered(rel: str, pinned: list[str]) -> bool:
    return any(rel == p or rel.startswith(p.rstrip("/") + "/") for p in pinned)


def export_warnings(spec: dict[str, Any], sources: list[str], root: Path, nb_dir: Path,
                    remote: str | None, store: str) -> list[str]:
    """Every warning for a built spec (see the module docstring)."""
    out: list[str] = []
    if spec["target"] in HOSTED and spec["data"]:
        msg = remote_warning(root, remote)
        if msg:
            out.append(msg)
    if not spec["source"].get("run_id"):
        out.append(f"no finished run of this notebook in {store}: the job has no expected metrics and a "
                   "rehearsal has nothing to compare (run the notebook with tracking first)")
    missing = unpinned_data(sources, root, nb_dir, spec["data"])
    if missing:
        out.append("data read by the notebook is not pinned (the job cannot fetch or verify it): "
                   + ", ".join(missing[:10]) + " — pin it with %mlops_data pin PATH / mj.pin(PATH)")
    return out
