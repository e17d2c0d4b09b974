"""``mj.data_status``: every pinned dataset of the repository and its state."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .._views import Viewable
from ..errors import DataError
from ..session import session
from .hashing import digest_path
from .objects import object_ids, remote_has
from .pins import (
    CLEAN,
    MISSING,
    MODIFIED,
    NOT_COMMITTED,
    NOT_PUSHED,
    PIN_FILE_MISSING,
    DatasetPin,
    push_pins,
    state_cache,
)
from .repo import DataRepo, parse_dvc_file
from .runs import last_runs


@dataclass
class StatusRow:
    """State of one pinned path (``state`` is the most urgent of ``flags``)."""

    path: str
    state: str
    flags: list[str]
    md5: str
    size: int | None
    files: int | None
    revision: str | None
    remote: str | None
    last_runs: list[str] = field(default_factory=list)


@dataclass(repr=False)
class DataStatus(Viewable):
    """The status table of ``%mlops_data status``."""

    root: str
    remote: str | None
    rows: list[StatusRow]
    query: dict[str, Any] = field(default_factory=dict, repr=False)  # data_status() arguments, for refresh()

    @property
    def ok(self) -> bool:
        """True when every pin is clean (present, unmodified, committed, pushed)."""
        return all(r.state == CLEAN for r in self.rows)

    def paths_with(self, flag: str) -> list[str]:
        """Repository-relative paths of the rows flagged ``flag`` (e.g. ``"not pushed"``)."""
        return [r.path for r in self.rows if flag in r.flags]

    def committable(self) -> list[str]:
        """Paths whose ``.dvc`` file is not committed and whose data is unchanged since the pin
        (a modified one must be pinned again first; one whose ``.dvc`` file is gone, too)."""
        blocked = set(self.paths_with(MODIFIED)) | set(self.paths_with(PIN_FILE_MISSING))
        return [p for p in self.paths_with(NOT_COMMITTED) if p not in blocked]

    def refresh(self) -> DataStatus:
        """The status computed again with the same arguments (a new object)."""
        return data_status(**self.query)

    def widget(self) -> Any:
        """The interactive panel of this status (ipywidgets): the table, a filter, fix-it buttons.

        Notebooks show it by themselves in interactive kernels; call this to get the panel
        elsewhere (or to keep a handle on it)."""
        return self._view("widget")

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"root": self.root, "remote": self.remote, "ok": self.ok, "rows": [asdict(r) for r in self.rows]}

    def to_frame(self) -> Any:
        """One row per pinned path."""
        import pandas as pd

        cols = list(StatusRow.__dataclass_fields__)
        return pd.DataFrame([asdict(r) for r in self.rows], columns=cols)


def _dvc_files(repo: DataRepo) -> list[str]:
    out = repo.git("-c", "core.quotepath=off", "ls-files", "-z", "--cached", "--others", "--exclude-standard",
                   "--", "*.dvc")
    return sorted({f for f in out.split("\0") if f.endswith(".dvc") and not f.startswith(".dvc/")})


def data_status(paths: list[str] | None = None, remote: str | None = None, check_remote: bool = True) -> DataStatus:
    """State of every pinned dataset (or of ``paths``): clean, modified, missing, not committed, not pushed."""
    repo = DataRepo.find()
    name = repo.remote_name(remote)
    if paths:
        wanted = [repo.rel(repo.resolve(p, must_exist=False)) + ".dvc" for p in paths]
        for w in wanted:
            if not (repo.root / w).is_file():
                raise DataError(f"{w[:-4]} is not pinned", hint=f"pin it first: %mlops_data pin {w[:-4]}")
    else:
        wanted = _dvc_files(repo)
    runs = last_runs(repo.root)
    cache = state_cache(repo)
    commits = repo.commit_states(wanted)
    rows = []
    for dvc_rel in wanted:
        rel = dvc_rel[: -len(".dvc")]
        if not (repo.root / dvc_rel).is_file():  # staged in git, then deleted by the user
            rows.append(_pin_file_missing(repo, rel, commits.get(dvc_rel), name, runs.get(rel, [])))
            continue
        info = parse_dvc_file((repo.root / dvc_rel).read_text(encoding="utf-8"), dvc_rel)
        full = repo.root / rel
        flags = []
        if not os.path.lexists(full):
            flags.append(MISSING)
        elif digest_path(full, cache, repo.root).md5 != info["md5"]:
            flags.append(MODIFIED)
        committed = commits.get(dvc_rel) is not None
        if not committed:
            flags.append(NOT_COMMITTED)
        if name and check_remote:
            try:
                ids = object_ids(repo, info["md5"], rel, name)
                if not remote_has(repo, name, ids, dvc_rel):
                    flags.append(NOT_PUSHED)
            except DataError:
                flags.append(NOT_PUSHED)
        rows.append(StatusRow(
            path=rel, state=flags[0] if flags else CLEAN, flags=flags, md5=info["md5"], size=info.get("size"),
            files=info.get("nfiles") or 1, revision=commits.get(dvc_rel),
            remote=name, last_runs=runs.get(rel, []),
        ))
    query = {"paths": list(paths) if paths else None, "remote": remote, "check_remote": check_remote}
    return DataStatus(root=str(repo.root), remote=name, rows=rows, query=query)


def _pin_file_missing(repo: DataRepo, rel: str, revision: str | None, remote: str | None,
                      runs: list[str]) -> StatusRow:
    """The row of a path whose ``.dvc`` file git knows (staged or committed) but the working
    tree lost: what the index says it pinned, flagged so that nothing acts on it blindly."""
    from .repo import run_cmd

    staged = run_cmd(["git", "show", f":{repo.git_path(rel)}.dvc"], repo.root, check=False)
    info: dict[str, Any] = {"md5": "", "size": None, "nfiles": None}
    if staged.returncode == 0:
        with contextlib.suppress(DataError):
            info = parse_dvc_file(staged.stdout, f"{rel}.dvc (git index)")
    flags = [PIN_FILE_MISSING]
    if not os.path.lexists(repo.root / rel):
        flags.append(MISSING)
    flags.append(NOT_COMMITTED)
    return StatusRow(path=rel, state=PIN_FILE_MISSING, flags=flags, md5=info["md5"], size=info.get("size"),
                     files=info.get("nfiles") or 1, revision=revision, remote=remote, last_runs=runs)


def push_pinned(paths: Sequence[str | os.PathLike[str]] | None = None, remote: str | None = None) -> list[DatasetPin]:
    """Push the pinned version of each path (what its ``.dvc`` file says) to the DVC remote.

    ``paths=None``: every pin that is not on the remote yet (an empty list when there is
    none). The working tree is not looked at: a modified or missing file still gets its
    pinned objects pushed, from the local cache, re-hashed first and checked on the remote
    after (the same verified path as ``mj.pin(..., push=True)``). Paths resolve like
    ``mj.pin``'s.
    """
    session.require_write("push data")
    if paths is None:
        st = data_status(remote=remote)
        paths = [os.path.join(st.root, p) for p in st.paths_with(NOT_PUSHED)]
        if not paths:
            return []
    if not paths:
        raise DataError("nothing to push", hint="give at least one pinned file or folder")
    repo = DataRepo.find()
    name = repo.remote_name(remote)
    if not name:
        raise DataError("no DVC remote to push to",
                        hint="set dvc_remote in the profile (mlops.toml) or run `dvc remote add -d NAME URL`")
    pins = []
    for full, dvcf in _pinned(repo, paths):
        info = parse_dvc_file(dvcf.read_text(encoding="utf-8"), repo.rel(dvcf))
        pins.append(DatasetPin(
            path=repo.rel(full), md5=info["md5"], size=info.get("size") or 0, files=info.get("nfiles") or 1,
            revision=None, remote=name, state=NOT_PUSHED, dvc_file=repo.rel(dvcf),
        ))
    push_pins(repo, pins, name)
    return pins


def commit_pinned(paths: Sequence[str | os.PathLike[str]] | None, message: str) -> str | None:
    """Commit the ``.dvc`` files of ``paths`` (and the ``.gitignore`` next to each) to git.

    ``paths=None``: every pin that is not committed and whose data is unchanged since it
    was pinned (None is returned when there is none). Exactly those files go into the
    commit (other staged work is left alone), so a clone can load these versions. Returns
    the new commit's hash.
    """
    session.require_write("commit data pins")
    if not message or not message.strip():
        raise DataError("a commit needs a message", hint='e.g. "data: add March orders"')
    if paths is None:
        st = data_status(check_remote=False)
        paths = [os.path.join(st.root, p) for p in st.committable()]
        if not paths:
            return None
    if not paths:
        raise DataError("nothing to commit", hint="give at least one pinned file or folder")
    repo = DataRepo.find()
    rels = [repo.rel(x) for full, dvcf in _pinned(repo, paths) for x in (dvcf, full.parent / ".gitignore") if x.exists()]
    if not repo.commit_files(rels, message.strip()):
        raise DataError("nothing to commit: the pins are already committed")
    return repo.git("rev-parse", "HEAD")


def _pinned(repo: DataRepo, paths: Sequence[str | os.PathLike[str]]) -> list[tuple[Path, Path]]:
    """(data path, .dvc file) of each of ``paths``; a path that is not pinned is an error."""
    out = []
    for p in paths:
        full = repo.resolve(p, must_exist=False)
        dvcf = repo.dvc_file(full)
        if not dvcf.is_file():
            raise DataError(f"{p} is not pinned", hint=f"pin it first: %mlops_data pin {p}")
        out.append((full, dvcf))
    return out
