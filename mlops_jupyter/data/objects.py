"""DVC objects in the local cache and on the remote, always verified by re-hashing.

``dvc checkout`` can hand back a corrupted cache file with exit code 0 (dvc#5978) and
``dvc push`` of a missing object only warns, so every object we read or push is
re-hashed here first. Verification never trusts the state cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import DataError, DataIntegrityError
from .hashing import md5_file_verbose
from .repo import DataRepo


def _verify(path: Path, md5: str, label: str, where: str) -> None:
    actual = md5_file_verbose(path, label)
    if actual != md5:
        raise DataIntegrityError(
            f"{label}: {where} object {path} has md5 {actual}, the pin says {md5}",
            hint="the object is corrupted; nothing was returned. Re-fetch it (delete the object and "
            "run `dvc fetch`) or re-pin from a good copy",
            file=label, expected=md5, actual=actual, object=str(path),
        )


def read_dir_listing(repo: DataRepo, md5: str, label: str, remote: str | None) -> list[tuple[str, str]]:
    """The verified (relpath, md5) listing of a pinned folder (``md5`` ends with ``.dir``)."""
    obj = ensure_object(repo, md5, label, remote)
    raw = obj.read_bytes()
    actual = hashlib.md5(raw).hexdigest() + ".dir"
    if actual != md5:
        raise DataIntegrityError(
            f"{label}: cache object {obj} has md5 {actual}, the pin says {md5}",
            hint="the folder listing is corrupted; delete it and run `dvc fetch`",
            file=label, expected=md5, actual=actual,
        )
    try:
        entries = json.loads(raw)
        return [(str(e["relpath"]), str(e["md5"])) for e in entries]
    except (ValueError, KeyError, TypeError):
        raise DataIntegrityError(f"{label}: folder listing {obj} is not valid JSON") from None


def ensure_object(repo: DataRepo, md5: str, label: str, remote: str | None, verify: bool = True) -> Path:
    """Path of object ``md5`` in the local cache, fetched from the remote if missing; verified."""
    obj = repo.cache_path(md5)
    if obj.is_file():
        if verify and not md5.endswith(".dir"):
            _verify(obj, md5, label, "cache")
        return obj
    name = repo.remote_name(remote)
    if not name:
        raise DataError(
            f"{label}: object {md5} is not in the local cache and no DVC remote is configured",
            hint="set dvc_remote in mlops.toml or run `dvc remote add -d NAME URL`",
        )
    _fetch_object(repo, md5, label, name)
    return obj


def _fetch_object(repo: DataRepo, md5: str, label: str, remote: str) -> None:
    """Copy one object from the remote into the cache, refusing it if its bytes do not match."""
    target = repo.cache_path(md5)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".fetch.", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        local = repo.local_remote_dir(remote)
        with os.fdopen(fd, "wb") as out:
            if local is not None:
                src = local / "files" / "md5" / md5[:2] / md5[2:]
                if not src.is_file():
                    raise DataError(
                        f"{label}: object {md5} is neither in the local cache nor on remote '{remote}'",
                        hint="it was never pushed: pin it with --push from the machine that has it",
                    )
                with src.open("rb") as fh:
                    shutil.copyfileobj(fh, out, 4 * 1024 * 1024)
            else:
                _fetch_with_dvc(repo, md5, remote, out)
        if md5.endswith(".dir"):
            actual = hashlib.md5(tmp.read_bytes()).hexdigest() + ".dir"
        else:
            actual = md5_file_verbose(tmp, label)
        if actual != md5:
            raise DataIntegrityError(
                f"{label}: object fetched from remote '{remote}' has md5 {actual}, the pin says {md5}",
                hint="the remote copy is corrupted; re-push it from a good copy",
                file=label, expected=md5, actual=actual,
            )
        os.chmod(tmp, 0o444)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _fetch_with_dvc(repo: DataRepo, md5: str, remote: str, out: object) -> None:
    """Stream one object from a cloud remote through DVC's own file system layer."""
    try:
        from dvc.repo import Repo

        with Repo(str(repo.root)) as dvc_repo:
            odb = dvc_repo.cloud.get_remote_odb(remote)
            src = odb.oid_to_path(md5)
            with odb.fs.open(src, "rb") as fh:
                shutil.copyfileobj(fh, out, 4 * 1024 * 1024)  # type: ignore[arg-type]
    except DataError:
        raise
    except Exception as exc:  # DVC raises many types; the user needs one line
        raise DataError(f"cannot fetch object {md5} from remote '{remote}': {exc}") from None


def object_ids(repo: DataRepo, md5: str, label: str, remote: str | None = None) -> list[str]:
    """All object ids of a pin: the file's md5, or a folder's ``.dir`` plus each file."""
    if not md5.endswith(".dir"):
        return [md5]
    return [md5, *sorted({m for _, m in read_dir_listing(repo, md5, label, remote)})]


def remote_has(repo: DataRepo, remote: str, md5s: list[str], dvc_target: str) -> bool:
    """True when every object is on ``remote`` (local folders checked directly, else via DVC)."""
    local = repo.local_remote_dir(remote)
    if local is not None:
        for md5 in md5s:
            src = local / "files" / "md5" / md5[:2] / md5[2:]
            if not src.is_file():
                return False
        return True
    proc = repo.dvc("status", "-c", "-r", remote, "--json", dvc_target, check=False)
    if proc.returncode != 0:
        raise DataError(f"cannot check remote '{remote}': {proc.stderr.strip().splitlines()[-1:]}")
    try:
        return not json.loads(proc.stdout or "{}")
    except ValueError:
        return False
