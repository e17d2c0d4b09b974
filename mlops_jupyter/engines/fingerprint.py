"""Fingerprints of datasets made of files: per-file digests combined in a stable order.

The digest of each file is the DVC-compatible md5 (``data/hashing.py``, with its state
cache: unchanged files are not re-read); the dataset's fingerprint is the md5 of the
lines ``relative/path<TAB>md5`` sorted by path, relative to the files' common folder. A
glob or folder read by DuckDB and a Spark frame over the same files
(``DataFrame.inputFiles()``) get the same fingerprint; nothing is loaded.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ..errors import DataError, MlopsUsageError
from .source import is_duckdb_relation, is_spark_frame, list_files

PREFIX = "files-md5:"


def _local(uri: str) -> str:
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return unquote(parsed.path) if parsed.scheme else uri
    raise DataError(f"cannot fingerprint {uri}: only local files", hint="copy the data locally or pin it with DVC")


def fingerprint_paths(files: list[str]) -> str:
    """The combined digest of ``files`` (see the module doc)."""
    from ..data.hashing import digest_path

    if not files:
        raise DataError("no files to fingerprint")
    absolute = sorted(os.path.abspath(f) for f in files)
    base = os.path.commonpath(absolute) if len(absolute) > 1 else os.path.dirname(absolute[0])
    lines = []
    for f in absolute:
        md5 = digest_path(Path(f)).md5
        lines.append(f"{os.path.relpath(f, base)}\t{md5}\n")
    return PREFIX + hashlib.md5("".join(sorted(lines)).encode()).hexdigest()


def fingerprint_dataset(obj: Any) -> str:
    """A glob/folder of files or a Spark frame read from files."""
    if is_spark_frame(obj):
        return fingerprint_paths([_local(u) for u in obj.inputFiles()])
    if is_duckdb_relation(obj):
        raise MlopsUsageError("a DuckDB relation does not say which files it reads",
                              hint="fingerprint the path, folder or glob it was read from")
    files, _ = list_files(obj)
    return fingerprint_paths(files)
