"""The inference log: a write-ahead file per kind, flushed in batches to Parquet by hour.

Layout under ``.mlops/serving/SERVICE/``::

    wal/requests/seg-000000000007.jsonl     one JSON line per request, appended before the
                                            gateway answers (the acknowledgement point)
    requests/hour=2026-11-29T15/part-000000000007.parquet
    feedback/...                            the same for POST /feedback labels

Durability: the gateway answers a request only after its record was written to the
write-ahead segment with one ``write()`` (in the OS page cache). A SIGKILL of the gateway
therefore loses no acknowledged record: on the next start the segments left behind are
flushed to Parquet first. A sealed segment is flushed into parts named after the segment
(``part-<seq>``), written to a temporary file and renamed, and only then deleted, so a
crash in between writes the same parts again; readers drop duplicate request ids. Parquet
parts are fsynced when written; the write-ahead file is not fsynced per request, so an OS
crash or power loss (not a process kill) can lose the records of the last flush interval.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

SEG_RE = re.compile(r"seg-(\d{12})\.jsonl$")
PART_RE = re.compile(r"part-(\d{12})\.parquet$")
KINDS = ("requests", "feedback")


def _hour(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H", time.gmtime(t))


class RecordLog:
    """Append-only log of one kind (``requests`` or ``feedback``) of one service.

    Used by the gateway (one process writes); :func:`read_log` reads from anywhere.
    """

    def __init__(self, folder: Path, kind: str) -> None:
        if kind not in KINDS:
            raise ValueError(kind)
        self.kind = kind
        self.parts_dir = Path(folder) / kind
        self.wal_dir = Path(folder) / "wal" / kind
        self.seq = 0
        self.fd: int | None = None
        self.pending = 0

    # -- writer side (gateway) -------------------------------------------------------
    def open(self) -> int:
        """Flush what a previous gateway left in the write-ahead dir; start a new segment.
        Returns the number of recovered records."""
        self.wal_dir.mkdir(parents=True, exist_ok=True)
        self.parts_dir.mkdir(parents=True, exist_ok=True)
        recovered = sum(self.flush_segment(p) for p in self.sealed())
        seqs = [int(m.group(1)) for p in self.parts_dir.glob("hour=*/part-*.parquet") if (m := PART_RE.search(p.name))]
        self.seq = max(seqs, default=0) + 1
        self._open_segment()
        return recovered

    def _segment(self, seq: int) -> Path:
        return self.wal_dir / f"seg-{seq:012d}.jsonl"

    def _open_segment(self) -> None:
        self.fd = os.open(self._segment(self.seq), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.pending = 0

    def append(self, record: dict[str, Any]) -> None:
        """Write one record to the write-ahead segment (one ``write()``; call before answering)."""
        assert self.fd is not None, "log not open"
        data = (json.dumps(record, separators=(",", ":"), default=str) + "\n").encode()
        view = memoryview(data)
        while view:  # a regular file takes the whole line; loop for the rare short write
            n = os.write(self.fd, view)
            view = view[n:]
        self.pending += 1

    def rotate(self) -> Path | None:
        """Seal the current segment and start the next; returns the sealed one (None if empty).
        Call from the writing thread; flush the returned path from any thread."""
        if self.fd is None or self.pending == 0:
            return None
        sealed = self._segment(self.seq)
        os.close(self.fd)
        self.seq += 1
        self._open_segment()
        return sealed

    def sealed(self) -> list[Path]:
        """Segments waiting to be flushed (all but the open one), oldest first."""
        current = self._segment(self.seq) if self.fd is not None else None
        return sorted(p for p in self.wal_dir.glob("seg-*.jsonl") if p != current)

    def flush_segment(self, path: Path) -> int:
        """Write one sealed segment as Parquet parts (one per hour) and delete it."""
        m = SEG_RE.search(path.name)
        if m is None:
            return 0
        records = _read_segment(path)
        by_hour: dict[str, list[dict[str, Any]]] = {}
        for rec in records:
            by_hour.setdefault(_hour(float(rec["time"])), []).append(rec)
        for hour in sorted(by_hour):
            _write_part(_table(by_hour[hour], self.kind), self.parts_dir / f"hour={hour}" / f"part-{m.group(1)}.parquet")
        path.unlink(missing_ok=True)
        return len(records)

    def close(self) -> int:
        """Flush everything, the open segment included (a clean shutdown leaves none)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        return sum(self.flush_segment(p) for p in self.sealed())


