"""``mj.pin``: track files and folders with DVC, stage the ``.dvc`` file, push verified objects."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .._views import Viewable
from ..errors import DataError
from ..session import session
from .adding import add_path, complete_unchanged
from .hashing import PathDigest, StateCache, busy, digest_path
from .objects import ensure_object, object_ids, remote_has
from .repo import DataRepo, parse_dvc_file
from .runs import record_input

CLEAN = "clean"
MODIFIED = "modified"
MISSING = "missing"
NOT_COMMITTED = "not committed"
NOT_PUSHED = "not pushed"
PIN_FILE_MISSING = "pin file missing"  # the .dvc file is known to git (staged) but deleted
STATES = (CLEAN, PIN_FILE_MISSING, MODIFIED, MISSING, NOT_COMMITTED, NOT_PUSHED)


@dataclass(repr=False)
class DatasetPin(Viewable):
    """One pinned file or folder: what DVC tracks, where it is in git and on the remote."""

    path: str
    md5: str
    size: int
    files: int
    revision: str | None
    remote: str | None
    state: str
    committed: bool = False
    pushed: bool | None = None
    changed: bool = False
    dvc_file: str = ""
    run_id: str | None = None
    flags: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the pin is reproducible from the repository (committed, pushed if a remote)."""
        return self.state == CLEAN

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)

    def to_frame(self) -> Any:
        """One-row DataFrame."""
        import pandas as pd

        return pd.DataFrame([self.to_dict()])


def state_cache(repo: DataRepo) -> StateCache:
    """The process-wide state cache of ``repo`` (kept on the session, closed by reset)."""
    caches = session.state.setdefault("data", {}).setdefault("state_caches", {})
    key = str(repo.root)
    if key not in caches:
        from ..config import STATE_DIR, ensure_state_dir

        caches[key] = StateCache(ensure_state_dir(repo.root / STATE_DIR) / "data" / "state.db")
    cache: StateCache = caches[key]
    return cache


def _objects_present(repo: DataRepo, md5: str) -> bool:
    if not repo.cache_path(md5).is_file():
        return False
    if md5.endswith(".dir"):
        import json

        try:
            entries = json.loads(repo.cache_path(md5).read_bytes())
            return all(repo.cache_path(str(e["md5"])).is_file() for e in entries)
        except (ValueError, KeyError, TypeError, OSError):
            return False
    return True


def _gitignore_of(full: Path) -> Path:
    return full.parent / ".gitignore"


def pin(
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    push: bool = False,
    message: str | None = None,
    remote: str | None = None,
    init: bool = False,
) -> Any:
    """Track ``path`` (a file or folder, or a list of them) with DVC.

    Writes what ``dvc add`` writes (cache objects, ``.dvc`` file, ``.gitignore`` entry),
    crash-safely and without ever moving the data, unless the content is already pinned
    (checked with the state cache, so an unchanged file costs a ``stat``); stages the ``.dvc`` file and the ``.gitignore``
    in git, commits them when ``message`` is given, and pushes to the remote (``remote``,
    else the profile's ``dvc_remote``, else DVC's default) when ``push`` is true. Inside an
    active run the pin is recorded as a run input. ``init=True`` runs ``git init`` /
    ``dvc init`` where missing. Returns a :class:`DatasetPin` (a list for a list).
    """
    session.require_write("pin data")
    many = not isinstance(path, (str, os.PathLike))
    paths: list[str | os.PathLike[str]] = list(path) if many else [path]  # type: ignore[arg-type, list-item]
    if not paths:
        raise DataError("nothing to pin", hint="give at least one file or folder")
    repo = DataRepo.find(init=init)
    fulls = [repo.resolve(p) for p in paths]
    for p, full in zip(paths, fulls, strict=True):
        if not full.exists():
            raise DataError(f"{p} does not exist", hint=f"looked for {full}")
    name = repo.remote_name(remote)
    if push and not name:  # refuse before anything changes when the push cannot happen
        raise DataError(
            "no DVC remote to push to",
            hint="set dvc_remote in the profile (mlops.toml) or run `dvc remote add -d NAME URL`",
        )
    if name:  # a remote named but not configured fails here, not after the commit
        check_remote(repo, name, explicit=remote is not None)
    pins = [_pin_one(repo, full, remote) for full in fulls]
    staged = [x for full in fulls for x in (repo.dvc_file(full), _gitignore_of(full)) if x.exists()]
    if init:  # the DVC set-up belongs in the same commit, or a clone could not read the pin
        staged += [x for x in (repo.root / ".dvc" / "config", repo.root / ".dvc" / ".gitignore",
                               repo.root / ".dvcignore") if x.exists()]
    repo.commit_files([repo.rel(x) for x in staged], message)
    if push:
        push_pins(repo, pins, name)
    out = [_finish(repo, p, name) for p in pins]
    return out if many else out[0]


