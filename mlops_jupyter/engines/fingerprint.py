"""Fingerprints of datasets made of files: per-file digests combined in a stable order.

The digest of each file is the DVC-compatible md5 (``data/hashing.py``, with its state
cache: unchanged files are not re-read); the dataset's fingerprint is the md5 of the
lines ``relative/path<TAB>md5`` sorted by path, relative to the files' common folder. A
glob or folder read by DuckDB and a Spark frame over the same files
(``DataFrame.inputFiles()``) get the same fingerprint; nothing is loaded.

A DuckDB relation does not say which files it reads (it may be any query): its
fingerprint ``duckdb-rows:<hex>`` is computed in DuckDB over the content, one aggregation:
each row's 64-bit ``hash`` together with its position, summed (mod 2^64) and, in the
other argument order, xored, plus the row count, the column names and types. Any changed
value, row order, name or type changes it; it follows DuckDB's hash function, so it is
stable for one DuckDB version and one engine, where the files' fingerprint is stable
everywhere.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ..errors import DataError
from .source import is_duckdb_relation, is_spark_frame, list_files

PREFIX = "files-md5:"
RELATION_PREFIX = "duckdb-rows:"


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
        return fingerprint_relation(obj)
    files, _ = list_files(obj)
    return fingerprint_paths(files)


def fingerprint_relation(rel: Any) -> str:
    """A DuckDB relation's content digest, computed in DuckDB (see the module doc)."""
    from .source import Source
    from .sqlrules import q

    names = [str(c) for c in rel.columns]
    types = [str(t) for t in rel.types]
    cols = [q(c) for c in names]
    pos = "row_number() OVER ()"
    row = Source(rel, "relation").sql(
        f"SELECT count(*), coalesce(sum(CAST(h1 AS HUGEINT)) % 18446744073709551616, 0), coalesce(bit_xor(h2), 0) "
        f"FROM (SELECT hash({', '.join([pos, *cols])}) AS h1, hash({', '.join([*cols, pos])}) AS h2 FROM t)").fetchall()[0]
    text = json.dumps({"columns": names, "types": types, "rows": int(row[0]), "sum": str(row[1]), "xor": str(row[2])})
    return RELATION_PREFIX + hashlib.md5(text.encode()).hexdigest()
