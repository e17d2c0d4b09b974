"""``mj.data_status``: every pinned dataset of the repository and its state."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import DataError
from .hashing import digest_path
from .objects import object_ids, remote_has
from .pins import CLEAN, MISSING, MODIFIED, NOT_COMMITTED, NOT_PUSHED, state_cache
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


@dataclass
class DataStatus:
    """The status table of ``%mlops_data status``."""

    root: str
    remote: str | None
    rows: list[StatusRow]

    @property
    def ok(self) -> bool:
        """True when every pin is clean (present, unmodified, committed, pushed)."""
        return all(r.state == CLEAN for r in self.rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"root": self.root, "remote": self.remote, "ok": self.ok, "rows": [asdict(r) for r in self.rows]}

    def to_frame(self) -> Any:
        """One row per pinned path."""
        import pandas as pd

        cols = list(StatusRow.__dataclass_fields__)
        return pd.DataFrame([asdict(r) for r in self.rows], columns=cols)

    def __str__(self) -> str:
        from ..display.data import status_text

        return status_text(self)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        from ..display.data import status_html

        return status_html(self)


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
        info = parse_dvc_file((repo.root / dvc_rel).read_text(encoding="utf-8"), dvc_rel)
        rel = dvc_rel[: -len(".dvc")]
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
    return DataStatus(root=str(repo.root), remote=name, rows=rows)
