"""DVC-compatible md5 digests of files and folders, with a state cache.

DVC 3 hashes a file as the plain md5 of its bytes (no dos2unix normalisation of text any
more: checked against ``dvc add`` of a CRLF file) and a folder as the md5 of the JSON
listing ``[{"md5": ..., "relpath": ...}, ...]`` (sorted by path parts, ``sort_keys``)
followed by ``.dir``.

The state cache (``.mlops/data/state.db``, SQLite) maps a file's
(path, inode, size, mtime_ns, ctime_ns) to its md5, so re-hashing an unchanged file costs
one ``stat``. ctime is part of the key on purpose: it cannot be set from user space, so a
rewrite that restores size and mtime (the dvc#5978 pattern) still misses the cache.
Verified loads never use the cache: they always re-read every byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHUNK = 4 * 1024 * 1024
PROGRESS_MIN_BYTES = 64 * 1024 * 1024
_lock = threading.Lock()


@dataclass(frozen=True)
class PathDigest:
    """md5 (``...dir`` for folders), total size in bytes and number of files."""

    md5: str
    size: int
    nfiles: int
    is_dir: bool
    listing: tuple[tuple[str, str], ...] = ()  # (relpath, md5) of a folder's files


class StateCache:
    """(path, inode, size, mtime_ns, ctime_ns) -> md5, in an SQLite file."""

    def __init__(self, db: Path | None) -> None:
        self.db = db
        self._conn: sqlite3.Connection | None = None
        self._pending = 0

    def _connect(self) -> sqlite3.Connection | None:
        if self.db is None:
            return None
        if self._conn is None:
            try:
                self.db.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.db, timeout=30, check_same_thread=False)
                # a lost write only costs one re-hash later: no fsync per file
                conn.execute("PRAGMA synchronous=OFF")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS md5 (path TEXT PRIMARY KEY, ino INTEGER, size INTEGER,"
                    " mtime INTEGER, ctime INTEGER, md5 TEXT)"
                )
                conn.commit()
            except (sqlite3.Error, OSError):
                self.db = None  # a read-only or broken state dir only costs speed
                return None
            self._conn = conn
        return self._conn

    @staticmethod
    def _key(st: os.stat_result) -> tuple[int, int, int, int]:
        return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    def get(self, path: Path, st: os.stat_result) -> str | None:
        conn = self._connect()
        if conn is None:
            return None
        with _lock:
            row = conn.execute("SELECT ino, size, mtime, ctime, md5 FROM md5 WHERE path = ?", (str(path),)).fetchone()
        if row and tuple(row[:4]) == self._key(st):
            return str(row[4])
        return None

    def put(self, path: Path, st: os.stat_result, md5: str) -> None:
        conn = self._connect()
        if conn is None:
            return
        try:
            with _lock:
                conn.execute("INSERT OR REPLACE INTO md5 VALUES (?, ?, ?, ?, ?, ?)", (str(path), *self._key(st), md5))
                self._pending += 1
                if self._pending >= 1000:
                    self.flush()
        except (sqlite3.Error, OSError):
            pass

    def flush(self) -> None:
        """Commit pending entries (one transaction for a whole folder)."""
        if self._conn is not None and self._pending:
            with suppress(sqlite3.Error):
                self._conn.commit()
            self._pending = 0

    def close(self) -> None:
        self.flush()
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def progress_bar(total: int, desc: str) -> object | None:
    """A tqdm bar (ipywidgets in notebooks via ``tqdm.auto``) for long operations, else None.

    ``MLOPS_PROGRESS=0`` switches bars off (benchmarks, logs of CI jobs)."""
    if total < PROGRESS_MIN_BYTES or os.environ.get("MLOPS_PROGRESS", "1") == "0":
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with dvc
        return None
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, leave=False)


@contextmanager
def busy(total: int, desc: str) -> Iterator[None]:
    """An elapsed-time indicator for a long subprocess (``dvc add``/``dvc push`` of big data)."""
    if total < PROGRESS_MIN_BYTES or os.environ.get("MLOPS_PROGRESS", "1") == "0":
        yield
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=None, desc=desc, bar_format="{desc}: running for {elapsed}", leave=False)
    done = threading.Event()

    def tick() -> None:
        while not done.wait(0.5):
            bar.refresh()

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        bar.close()


def md5_file(path: Path, progress: Callable[[int], None] | None = None) -> str:
    """The md5 of every byte of ``path`` (no cache)."""
    h = hashlib.md5()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as fh:
        while True:
            n = fh.readinto(buf)
            if not n:
                break
            h.update(view[:n])
            if progress is not None:
                progress(n)
    return h.hexdigest()


def md5_file_verbose(path: Path, label: str | None = None) -> str:
    """:func:`md5_file` with a progress bar for big files."""
    size = path.stat().st_size
    bar = progress_bar(size, f"md5 {label or path.name}")
    try:
        return md5_file(path, bar.update if bar is not None else None)  # type: ignore[attr-defined]
    finally:
        if bar is not None:
            bar.close()  # type: ignore[attr-defined]


def dir_md5(listing: list[tuple[str, str]]) -> str:
    """DVC's digest of a folder from its (relpath, md5) listing."""
    entries = sorted(listing, key=lambda e: tuple(e[0].split("/")))
    text = json.dumps([{"md5": md5, "relpath": rel} for rel, md5 in entries], sort_keys=True)
    return hashlib.md5(text.encode("utf-8")).hexdigest() + ".dir"