def _read_segment(path: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return out
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except ValueError:  # a line cut by a kill mid-write was never acknowledged
            continue
    return out


# Column types of the two kinds, so that empty logs and all-null columns keep their schema.
REQUEST_COLUMNS: dict[str, str] = {
    "request_id": "str", "time": "float", "arm": "str", "model_uri": "str", "model_version": "str",
    "status": "int", "latency_ms": "float", "n_rows": "int", "inputs": "str", "prediction": "str",
    "error": "str", "key": "str", "failover": "str",
}
FEEDBACK_COLUMNS: dict[str, str] = {"request_id": "str", "time": "float", "label": "str"}


def _frame(records: list[dict[str, Any]]) -> Any:
    import pandas as pd

    frame = pd.DataFrame.from_records(records)
    cols = REQUEST_COLUMNS if "arm" in frame.columns or "label" not in frame.columns else FEEDBACK_COLUMNS
    for col, kind in cols.items():
        if col not in frame.columns:
            frame[col] = None
        if kind == "float":
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
        elif kind == "int":
            frame[col] = pd.to_numeric(frame[col], errors="coerce").fillna(-1).astype("int64")
        else:
            frame[col] = frame[col].astype("string")
    return frame[list(cols)]


_SCHEMAS: dict[str, Any] = {}


def _schema(kind: str) -> Any:
    """The Arrow schema of a kind, with the pandas metadata ``to_parquet`` would write (so
    parts read back with the same dtypes whichever way they were written)."""
    if kind not in _SCHEMAS:
        import pyarrow as pa

        empty = _frame([{"request_id": None, "time": 0.0, **({"arm": None} if kind == "requests" else {"label": None})}]).iloc[0:0]
        _SCHEMAS[kind] = pa.Schema.from_pandas(empty, preserve_index=False)
    return _SCHEMAS[kind]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _table(records: list[dict[str, Any]], kind: str) -> Any:
    """Records as an Arrow table of the kind's columns, typed like :func:`_frame` (missing
    or unreadable numbers: NaN, or -1 for integers), without pandas on the gateway's path."""
    import math

    import pyarrow as pa

    columns: dict[str, list[Any]] = {}
    for col, typ in (REQUEST_COLUMNS if kind == "requests" else FEEDBACK_COLUMNS).items():
        values = [r.get(col) for r in records]
        if typ == "float":
            columns[col] = [x if (x := _number(v)) is not None else math.nan for v in values]
        elif typ == "int":
            columns[col] = [int(x) if (x := _number(v)) is not None and math.isfinite(x) else -1 for v in values]
        else:
            columns[col] = [None if v is None else v if isinstance(v, str) else str(v) for v in values]
    return pa.Table.from_pydict(columns, schema=_schema(kind))


def _write_part(table: Any, target: Path) -> None:
    import pyarrow.parquet as pq

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    pq.write_table(table, tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)


def _list_segments(folder: Path, kind: str) -> list[Path]:
    return sorted((folder / "wal" / kind).glob("seg-*.jsonl"))


# Parquet parts are immutable once renamed into place (a crash rewrites a part under the same
# name, with another mtime): what was read of one is kept, keyed by name, size, mtime and
# columns, so a monitor refresh reads only the parts written since the last one.
_PART_CACHE: OrderedDict[tuple[str, int, int, tuple[str, ...] | None], Any] = OrderedDict()
PART_CACHE_ROWS = 5_000_000  # rows kept across all cached parts (least recently used dropped)
_cached_rows = 0


def _read_part(path: Path, columns: tuple[str, ...] | None) -> Any:
    """One Parquet part as an Arrow table (only ``columns``), from the cache when unchanged."""
    global _cached_rows
    import pyarrow.parquet as pq

    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns, columns)
    table = _PART_CACHE.get(key)
    if table is not None:
        _PART_CACHE.move_to_end(key)
        return table
    table = pq.read_table(path, columns=list(columns) if columns is not None else None)
    _PART_CACHE[key] = table
    _cached_rows += table.num_rows
    while _cached_rows > PART_CACHE_ROWS and len(_PART_CACHE) > 1:
        _, old = _PART_CACHE.popitem(last=False)
        _cached_rows -= old.num_rows
    return table


def _parts_frame(tables: list[Any]) -> Any:
    import pyarrow as pa

    try:
        table = pa.concat_tables(tables, promote_options="default") if len(tables) > 1 else tables[0]
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # parts of differing schemas: pandas aligns them
        import pandas as pd

        return pd.concat([t.to_pandas() for t in tables], ignore_index=True)
    return table.to_pandas()


def read_log(folder: Path | str, kind: str = "requests", since: float | None = None,
             columns: list[str] | None = None) -> Any:
    """Every record of one kind: the Parquet parts plus the unflushed write-ahead segments,
    duplicates (a crash between part write and segment delete) dropped. ``since``: only
    records with ``time >= since`` (hour partitions before it are not read). ``columns``:
    only these (``request_id`` and ``time`` are always read)."""
    import pandas as pd

    folder = Path(folder)
    cols = None if columns is None else tuple(dict.fromkeys(["request_id", "time", *columns]))
    # The write-ahead segments are read BEFORE the Parquet parts: a segment that the gateway
    # flushes and deletes while we read is then found among the parts listed afterwards
    # (the other order misses it). Records seen twice are dropped below.
    records: list[dict[str, Any]] = []
    for seg in _list_segments(folder, kind):
        records.extend(_read_segment(seg))
    tables = []
    min_hour = _hour(since) if since is not None else None
    for part in sorted((folder / kind).glob("hour=*/part-*.parquet")):
        if min_hour is not None and part.parent.name[len("hour="):] < min_hour:
            continue
        with contextlib.suppress(FileNotFoundError):  # a part replaced while listed
            tables.append(_read_part(part, cols))
    frames = [_parts_frame(tables)] if tables else []
    if records:
        recent = _frame(records)
        if frames and kind == "requests":
            # request ids are unique: a record is a duplicate only when its segment was
            # flushed while we read, so only the few unflushed records are looked up
            recent = recent[~recent["request_id"].isin(frames[0]["request_id"])]
        frames.append(recent if cols is None else recent[list(cols)])
    if not frames:
        empty = _frame([{"request_id": None, "time": 0.0, **({"arm": None} if kind == "requests" else {"label": None})}]).iloc[0:0]
        frames.append(empty if cols is None else empty[list(cols)])
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if kind == "feedback" and len(frame):  # a label sent again replaces the earlier one
        frame = frame.drop_duplicates(subset=["request_id"], keep="last")
    if since is not None:
        frame = frame[frame["time"] >= since]
    if not frame["time"].is_monotonic_increasing:
        frame = frame.sort_values("time", kind="stable")
    return frame.reset_index(drop=True)
