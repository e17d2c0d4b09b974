"""Full-content fingerprint of a pandas DataFrame / Series with xxh3-128.

Covers every row and column: column names and order, dtypes, the index (values, names,
dtype) and each column's *logical* values. Strings are hashed from their Arrow form as
value lengths + the bytes the values span (never a whole shared buffer: a slice of a
Parquet column hashes like a fresh copy), categoricals as their categories' values plus
codes, nulls through a separate null-mask stream, floats with NaN normalised. Chunk
boundaries never matter: Arrow chunks are combined before hashing.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

PREFIX = "xxh3_128:"


def _buf(values: Any) -> memoryview:
    """A contiguous byte view of an array for the hashers (no copy when already contiguous)."""
    raw: Any = np.ascontiguousarray(values).reshape(-1).view(np.uint8)
    return memoryview(raw)


class _Streams:
    """Three streams per column: value bytes, string end offsets, null mask.

    A column without nulls feeds nothing to the null stream (most columns: no work); a
    column with nulls feeds its whole null mask. Arrow chunks are combined first, so how
    a column happens to be chunked never changes the digest."""

    def __init__(self) -> None:
        import xxhash

        self.data = xxhash.xxh3_128()
        self.lengths = xxhash.xxh3_128()
        self.valid = xxhash.xxh3_128()

    def nulls(self, mask: np.ndarray | None) -> None:
        """Feed the null mask (True = missing) of the column; None when nothing is missing."""
        if mask is not None:
            self.valid.update(_buf(mask))

    def digest(self) -> bytes:
        return self.data.digest() + self.lengths.digest() + self.valid.digest()


def _arrow_nulls(arr: Any) -> np.ndarray | None:
    bitmap = arr.buffers()[0]
    if bitmap is None or arr.null_count == 0:
        return None
    # invert the packed validity bitmap (8x smaller) rather than the unpacked mask
    null_bits = np.unpackbits(~np.frombuffer(bitmap, dtype=np.uint8), bitorder="little")
    return null_bits[arr.offset : arr.offset + len(arr)].view(np.bool_)


def _hash_arrow(streams: _Streams, chunks: list[Any]) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = [c for c in chunks if len(c)]
    if not parts:
        return
    arr = parts[0] if len(parts) == 1 else pa.concat_arrays(parts)
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    nulls = _arrow_nulls(arr)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        # other Arrow-backed types: null mask, then their logical values through numpy
        streams.nulls(nulls)
        _hash_numpy(streams, arr.to_numpy(zero_copy_only=False), nulls=False)
        return
    n = len(arr)
    off_type = np.int32 if pa.types.is_string(arr.type) else np.int64
    offsets = np.frombuffer(arr.buffers()[1], dtype=off_type)[arr.offset : arr.offset + n + 1]
    if nulls is not None:
        pos = np.flatnonzero(nulls)
        if (offsets[pos + 1] != offsets[pos]).any():  # null slots that still span bytes
            arr = pc.fill_null(arr, pa.scalar("", arr.type))
            offsets = np.frombuffer(arr.buffers()[1], dtype=off_type)[arr.offset : arr.offset + n + 1]
    streams.nulls(nulls)
    first, last = int(offsets[0]), int(offsets[-1])
    ends = offsets[1:]
    if off_type is not np.int64 or first:
        ends = ends.astype(np.int64) - first
    streams.lengths.update(_buf(ends))
    data = arr.buffers()[2]
    if data is not None and last > first:
        streams.data.update(memoryview(data)[first:last])


BLOCK = 1 << 17  # elements per block when a RangeIndex is materialised


FLOAT_BLOCK = 1 << 17  # elements per block: 1 MB of float64, checked for NaN and hashed while in cache


def _hash_floats(streams: _Streams, values: np.ndarray, nulls: bool) -> None:
    """Floats: the NaN mask (fed only if the column has any) and canonical NaN bytes.

    One pass over memory: block by block, the NaN test and the hashing read the same
    cache-resident block (the digest is that of the whole column, xxh3 streams any split).
    The test is the block's ``max`` (NaN exactly when a value is NaN; a SIMD reduction
    without the boolean array of ``isnan().any()``). BLAS's dot product of the block with
    itself is faster alone but starts OpenBLAS threads that fight the column threads of
    :func:`fingerprint_frame` (8x slower over a frame). Before the first NaN the mask is
    all False: it is fed as zeros once a NaN appears."""
    uint = {8: np.uint64, 4: np.uint32, 2: np.uint16}.get(values.dtype.itemsize)
    canonical = np.array([np.nan], dtype=values.dtype).view(uint)[0] if uint else None
    n = values.shape[0]
    mask = np.empty(min(n, FLOAT_BLOCK), dtype=np.bool_)
    clean = 0  # leading elements known to hold no NaN (mask not fed yet)
    seen = False
    raw = _buf(values)
    size = values.dtype.itemsize
    isnan, update = np.isnan, streams.data.update
    probe = True  # after a block with NaNs, go straight to the mask (columns full of NaNs)
    for start in range(0, n, FLOAT_BLOCK):
        block = values[start : start + FLOAT_BLOCK]
        count = 0
        if not probe or isnan(block.max()):
            nan = isnan(block, out=mask[: block.shape[0]])
            count = int(np.count_nonzero(nan))
        probe = count == 0
        if not count:
            if seen and nulls:
                streams.valid.update(bytes(block.shape[0]))
            else:
                clean += block.shape[0]
            update(raw[start * size : (start + block.shape[0]) * size])
            continue
        # every NaN canonical <=> as many canonical bit patterns as NaNs
        if uint is None or np.count_nonzero(block.view(uint) == canonical) != count:
            block = block.copy()  # NaN payloads/signs differ: normalise
            block[nan] = np.nan
        if nulls:
            if not seen and clean:
                _feed_zeros(streams.valid, clean)
            streams.valid.update(_buf(nan))
        seen = True
        streams.data.update(_buf(block))


def _feed_zeros(hasher: Any, count: int) -> None:
    zeros = bytes(min(count, FLOAT_BLOCK))
    while count > 0:
        k = min(count, len(zeros))
        hasher.update(zeros[:k] if k < len(zeros) else zeros)
        count -= k


def _hash_numpy(streams: _Streams, values: np.ndarray, nulls: bool = True) -> None:
    if values.dtype.kind == "f":
        _hash_floats(streams, np.ascontiguousarray(values), nulls)
        return
    if values.dtype.kind in "iubmMc":  # datetimes/timedeltas: int64 ticks, NaT included
        streams.data.update(_buf(values))
    else:  # object: strings through Arrow, anything else through pandas' row hash
        _hash_objects(streams, values)


def _hash_objects(streams: _Streams, values: np.ndarray) -> None:
    import pandas as pd
    import pyarrow as pa

    try:
        arr = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        arr = None
    if arr is not None and (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        _hash_arrow(streams, [arr])
        return
    # pandas hashes mixed objects through str(): 1 and "1" would collide without their types
    streams.lengths.update("\0".join(type(v).__name__ for v in values).encode())
    try:
        hashed = pd.util.hash_pandas_object(pd.Series(values, dtype=object), index=False, categorize=False)
    except (TypeError, ValueError):  # lists, sets, nested objects: a stable JSON form per value
        for value in values:
            enc = json.dumps(value, sort_keys=True, default=_stable_repr).encode()
            streams.data.update(len(enc).to_bytes(8, "little") + enc)
        return
    streams.data.update(_buf(hashed.to_numpy()))


def _stable_repr(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(repr(v) for v in value)
    if isinstance(value, np.ndarray):
        return {"dtype": str(value.dtype), "values": value.tolist()}
    return repr(value)


def _hash_values(streams: _Streams, values: Any) -> None:
    """Hash a Series/Index's logical values."""
    import pandas as pd

    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cats = pd.Index(dtype.categories)
        sub = _Streams()
        _hash_values(sub, cats)
        streams.lengths.update(b"categories" + sub.digest())
        codes = np.asarray(values.cat.codes if isinstance(values, pd.Series) else values.codes)
        streams.data.update(_buf(codes))
        return
    array = values.array
    if hasattr(array, "__arrow_array__") and not isinstance(dtype, np.dtype):
        try:
            import pyarrow as pa

            arrow = array.__arrow_array__()
            chunks = arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]
        except (TypeError, ValueError, NotImplementedError):
            chunks = None
        if chunks is not None:
            _hash_arrow(streams, chunks)
            return
    if isinstance(dtype, np.dtype):
        _hash_numpy(streams, np.asarray(values))
        return
    mask = getattr(array, "_mask", None)
    data = getattr(array, "_data", None)
    if isinstance(mask, np.ndarray) and isinstance(data, np.ndarray):  # Int64, boolean, Float64
        if mask.any():
            streams.nulls(mask)
            data = data.copy()
            data[mask] = 0
        _hash_numpy(streams, data, nulls=False)
        return
    # period, interval, sparse, other extension types: pandas' own value hash
    hashed = pd.util.hash_pandas_object(pd.Series(values), index=False)
    streams.data.update(_buf(hashed.to_numpy()))


