"""``mj.load``: read a pinned version at any git revision, verified byte for byte."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..errors import DataError
from .objects import ensure_object, read_dir_listing, remote_has
from .repo import DataRepo, parse_dvc_file
from .runs import record_input

TABULAR = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet", ".json": "json",
           ".jsonl": "jsonl", ".ndjson": "jsonl"}


def pinned_info(repo: DataRepo, rel: str, rev: str | None) -> dict[str, Any]:
    """The ``.dvc`` entry of ``rel`` at ``rev`` (None: the working tree's ``.dvc`` file)."""
    dvc_rel = rel + ".dvc"
    if rev is None:
        f = repo.root / dvc_rel
        if not f.is_file():
            raise DataError(f"{rel} is not pinned", hint=f"pin it first: %mlops_data pin {rel}")
        text = f.read_text(encoding="utf-8")
    else:
        found = repo.show_at(rev, dvc_rel)
        if found is None:
            raise DataError(f"{rel} is not pinned at revision {rev}", hint=f"git log -- {dvc_rel} lists its revisions")
        text = found
    return parse_dvc_file(text, f"{dvc_rel}@{rev or 'workspace'}")


def read_table(path: Path, kind: str) -> Any:
    """A DataFrame from a verified local file."""
    import pandas as pd

    try:
        if kind == "csv":
            return pd.read_csv(path)
        if kind == "tsv":
            return pd.read_csv(path, sep="\t")
        if kind == "parquet":
            return pd.read_parquet(path)
        if kind == "jsonl":
            return pd.read_json(path, lines=True)
        return pd.read_json(path)
    except (ValueError, OSError) as exc:
        raise DataError(f"cannot read {path.name} as {kind}: {exc}") from None


def materialize(repo: DataRepo, rel: str, md5: str, remote: str | None) -> Path:
    """A verified private copy of a pinned file or folder under ``.mlops/data/loads/``."""
    base = repo.root / ".mlops" / "data" / "loads" / md5.replace(".dir", "d")[:20]
    target = base / Path(rel).name
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".load.", dir=base))
    try:
        staged = tmp / Path(rel).name
        if md5.endswith(".dir"):
            for sub, m in read_dir_listing(repo, md5, rel, remote):
                obj = ensure_object(repo, m, f"{rel}/{sub}", remote)
                dest = staged / sub
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(obj, dest)
        else:
            shutil.copyfile(ensure_object(repo, md5, rel, remote), staged)
        if target.exists():
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        os.replace(staged, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _workspace_copy(repo: DataRepo, full: Path, md5: str) -> Path | None:
    """The working-tree file when the cache lacks the object and the file has exactly its bytes."""
    if repo.cache_path(md5).is_file() or not full.is_file():
        return None
    from .hashing import md5_file_verbose

    return full if md5_file_verbose(full, full.name) == md5 else None


def load(path: str | os.PathLike[str], rev: str | None = None, remote: str | None = None,
         as_frame: bool | None = None, engine: str | None = None) -> Any:
    """Load the pinned version of ``path`` at git revision ``rev`` (default: the working tree's pin).

    The bytes come from the DVC cache (fetched from the remote when missing) and are
    re-hashed before anything is returned: a mismatch raises
    :class:`~mlops_jupyter.errors.DataIntegrityError` naming the file and both digests.
    CSV, TSV, Parquet and JSON(L) files become DataFrames (``as_frame=False`` returns the
    path instead); other files and folders come back as the path of a verified private copy
    under ``.mlops/data/loads/``. Inside an active run the load is recorded as a run input.
    ``engine="duckdb"`` returns a DuckDB relation over the verified copy of the pinned file
    or folder (Parquet/CSV), for data beyond memory.
    """
    if engine not in (None, "pandas"):
        from ..engines.source import detect_engine, open_source

        if detect_engine(None, engine) != "duckdb":
            from ..errors import MlopsUsageError

            raise MlopsUsageError(f"mj.load returns pandas or DuckDB data, not {engine}", hint="engine='duckdb'")
        copy = load(path, rev=rev, remote=remote, as_frame=False)
        return open_source(copy).rel
    repo = DataRepo.find()
    full = repo.resolve(path, must_exist=False)
    rel = repo.rel(full)
    info = pinned_info(repo, rel, rev)
    md5 = info["md5"]
    name = repo.remote_name(remote)
    kind = TABULAR.get(full.suffix.lower())
    frame = None
    if kind and not md5.endswith(".dir") and as_frame is not False:
        obj = _workspace_copy(repo, full, md5) or ensure_object(repo, md5, rel, name)  # verified either way
        frame = read_table(obj, kind)
        result: Any = frame
    else:
        result = materialize(repo, rel, md5, name)
    revision = repo.resolve_rev(rev) if rev else (repo.last_commit(rel + ".dvc") if repo.is_committed(rel + ".dvc") else None)
    committed = revision is not None
    pushed = None
    # the workspace .dvc file names the objects for cloud remotes: old revisions only on local ones
    if name and (rev is None or repo.local_remote_dir(name) is not None):
        try:
            from .objects import object_ids

            pushed = remote_has(repo, name, object_ids(repo, md5, rel, name), rel + ".dvc")
        except DataError:
            pushed = None
    fp = None
    if frame is not None:
        from .frame import fingerprint_frame

        fp = fingerprint_frame(frame)
    record_input(repo.root, "load", rel, md5, revision, name, committed, pushed, df=frame, fingerprint=fp)
    return result
