"""Dataset versions on DVC: pins, full-content fingerprints, verified loads, status, diff.

``mj.pin(path)`` tracks files and folders with DVC in the project's git repository;
``mj.load(path, rev=...)`` reads any pinned revision back and refuses corrupted bytes;
``mj.fingerprint(obj)`` digests DataFrames (xxh3-128 over every value) and files/folders
(DVC-compatible md5). Importing this package imports neither DVC nor pandas.
"""

from __future__ import annotations

import os
from typing import Any

from .diff import DataDiff, data_diff
from .loading import load
from .pins import DatasetPin, pin
from .runs import DataNotSavedWarning
from .status import DataStatus, StatusRow, commit_pinned, data_status, push_pinned


def fingerprint(obj: Any) -> str:
    """Full-content digest of ``obj``.

    A pandas DataFrame or Series gives ``xxh3_128:<hex>`` over column names and order,
    dtypes, index and every value (same data, same digest in any process; any changed
    cell changes it). A path to a file or folder gives its DVC-compatible md5 (a folder's
    ends in ``.dir``), equal to what ``dvc add`` writes; unchanged files come from the
    state cache under ``.mlops/`` when the path is inside a DVC repository. A glob, or a
    Spark frame read from local files, gives ``files-md5:<hex>`` over its files' md5s in
    path order: the same for the same files whichever engine reads them.
    """
    from ..engines.source import is_duckdb_relation, is_spark_frame

    if is_spark_frame(obj) or is_duckdb_relation(obj) or (isinstance(obj, str) and any(c in obj for c in "*?[")):
        from ..engines.fingerprint import fingerprint_dataset

        return fingerprint_dataset(obj)  # a glob, or a frame over files: per-file digests combined
    if isinstance(obj, (str, os.PathLike)):
        from pathlib import Path

        from ..errors import DataError
        from .hashing import digest_path
        from .repo import start_dir

        path = Path(obj)
        path = path if path.is_absolute() else start_dir() / path
        if not path.exists():
            raise DataError(f"{obj} does not exist", hint=f"looked for {path}")
        cache, root = _cache_for(path)
        return digest_path(path, cache, root).md5
    from .frame import fingerprint_frame

    if type(obj).__module__.split(".")[0] != "pandas" or not hasattr(obj, "index"):
        from ..errors import MlopsUsageError

        raise MlopsUsageError(
            f"cannot fingerprint a {type(obj).__name__}",
            hint="pass a pandas DataFrame or Series, or a path to a file or folder",
        )
    return fingerprint_frame(obj)


def _cache_for(path: Any) -> tuple[Any, Any]:
    from .pins import state_cache
    from .repo import DataRepo

    try:
        repo = DataRepo.find(path if path.is_dir() else path.parent)
    except Exception:  # outside a repository: no cache, still a correct digest
        return None, None
    return state_cache(repo), repo.root


__all__ = [
    "DataDiff", "DataNotSavedWarning", "DataStatus", "DatasetPin", "StatusRow",
    "commit_pinned", "data_diff", "data_status", "fingerprint", "load", "pin", "push_pinned",
]