def fingerprint_frame(obj: Any) -> str:
    """``xxh3_128:<hex>`` over names, dtypes, index and every value of a DataFrame/Series."""
    import pandas as pd
    import xxhash

    frame = obj.to_frame() if isinstance(obj, pd.Series) else obj
    top = xxhash.xxh3_128()
    top.update(f"kind={type(obj).__name__};shape={frame.shape!r}".encode())
    index = frame.index
    levels = [index.get_level_values(i) for i in range(index.nlevels)]
    for i, level in enumerate(levels):
        st = _Streams()
        if isinstance(level, pd.RangeIndex):
            # the same bytes as the materialised int64 index, made block by block in cache
            for start in range(0, len(level), BLOCK):
                st.data.update(_buf(np.asarray(level[start : start + BLOCK], dtype=np.int64)))
        else:
            _hash_values(st, level)
        top.update(f"index[{i}]:{index.names[i]!r}:{level.dtype}".encode() + st.digest())
    columns = [col for _, col in frame.items()]
    if len(columns) > 1 and frame.shape[0] * len(columns) >= PARALLEL_MIN_CELLS:
        # numpy, Arrow and xxhash release the GIL: columns hash side by side
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(len(columns), os.cpu_count() or 1, 8)) as pool:
            digests = list(pool.map(_column_digest, columns))
    else:
        digests = [_column_digest(col) for col in columns]
    for pos, (col, digest) in enumerate(zip(columns, digests, strict=True)):
        top.update(f"col[{pos}]:{frame.columns[pos]!r}:{col.dtype}".encode() + digest)
    return PREFIX + top.hexdigest()


PARALLEL_MIN_CELLS = 1_000_000  # below this a thread pool costs more than it saves


def _column_digest(col: Any) -> bytes:
    st = _Streams()
    _hash_values(st, col)
    return st.digest()
