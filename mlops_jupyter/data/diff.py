"""``mj.data_diff``: what changed in a pinned dataset between two revisions."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

from .._views import Viewable
from ..errors import DataError
from .hashing import digest_path
from .loading import TABULAR, pinned_info, read_table
from .objects import ensure_object, read_dir_listing
from .pins import state_cache
from .repo import DataRepo

WORKSPACE = "workspace"
MAX_LISTED = 50


@dataclass(repr=False)
class DataDiff(Viewable):
    """Differences between side A (``rev_a``) and side B (``rev_b``, or the working tree).

    Tables: rows added / removed (as a multiset of whole rows, or by ``key``), rows changed
    (only with a ``key``), columns added / removed / retyped and changed statistics.
    Folders and other files: which files were added, removed or changed.
    """

    path: str
    rev_a: str
    rev_b: str
    md5_a: str
    md5_b: str
    kind: str  # "table" | "files"
    key: list[str] | None = None
    rows_a: int | None = None
    rows_b: int | None = None
    rows_added: int | None = None
    rows_removed: int | None = None
    rows_changed: int | None = None
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    columns_retyped: dict[str, list[str]] = field(default_factory=dict)
    stats: list[dict[str, Any]] = field(default_factory=list)
    files_added: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)
    files_changed: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return self.md5_a == self.md5_b

    @property
    def ok(self) -> bool:
        """True when both sides have the same content."""
        return self.identical

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        from .._util import json_safe

        return dict(json_safe(asdict(self)), identical=self.identical)

    def to_frame(self) -> Any:
        """The statistics table (tables) or the file changes (folders)."""
        import pandas as pd

        if self.kind == "table":
            return pd.DataFrame(self.stats)
        rows = [(f, "added") for f in self.files_added] + [(f, "removed") for f in self.files_removed]
        rows += [(f, "changed") for f in self.files_changed]
        return pd.DataFrame(rows, columns=["file", "change"])


def _side(repo: DataRepo, rel: str, rev: str | None, remote: str | None) -> tuple[str, Any]:
    """(md5, content) of one side: a DataFrame, a folder listing, or a file's md5."""
    full = repo.root / rel
    kind = TABULAR.get(full.suffix.lower())
    if rev is None:  # the working tree as it is now
        if not full.exists():
            raise DataError(f"{rel} does not exist in the working tree", hint="give a second --rev")
        dig = digest_path(full, state_cache(repo), repo.root)
        if dig.is_dir:
            return dig.md5, dict(dig.listing)
        return dig.md5, read_table(full, kind) if kind else None
    md5 = pinned_info(repo, rel, rev)["md5"]
    if md5.endswith(".dir"):
        return md5, dict(read_dir_listing(repo, md5, rel, remote))
    obj = ensure_object(repo, md5, rel, remote)
    return md5, read_table(obj, kind) if kind else None


def _same(x: Any, y: Any) -> bool:
    return bool(x == y or (x != x and y != y))  # NaN equals NaN here


def _stats(a: Any, b: Any, columns: list[str]) -> list[dict[str, Any]]:
    import pandas as pd

    out = []
    for col in columns:
        sa, sb = a[col], b[col]
        row: dict[str, Any] = {"column": col, "nulls_a": int(sa.isna().sum()), "nulls_b": int(sb.isna().sum())}
        if pd.api.types.is_numeric_dtype(sa) and pd.api.types.is_numeric_dtype(sb) and not pd.api.types.is_bool_dtype(sa):
            for stat in ("mean", "std", "min", "max"):
                row[f"{stat}_a"] = float(getattr(sa, stat)()) if len(sa) else None
                row[f"{stat}_b"] = float(getattr(sb, stat)()) if len(sb) else None
        else:
            row["distinct_a"] = int(sa.nunique())
            row["distinct_b"] = int(sb.nunique())
        changed = any(not _same(row[k], row[k[:-2] + "_b"]) for k in row if k.endswith("_a"))
        if changed:
            out.append(row)
    return out


def _row_hashes(df: Any) -> Any:
    import pandas as pd

    return pd.util.hash_pandas_object(df, index=False).value_counts()


def _table_diff(d: DataDiff, a: Any, b: Any, key: list[str] | None) -> None:
    d.rows_a, d.rows_b = len(a), len(b)
    cols_a, cols_b = list(a.columns), list(b.columns)
    d.columns_added = [c for c in cols_b if c not in cols_a]
    d.columns_removed = [c for c in cols_a if c not in cols_b]
    common = [c for c in cols_a if c in cols_b]
    d.columns_retyped = {c: [str(a[c].dtype), str(b[c].dtype)] for c in common if str(a[c].dtype) != str(b[c].dtype)}
    d.stats = _stats(a, b, common)
    if key:
        missing = [k for k in key if k not in common]
        if missing:
            raise DataError(f"key column(s) {missing} are not on both sides", hint=f"columns: {common}")
        ia, ib = a.set_index(key), b.set_index(key)
        ka, kb = ia.index, ib.index
        d.rows_added = int((~kb.isin(ka)).sum())
        d.rows_removed = int((~ka.isin(kb)).sum())
        both = ka.intersection(kb)
        value_cols = [c for c in common if c not in key]
        if len(both) and value_cols:
            va = ia.loc[~ia.index.duplicated(), value_cols].loc[both]
            vb = ib.loc[~ib.index.duplicated(), value_cols].loc[both]
            diff = (va.astype(object) != vb.astype(object)) & ~(va.isna() & vb.isna())
            d.rows_changed = int(diff.any(axis=1).sum())
        else:
            d.rows_changed = 0
        return
    ha, hb = _row_hashes(a[common]), _row_hashes(b[common])
    joined = ha.to_frame("a").join(hb.to_frame("b"), how="outer").fillna(0)
    d.rows_added = int((joined["b"] - joined["a"]).clip(lower=0).sum())
    d.rows_removed = int((joined["a"] - joined["b"]).clip(lower=0).sum())


def data_diff(path: str | os.PathLike[str], rev_a: str, rev_b: str | None = None,
              key: str | list[str] | None = None, remote: str | None = None) -> DataDiff:
    """Compare the pinned ``path`` at ``rev_a`` with ``rev_b`` (default: the working tree).

    Both pinned sides are read through the verified cache. ``key`` (column name(s)) lets
    rows be matched so that changed rows are counted; without it rows compare as wholes.
    """
    repo = DataRepo.find()
    full = repo.resolve(path, must_exist=False)
    rel = repo.rel(full)
    name = repo.remote_name(remote)
    md5_a, a = _side(repo, rel, rev_a, name)
    md5_b, b = _side(repo, rel, rev_b, name)
    keys = [key] if isinstance(key, str) else (list(key) if key else None)
    is_table = a is not None and b is not None and not isinstance(a, dict) and not isinstance(b, dict)
    d = DataDiff(path=rel, rev_a=rev_a, rev_b=rev_b or WORKSPACE, md5_a=md5_a, md5_b=md5_b,
                 kind="table" if is_table else "files", key=keys)
    if is_table:
        _table_diff(d, a, b, keys)
    else:
        la = a if isinstance(a, dict) else {full.name: md5_a}
        lb = b if isinstance(b, dict) else {full.name: md5_b}
        d.files_added = sorted(set(lb) - set(la))
        d.files_removed = sorted(set(la) - set(lb))
        d.files_changed = sorted(f for f in set(la) & set(lb) if la[f] != lb[f])
    return d
