"""Full-content fingerprint of a pandas DataFrame / Series with xxh3-128.

Covers every row and column: column names and order, dtypes, the index (values, names,
dtype) and each column's *logical* values. Strings are hashed from their Arrow form as
value lengths + the bytes the values span (never a whole shared buffer: a slice of a
Parquet column hashes like a fresh copy), categoricals as their categories' values plus
codes, nulls through a separate validity stream, floats with NaN normalised. Chunk
boundaries never matter: lengths, bytes and validity go into separate hashers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

PREFIX = "xxh3_128:"


class _Streams:
    """Three chunking-invariant streams for one column."""

    def __init__(self) -> None:
        import xxhash

        self.data = xxhash.xxh3_128()
        self.lengths = xxhash.xxh3_128()
        self.valid = xxhash.xxh3_128()

    def digest(self) -> bytes:
        return self.data.digest() + self.lengths.digest() + self.valid.digest()


def _hash_arrow(streams: _Streams, chunks: list[Any]) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    for arr in chunks:
        if len(arr) == 0:
            continue
        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        if arr.null_count:
            streams.valid.update(np.asarray(arr.is_valid(), dtype=np.bool_).tobytes())
            arr = pc.fill_null(arr, pa.scalar("", arr.type) if pa.types.is_string(arr.type)
                               or pa.types.is_large_string(arr.type) else None)
        else:
            streams.valid.update(np.ones(len(arr), dtype=np.bool_).tobytes())
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            off_type = np.int32 if pa.types.is_string(arr.type) else np.int64
            bufs = arr.buffers()
            offsets = np.frombuffer(bufs[1], dtype=off_type)[arr.offset : arr.offset + len(arr) + 1]
            streams.lengths.update(np.diff(offsets).astype(np.int64).tobytes())
            if bufs[2] is not None:
                data = memoryview(bufs[2])[int(offsets[0]) : int(offsets[-1])]
                streams.data.update(data)
        else:  # other Arrow-backed types: their logical values through numpy
            _hash_numpy(streams, arr.to_numpy(zero_copy_only=False))


def _hash_numpy(streams: _Streams, values: np.ndarray) -> None:
    if values.dtype.kind == "f":
        nan = np.isnan(values)
        streams.valid.update((~nan).tobytes())
        if nan.any():
            values = np.where(nan, 0, values)
        streams.data.update(np.ascontiguousarray(values).tobytes())
    elif values.dtype.kind in "iubmMc":  # datetimes/timedeltas: int64 ticks, NaT included
        streams.data.update(np.ascontiguousarray(values).tobytes())
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
    streams.lengths.update(b"object")
    hashed = pd.util.hash_pandas_object(pd.Series(values, dtype=object), index=False, categorize=False)
    streams.data.update(hashed.to_numpy().tobytes())


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
        streams.data.update(np.ascontiguousarray(codes, dtype=np.int64).tobytes())
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
        streams.valid.update((~mask).tobytes())
        _hash_numpy(streams, np.where(mask, np.zeros(1, dtype=data.dtype), data))
        return
    # period, interval, sparse, other extension types: pandas' own value hash
    hashed = pd.util.hash_pandas_object(pd.Series(values), index=False)
    streams.data.update(hashed.to_numpy().tobytes())


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
        _hash_values(st, level)
        top.update(f"index[{i}]:{index.names[i]!r}:{level.dtype}".encode() + st.digest())
    for pos in range(frame.shape[1]):
        col = frame.iloc[:, pos]
        st = _Streams()
        _hash_values(st, col)
        top.update(f"col[{pos}]:{frame.columns[pos]!r}:{col.dtype}".encode() + st.digest())
    return PREFIX + top.hexdigest()
