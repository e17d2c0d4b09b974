"""Crash-safe ``dvc add``: the workspace data is only ever read, never moved or replaced.

``dvc add`` moves a file into the cache and links it back; a process killed between the
two loses the user's file (it survives only as an orphan cache object). Here the pin is
written in an order where every instant is safe:

1. each object is copied (reflinked where the file system can) into a private temporary
   file under the cache, hashed while it is written, made read-only and renamed into
   place (``os.replace`` is atomic);
2. a folder's ``.dir`` listing object, the same way;
3. the ``.dvc`` file, written to a temporary file next to it and renamed over the old one;
4. the ``/name`` entry of the ``.gitignore`` next to it, the same way.

The workspace file or folder is opened read-only and nothing else touches it, so a kill
at any point leaves it as it was; what a kill can leave behind is an unreferenced object
(harmless, reused by the next pin) or a temporary file (removed by the next pin once its
process is gone). The result is what ``dvc add`` writes (same ``.dvc`` fields, same
cache layout, read-only objects), so ``dvc status/push/checkout`` work on it; the one
difference is that the workspace copy stays a plain copy whatever ``cache.type`` says
(``dvc checkout --relink`` links it if wanted).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import signal
import tempfile
from pathlib import Path
from typing import Any

from ..errors import DataError
from .hashing import CHUNK, PathDigest, _ignored, _read_ignore, dir_listing_json
from .repo import DataRepo, parse_dvc_file

TMP_DIR = ".mlops-tmp"  # under the cache dir: outside files/md5, so DVC never reads it
_TMP_TAG = "mlops-tmp"
FICLONE = 0x40049409  # Linux ioctl: share the blocks (btrfs, xfs, ...)

# where a test may ask the pin to SIGKILL itself (MLOPS_PIN_CRASH_AT=<point>)
CRASH_POINTS = ("object-copying", "object-written", "object-placed", "listing-placed",
                "dvc-written", "dvc-placed", "gitignore-written", "gitignore-placed")


def crash_point(name: str) -> None:
    """Die here, like a kill from outside, when ``MLOPS_PIN_CRASH_AT`` names this point (tests)."""
    if os.environ.get("MLOPS_PIN_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def add_path(repo: DataRepo, full: Path, dig: PathDigest) -> None:
    """Put ``full`` (digested as ``dig``) into the DVC cache and write its ``.dvc`` file."""
    rel = repo.rel(full)
    check_addable(repo, full, rel)
    _clean_stale(repo.cache_dir() / TMP_DIR)
    _clean_stale(full.parent)
    if dig.is_dir:
        for sub, md5 in dig.listing:
            store_object(repo, full / sub, md5, f"{rel}/{sub}")
        store_bytes(repo, dir_listing_json(list(dig.listing)), dig.md5)
        crash_point("listing-placed")
    else:
        store_object(repo, full, dig.md5, rel)
    write_dvc_file(repo, full, dig)
    ignore_in_git(repo, full)


def complete_unchanged(repo: DataRepo, full: Path) -> None:
    """For a pin whose content is already pinned: finish what a killed pin may have left
    undone (the ``.gitignore`` entry) and remove its temporary files."""
    _clean_stale(full.parent)
    ignore_in_git(repo, full)


# -- checks dvc add would make --------------------------------------------------------
def check_addable(repo: DataRepo, full: Path, rel: str) -> None:
    """Refuse what ``dvc add`` refuses: git-tracked data, .dvcignored paths, overlapping outputs."""
    if repo.git("--literal-pathspecs", "ls-files", "--", rel, check=False):  # names may hold [ * ?
        raise DataError(
            f"{rel} is tracked by git itself, so DVC cannot track it",
            hint=f"git rm -r --cached '{rel}' && git commit -m 'stop tracking {rel}', then pin again",
        )
    rules = [(a, spec) for a in reversed(full.parents)
             if (a == repo.root or repo.root in a.parents) and (spec := _read_ignore(a)) is not None]
    if rules and _ignored(full, full.is_dir(), rules):
        raise DataError(f"{rel} is ignored by a .dvcignore file, so DVC cannot track it",
                        hint="remove the matching .dvcignore rule, then pin again")
    for other, source in tracked_outputs(repo):
        if source == rel + ".dvc":
            continue
        if other == rel or other.startswith(rel + "/") or rel.startswith(other + "/"):
            raise DataError(
                f"{rel} overlaps with {other}, which {source} already tracks",
                hint="pin the enclosing folder or the files inside it, not both",
            )


def tracked_outputs(repo: DataRepo) -> list[tuple[str, str]]:
    """(output path, file that declares it) of every ``.dvc`` file and ``dvc.yaml`` stage."""
    import yaml

    listed = repo.git("-c", "core.quotepath=off", "ls-files", "-z", "--cached", "--others", "--exclude-standard",
                      "--", "*.dvc", "dvc.yaml", "*/dvc.yaml", check=False)
    out: list[tuple[str, str]] = []
    for f in sorted({x for x in listed.split("\0") if x and not x.startswith(".dvc/")}):
        path = repo.root / f
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        base = Path(f).parent
        if f.endswith(".dvc"):
            try:
                out.append(((base / str(parse_dvc_file(text, f)["path"] or "")).as_posix(), f))
            except DataError:
                continue
            continue
        try:
            stages = (yaml.safe_load(text) or {}).get("stages") or {}
        except yaml.YAMLError:
            continue
        for stage in stages.values() if isinstance(stages, dict) else ():
            if not isinstance(stage, dict):
                continue
            wdir = base / str(stage.get("wdir") or ".")
            for o in stage.get("outs") or []:
                name = next(iter(o)) if isinstance(o, dict) and o else o
                if isinstance(name, str):
                    out.append((Path(os.path.normpath(wdir / name)).as_posix(), f))
    return out


# -- objects --------------------------------------------------------------------------
def store_object(repo: DataRepo, src: Path, md5: str, label: str) -> None:
    """Copy ``src`` into the cache as object ``md5``, atomically; its bytes must hash to ``md5``."""
    target = repo.cache_path(md5)
    if target.is_file():
        return
    with _temp_in(repo.cache_dir() / TMP_DIR) as (fd, tmp):
        actual = _copy_hashing(src, fd, tmp)
        if actual != md5:
            raise DataError(
                f"{label} changed while it was being pinned (md5 {md5} before, {actual} while copying)",
                hint="pin it again once nothing writes to it",
            )
        os.chmod(tmp, 0o444)
        crash_point("object-written")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
    crash_point("object-placed")


def store_bytes(repo: DataRepo, data: bytes, md5: str) -> None:
    """Write ``data`` (a folder listing) as object ``md5``, atomically."""
    target = repo.cache_path(md5)
    if target.is_file():
        return
    with _temp_in(repo.cache_dir() / TMP_DIR) as (fd, tmp):
        with os.fdopen(os.dup(fd), "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o444)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)


def _copy_hashing(src: Path, out_fd: int, tmp: Path) -> str:
    """Copy ``src`` to the open temp file (a reflink when possible) and return the md5 of the copy."""
    from .hashing import md5_file

    try:
        import fcntl
    except ImportError:  # not on Linux/Unix: a plain copy
        fcntl = None  # type: ignore[assignment]
    with open(src, "rb", buffering=0) as fin:
        try:
            if fcntl is not None:
                fcntl.ioctl(out_fd, FICLONE, fin.fileno())
                crash_point("object-copying")
                return md5_file(tmp)
        except OSError:
            pass
        h = hashlib.md5()
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        first = True
        while n := fin.readinto(buf):
            h.update(view[:n])
            _write_all(out_fd, view[:n])
            if first:
                crash_point("object-copying")
                first = False
    return h.hexdigest()


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        data = data[os.write(fd, data):]


# -- .dvc and .gitignore ---------------------------------------------------------------
def dvc_text(old: str | None, full: Path, dig: PathDigest) -> str:
    """The ``.dvc`` file ``dvc add`` would write, keeping the extra fields of an old one."""
    import yaml

    doc: dict[str, Any] = {}
    if old is not None:
        with contextlib.suppress(yaml.YAMLError, AttributeError):
            loaded = yaml.safe_load(old)
            doc = loaded if isinstance(loaded, dict) else {}
    found = doc.get("outs")
    outs: list[Any] = found if isinstance(found, list) and found else [{}]
    prev = outs[0] if isinstance(outs[0], dict) else {}
    entry: dict[str, Any] = {"md5": dig.md5, "size": dig.size}
    if dig.is_dir:
        entry["nfiles"] = dig.nfiles
    entry["hash"] = "md5"
    entry["path"] = full.name
    entry.update({k: v for k, v in prev.items() if k not in ("md5", "size", "nfiles", "hash", "path", "etag")})
    doc["outs"] = [entry, *outs[1:]]
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def write_dvc_file(repo: DataRepo, full: Path, dig: PathDigest) -> None:
    dvcf = repo.dvc_file(full)
    old = dvcf.read_text(encoding="utf-8") if dvcf.is_file() else None
    atomic_write(dvcf, dvc_text(old, full, dig).encode("utf-8"), "dvc")


def _gitignore_line(name: str) -> str:
    escaped = "".join("\\" + c if c in "\\*?[" else c for c in name)
    if escaped.endswith(" "):
        escaped = escaped[:-1] + "\\ "
    return "/" + escaped


def ignore_in_git(repo: DataRepo, full: Path) -> None:
    """Add ``/name`` to the ``.gitignore`` next to ``full`` unless git ignores it already."""
    gi = full.parent / ".gitignore"
    text = gi.read_text(encoding="utf-8") if gi.is_file() else ""
    line = _gitignore_line(full.name)
    if line in text.splitlines() or _is_ignored(repo, repo.rel(full)):
        return
    if text and not text.endswith("\n"):
        text += "\n"
    atomic_write(gi, (text + line + "\n").encode("utf-8"), "gitignore")


def _is_ignored(repo: DataRepo, rel: str) -> bool:
    from .repo import run_cmd

    return run_cmd(["git", "check-ignore", "-q", "--", rel], repo.root, check=False).returncode == 0


def atomic_write(path: Path, data: bytes, what: str) -> None:
    """Replace ``path`` by ``data`` in one rename (a temporary file next to it first)."""
    with _temp_in(path.parent, prefix=f".{path.name}.") as (fd, tmp):
        with os.fdopen(os.dup(fd), "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
        crash_point(f"{what}-written")
        os.replace(tmp, path)
    crash_point(f"{what}-placed")


def _umask() -> int:
    """The process umask without changing it (os.umask would, briefly, for every thread)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


# -- temporary files ----------------------------------------------------------------------
@contextlib.contextmanager
def _temp_in(folder: Path, prefix: str = "") -> Any:
    """A temp file named after this process (so a later pin can tell it is stale); removed on error."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f"{prefix}{_TMP_TAG}.{os.getpid()}.", dir=folder)
    tmp = Path(name)
    try:
        yield fd, tmp
    finally:
        os.close(fd)
        tmp.unlink(missing_ok=True)


def _clean_stale(folder: Path) -> None:
    """Remove temp files left in ``folder`` by pins whose process is gone (killed mid-pin)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    head = f"{_TMP_TAG}."
    for name in names:
        if head not in name:
            continue
        pid = name.split(head, 1)[1].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                (folder / name).unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True
