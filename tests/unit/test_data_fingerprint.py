"""Full-content DataFrame fingerprints and DVC-compatible file digests (no DVC needed)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import mlops_jupyter as mj
from mlops_jupyter.data.hashing import dir_md5
from mlops_jupyter.errors import MlopsUsageError


def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "i": [1, 2, 3, 4],
        "f": [0.5, np.nan, 2.0, -1.0],
        "s": ["a", None, "ccc", "dd"],
        "c": pd.Categorical(["x", "y", "x", None]),
        "n": pd.array([1, None, 3, 4], dtype="Int64"),
        "b": [True, False, True, True],
        "t": pd.to_datetime(["2024-01-01", None, "2024-03-01", "2024-04-01"]),
        "o": [1, "mixed", 2.5, None],
    })


def test_same_data_same_digest_and_format() -> None:
    fp = mj.fingerprint(frame())
    assert fp.startswith("xxh3_128:") and len(fp) == len("xxh3_128:") + 32
    assert mj.fingerprint(frame()) == fp
    assert mj.fingerprint(frame().copy(deep=True)) == fp


@pytest.mark.parametrize("change", [
    "one_cell_int", "one_cell_str", "null_vs_empty", "nan_vs_value", "dtype", "column_order",
    "column_name", "index", "index_name", "category_value", "one_row_less", "string_split",
])
def test_any_change_changes_the_digest(change: str) -> None:
    base = frame()
    df = base.copy()
    if change == "one_cell_int":
        df.loc[2, "i"] = 30
    elif change == "one_cell_str":
        df.loc[0, "s"] = "b"
    elif change == "null_vs_empty":
        df.loc[1, "s"] = ""
    elif change == "nan_vs_value":
        df.loc[1, "f"] = 0.0
    elif change == "dtype":
        df["i"] = df["i"].astype("int32")
    elif change == "column_order":
        df = df[list(reversed(df.columns))]
    elif change == "column_name":
        df = df.rename(columns={"i": "j"})
    elif change == "index":
        df.index = [0, 1, 2, 5]
    elif change == "index_name":
        df.index.name = "row"
    elif change == "category_value":
        df["c"] = df["c"].cat.rename_categories({"x": "z"})
    elif change == "one_row_less":
        df = df.iloc[:3]
    elif change == "string_split":  # same concatenated bytes, other boundaries
        base = pd.DataFrame({"s": ["ab", "c"]})
        df = pd.DataFrame({"s": ["a", "bc"]})
    assert mj.fingerprint(df) != mj.fingerprint(base)


def test_categorical_hashes_values_not_only_codes() -> None:
    a = pd.Series(pd.Categorical(["x", "y"], categories=["x", "y"]))
    b = pd.Series(pd.Categorical(["u", "v"], categories=["u", "v"]))  # same codes, other values
    assert a.cat.codes.tolist() == b.cat.codes.tolist()
    assert mj.fingerprint(a) != mj.fingerprint(b)


def test_logical_values_not_shared_arrow_buffers(tmp_path: Path) -> None:
    # a slice of a Parquet-read string column shares the whole buffer: only its values count
    full = pd.DataFrame({"s": [f"value-{i}" for i in range(1000)], "k": range(1000)})
    pq.write_table(pa.Table.from_pandas(full, preserve_index=False), tmp_path / "t.parquet")
    read = pd.read_parquet(tmp_path / "t.parquet")
    part = read.iloc[100:110].reset_index(drop=True)
    fresh = pd.DataFrame({"s": [f"value-{i}" for i in range(100, 110)], "k": range(100, 110)})
    assert mj.fingerprint(part) == mj.fingerprint(fresh)
    # chunking does not matter either
    chunked = pd.concat([fresh.iloc[:3], fresh.iloc[3:]], ignore_index=True)
    assert mj.fingerprint(chunked) == mj.fingerprint(fresh)


def test_equal_across_processes() -> None:
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from test_data_fingerprint import frame\n"
        "import mlops_jupyter as mj; print(mj.fingerprint(frame()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123", "PATH": "/usr/bin:/bin",
                              "PYTHONPATH": str(Path(mj.__file__).resolve().parents[1])})
    assert out.stdout.strip() == mj.fingerprint(frame())


def test_file_and_folder_digests_are_dvc_md5(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d" / "s").mkdir(parents=True)
    (tmp_path / "d" / "x.txt").write_bytes(b"a\r\nb\r\n")
    (tmp_path / "d" / "s" / "y.txt").write_bytes(b"y")
    assert mj.fingerprint("d/x.txt") == hashlib.md5(b"a\r\nb\r\n").hexdigest()
    listing = [{"md5": hashlib.md5(b"y").hexdigest(), "relpath": "s/y.txt"},
               {"md5": hashlib.md5(b"a\r\nb\r\n").hexdigest(), "relpath": "x.txt"}]
    expected = hashlib.md5(json.dumps(listing, sort_keys=True).encode()).hexdigest() + ".dir"
    assert mj.fingerprint("d") == expected
    # DVC sorts by path parts: "a/b" before "a-b" although '-' < '/' as characters
    assert dir_md5([("a-b", "1"), ("a/b", "2")]).endswith(".dir")
    order = json.loads(json.dumps(sorted([("a-b", "1"), ("a/b", "2")], key=lambda e: tuple(e[0].split("/")))))
    assert order[0][0] == "a/b"


def test_unsupported_objects_and_missing_paths() -> None:
    with pytest.raises(MlopsUsageError):
        mj.fingerprint(42)
    with pytest.raises(mj.MlopsError, match="does not exist"):
        mj.fingerprint("no/such/file.csv")


def test_null_slots_that_span_bytes_hash_like_clean_nulls() -> None:
    # Arrow allows a null slot to keep bytes; the logical values are the same
    clean = pa.array(["ab", None, "c"], type=pa.large_string())
    offsets = pa.py_buffer(np.array([0, 2, 5, 6], dtype=np.int64).tobytes())
    data = pa.py_buffer(b"abXYZc")
    dirty = pa.Array.from_buffers(pa.large_string(), 3, [clean.buffers()[0], offsets, data])
    assert dirty.to_pylist() == clean.to_pylist()
    as_series = lambda arr: pd.Series(pd.arrays.ArrowStringArray(arr))  # noqa: E731
    assert mj.fingerprint(as_series(dirty)) == mj.fingerprint(as_series(clean))


def test_range_index_hashes_like_the_same_int_index() -> None:
    n = 300_000  # more than one block
    a = pd.DataFrame({"x": np.arange(n, dtype=np.float64)})
    b = a.copy()
    b.index = pd.Index(np.arange(n, dtype=np.int64))
    assert isinstance(a.index, pd.RangeIndex) and not isinstance(b.index, pd.RangeIndex)
    assert mj.fingerprint(a) == mj.fingerprint(b)
    c = a.copy()
    c.index = pd.RangeIndex(1, n + 1)
    assert mj.fingerprint(c) != mj.fingerprint(a)


def test_object_columns_keep_types_and_handle_unhashable_values() -> None:
    assert mj.fingerprint(pd.Series([1, "a"], dtype=object)) != mj.fingerprint(pd.Series(["1", "a"], dtype=object))
    lists = pd.Series([[1, 2], [3], {"b": {1, 2}}], dtype=object)
    assert mj.fingerprint(lists) == mj.fingerprint(lists.copy())
    assert mj.fingerprint(lists) != mj.fingerprint(pd.Series([[1, 2], [4], {"b": {1, 2}}], dtype=object))


def test_nan_payloads_and_signs_do_not_change_the_digest() -> None:
    import numpy as np
    import pandas as pd

    from mlops_jupyter.data import fingerprint

    base = np.array([1.0, np.nan, 3.0, np.nan])
    odd = base.copy()
    bits = odd.view(np.uint64)
    bits[1] = 0xFFF8000000000000  # -nan
    bits[3] = 0x7FF8000000000001  # a NaN with a payload
    assert np.isnan(odd).sum() == 2 and not np.array_equal(base.view(np.uint64), odd.view(np.uint64))
    assert fingerprint(pd.DataFrame({"x": base})) == fingerprint(pd.DataFrame({"x": odd}))
    assert fingerprint(pd.DataFrame({"x": base})) != fingerprint(pd.DataFrame({"x": np.nan_to_num(base)}))


def test_threaded_and_sequential_column_hashing_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np
    import pandas as pd

    from mlops_jupyter.data import fingerprint
    from mlops_jupyter.data import frame as frame_mod

    rng = np.random.default_rng(1)
    df = pd.DataFrame({f"c{i}": rng.normal(size=50_000) for i in range(30)})
    df["s"] = pd.array([f"v{i % 97}" for i in range(50_000)], dtype="str")
    monkeypatch.setattr(frame_mod, "PARALLEL_MIN_CELLS", 1)
    threaded = fingerprint(df)
    monkeypatch.setattr(frame_mod, "PARALLEL_MIN_CELLS", 10**12)
    assert fingerprint(df) == threaded


@pytest.mark.parametrize("block", [1, 2, 7, 16, 1 << 17])
def test_float_blocks_never_change_the_digest(monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    """Floats are checked for NaN and hashed block by block: any block size gives the digest
    of the whole column, the one earlier versions pinned (NaNs in later blocks, a NaN with
    another payload, float32)."""
    from mlops_jupyter.data import frame as frame_mod

    a = np.arange(20, dtype=np.float64) / 3
    a[[3, 11]] = np.nan
    a[15] = np.frombuffer(np.uint64(0xFFF8000000000001).tobytes(), dtype=np.float64)[0]
    df = pd.DataFrame({"a": a, "b": np.linspace(0, 1, 20), "c": a.astype(np.float32)})
    monkeypatch.setattr(frame_mod, "FLOAT_BLOCK", block)
    assert mj.fingerprint(df) == "xxh3_128:4e97c0dbb366c23bd382779bd0c37354"