def check_remote(repo: DataRepo, name: str, explicit: bool = False) -> str:
    """The URL of DVC remote ``name``; a clear error naming where the name came from when
    the remote is not configured (the profile's ``dvc_remote``, or the caller)."""
    try:
        return repo.remote_url(name)
    except DataError:
        if explicit:
            raise
        profile = session.profile()
        if profile.dvc_remote != name:
            raise
        where = session.config().describe_source()
        raise DataError(
            f"dvc_remote = '{name}' (profile '{profile.name}', {where}) names a DVC remote that "
            f"is not configured in {repo.root}",
            hint=f"create it: dvc remote add {name} /path/to/storage (a folder works), or remove "
            f"dvc_remote from [env.{profile.name}]",
        ) from None


def _pin_one(repo: DataRepo, full: Path, remote: str | None) -> DatasetPin:
    dig: PathDigest = digest_path(full, state_cache(repo), repo.root)
    dvcf = repo.dvc_file(full)
    rel = repo.rel(full)
    current = parse_dvc_file(dvcf.read_text(encoding="utf-8"), repo.rel(dvcf)) if dvcf.is_file() else None
    changed = current is None or current["md5"] != dig.md5 or not _objects_present(repo, dig.md5)
    if changed:
        # never `dvc add`: it moves the file into the cache before linking it back, and a
        # kill in between loses the user's file (see adding.py)
        with busy(dig.size, f"pin {rel}"):
            add_path(repo, full, dig)
    else:  # a pin killed between its .dvc file and its .gitignore entry is completed here
        complete_unchanged(repo, full)
    return DatasetPin(
        path=rel, md5=dig.md5, size=dig.size, files=dig.nfiles, revision=None, remote=remote,
        state=NOT_COMMITTED, changed=changed, dvc_file=repo.rel(dvcf),
    )


def push_pins(repo: DataRepo, pins: list[DatasetPin], remote: str | None) -> None:
    """``dvc push`` the pins' objects after verifying them; verify the remote afterwards.

    DVC only warns when an object is missing locally and exits 0; here that is an error,
    and so is any object that is not on the remote after the push.
    """
    session.require_write("push data")
    if not remote:
        raise DataError(
            "no DVC remote to push to",
            hint="set dvc_remote in the profile (mlops.toml) or run `dvc remote add -d NAME URL`",
        )
    repo.remote_url(remote)  # clear error for an unknown remote
    for p in pins:
        for md5 in object_ids(repo, p.md5, p.path):
            obj = repo.cache_path(md5)
            if not obj.is_file():
                raise DataError(
                    f"cannot push {p.path}: object {md5} is missing from the local cache",
                    hint=f"re-pin it from the original data (`dvc add {p.path}`), then push",
                )
            ensure_object(repo, md5, p.path, remote)  # re-hash: never push corrupted bytes
    dvc_push(repo, pins, remote)


def dvc_push(repo: DataRepo, pins: list[DatasetPin], remote: str) -> None:
    """Run ``dvc push`` and treat its warnings, and any object absent afterwards, as failure."""
    targets = [p.dvc_file for p in pins]
    total = sum(p.size for p in pins)
    with busy(total, f"dvc push -r {remote}"):
        proc = repo.dvc("push", "-r", remote, *targets, check=False)
    text = (proc.stdout + proc.stderr).lower()
    if proc.returncode != 0 or "failed to push" in text or ("missing" in text and "warning" in text):
        if "missing" in text:
            ids = [line.split(":", 1)[1].strip() for line in (proc.stdout + proc.stderr).splitlines()
                   if line.startswith("md5:")]
            raise DataError(
                f"dvc push to '{remote}' failed: object(s) missing from the local cache and the remote: "
                f"{', '.join(ids) or 'see dvc push output'}",
                hint="re-pin the data from the original files (dvc only warned and exited 0)",
            )
        last = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-1:] or [f"exit {proc.returncode}"]
        raise DataError(f"dvc push to '{remote}' failed: {last[0]}")
    for p in pins:
        if not remote_has(repo, remote, object_ids(repo, p.md5, p.path), p.dvc_file):
            raise DataError(
                f"dvc push reported success but {p.path} ({p.md5}) is not on remote '{remote}'",
                hint="check the remote's permissions and space, then push again",
            )
        p.pushed = True


def _finish(repo: DataRepo, p: DatasetPin, remote: str | None) -> DatasetPin:
    p.remote = remote
    p.committed = repo.is_committed(p.dvc_file)
    p.revision = repo.last_commit(p.dvc_file) if p.committed else None
    if p.pushed is None and remote:
        p.pushed = remote_has(repo, remote, object_ids(repo, p.md5, p.path), p.dvc_file)
    flags = []
    if not p.committed:
        flags.append(NOT_COMMITTED)
    if p.pushed is False:
        flags.append(NOT_PUSHED)
    p.flags = flags
    p.state = flags[0] if flags else CLEAN
    p.run_id = record_input(repo.root, "pin", p.path, p.md5, p.revision, remote, p.committed, p.pushed)
    return p