def dir_listing_json(listing: list[tuple[str, str]]) -> bytes:
    entries = sorted(listing, key=lambda e: tuple(e[0].split("/")))
    return json.dumps([{"md5": md5, "relpath": rel} for rel, md5 in entries], sort_keys=True).encode("utf-8")


IGNORE_FILE = ".dvcignore"


def _read_ignore(folder: Path) -> Any:
    f = folder / IGNORE_FILE
    if not f.is_file():
        return None
    import pathspec

    try:
        return pathspec.GitIgnoreSpec.from_lines(f.read_text(encoding="utf-8").splitlines())
    except (OSError, ValueError):
        return None


def _ignored(path: Path, is_dir: bool, rules: list[tuple[Path, Any]]) -> bool:
    decision = None
    for base, spec in rules:  # shallow to deep: a deeper .dvcignore has the last word
        try:
            rel = path.relative_to(base).as_posix()
        except ValueError:
            continue
        result = spec.check_file(rel + "/" if is_dir else rel).include
        if result is not None:
            decision = result
    return bool(decision)


def iter_files(folder: Path, root: Path | None = None) -> Iterator[Path]:
    """Every regular file below ``folder`` that DVC would track.

    ``.dvcignore`` files (gitignore syntax) are honoured in ``folder``, below it, and in its
    parents up to the repository ``root``; ``.git`` and ``.dvc`` folders are skipped.
    """
    rules: list[tuple[Path, Any]] = []
    if root is not None:
        ancestors = [a for a in reversed(folder.parents) if a == root or root in a.parents]
        rules = [(a, spec) for a in ancestors if (spec := _read_ignore(a)) is not None]
    rules_at: dict[Path, list[tuple[Path, Any]]] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        parent_rules = rules_at.get(here.parent, rules) if here != folder else rules
        spec = _read_ignore(here)
        mine = [*parent_rules, (here, spec)] if spec is not None else parent_rules
        rules_at[here] = mine
        dirnames[:] = sorted(
            d for d in dirnames if d not in (".git", ".dvc") and not (mine and _ignored(here / d, True, mine))
        )
        for name in filenames:
            f = here / name
            if not (mine and _ignored(f, False, mine)):
                yield f


def digest_path(path: Path, cache: StateCache | None = None, root: Path | None = None) -> PathDigest:
    """DVC-compatible digest of a file or folder; unchanged files come from ``cache``.

    ``root`` (the repository) lets ``.dvcignore`` files above the folder apply too."""
    if root is not None:
        path = path.resolve()
    if path.is_dir():
        files = sorted(iter_files(path, root))
        stats = [(f, f.stat()) for f in files]
        total = sum(st.st_size for _, st in stats)
        bar = progress_bar(total, f"md5 {path.name}/")
        listing: list[tuple[str, str]] = []
        try:
            for f, st in stats:
                md5 = cache.get(f, st) if cache else None
                if md5 is None:
                    md5 = md5_file(f, bar.update if bar is not None else None)  # type: ignore[attr-defined]
                    if cache:
                        cache.put(f, st, md5)
                elif bar is not None:
                    bar.update(st.st_size)  # type: ignore[attr-defined]
                listing.append((f.relative_to(path).as_posix(), md5))
        finally:
            if bar is not None:
                bar.close()  # type: ignore[attr-defined]
            if cache:
                cache.flush()
        return PathDigest(dir_md5(listing), total, len(listing), True, tuple(sorted(listing)))
    st = path.stat()
    md5 = cache.get(path, st) if cache else None
    if md5 is None:
        md5 = md5_file_verbose(path)
        if cache:
            cache.put(path, st, md5)
            cache.flush()
    return PathDigest(md5, st.st_size, 1, False)
