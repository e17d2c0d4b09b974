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


def _buf(values: Any) -> memoryview:
    """A contiguous byte view of an array for the hashers (no copy when already contiguous)."""
    raw: Any = np.ascontiguousarray(values).reshape(-1).view(np.uint8)
    return memoryview(raw)


_ONES: list[np.ndarray] = [np.ones(0, dtype=np.bool_)]


def _ones(n: int) -> np.ndarray:
    # one shared read-only all-True buffer: most columns have no nulls
    if len(_ONES[0]) < n:
        ones = np.ones(max(n, 1 << 20), dtype=np.bool_)
        ones.flags.writeable = False
        _ONES[0] = ones
    return _ONES[0][:n]


class _Streams:
    """Three streams per column: value bytes, string end offsets, validity masks.

    Each stream is fed chunk after chunk; streaming xxh3 over pieces equals xxh3 over the
    whole, so how Arrow happens to chunk a column never changes the digest."""

    def __init__(self) -> None:
        import xxhash

        self.data = xxhash.xxh3_128()
        self.lengths = xxhash.xxh3_128()
        self.valid = xxhash.xxh3_128()
        self.byte_position = 0  # string bytes seen so far (offsets are global too)

    def validity(self, valid: np.ndarray | None, n: int) -> None:
        """Feed one chunk's validity (True = value present); None means all present."""
        self.valid.update(_buf(_ones(n) if valid is None else valid))

    def digest(self) -> bytes:
        return self.data.digest() + self.lengths.digest() + self.valid.digest()


def _arrow_validity(arr: Any) -> np.ndarray | None:
    bitmap = arr.buffers()[0]
    if bitmap is None or arr.null_count == 0:
        return None
    bits = np.unpackbits(np.frombuffer(bitmap, dtype=np.uint8), bitorder="little")
    return bits[arr.offset : arr.offset + len(arr)].view(np.bool_)


def _hash_arrow(streams: _Streams, chunks: list[Any]) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    for arr in chunks:
        n = len(arr)
        if n == 0:
            continue
        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            # other Arrow-backed types: validity, then their logical values through numpy
            streams.validity(_arrow_validity(arr), n)
            _hash_numpy(streams, arr.to_numpy(zero_copy_only=False), validity=False)
            continue
        valid = _arrow_validity(arr)
        off_type = np.int32 if pa.types.is_string(arr.type) else np.int64
        bufs = arr.buffers()
        offsets = np.frombuffer(bufs[1], dtype=off_type)[arr.offset : arr.offset + n + 1]
        if valid is not None:
            total = pc.sum(pc.binary_length(arr)).as_py() or 0  # bytes of present values only
            if total != int(offsets[-1]) - int(offsets[0]):  # null slots that still span bytes
                arr = pc.fill_null(arr, pa.scalar("", arr.type))
                bufs = arr.buffers()
                offsets = np.frombuffer(bufs[1], dtype=off_type)[arr.offset : arr.offset + n + 1]
        streams.validity(valid, n)
        # end offsets in global terms (bytes of earlier chunks added) hash like one chunk
        first = int(offsets[0])
        ends = offsets[1:]
        if off_type is not np.int64 or first != streams.byte_position:
            ends = ends.astype(np.int64) + (streams.byte_position - first)
        streams.lengths.update(_buf(ends))
        if bufs[2] is not None and offsets[-1] > first:
            streams.data.update(memoryview(bufs[2])[first : int(offsets[-1])])
        streams.byte_position += int(offsets[-1]) - first


def _hash_numpy(streams: _Streams, values: np.ndarray, validity: bool = True) -> None:
    if values.dtype.kind == "f":
        nan = np.isnan(values)
        has_nan = bool(nan.any())
        if validity:
            streams.validity(~nan if has_nan else None, len(values))
        if has_nan:
            uint = {8: np.uint64, 4: np.uint32, 2: np.uint16}.get(values.dtype.itemsize)
            canonical = np.array([np.nan], dtype=values.dtype).view(uint)[0] if uint else None
            same = uint is not None and values.flags.c_contiguous and bool((values.view(uint)[nan] == canonical).all())
            if not same:  # NaN payloads/signs differ: normalise
                values = values.copy()
                values[nan] = np.nan
        streams.data.update(_buf(values))
        return
    if validity:
        streams.validity(None, len(values))
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
    streams.lengths.update(b"object")
    hashed = pd.util.hash_pandas_object(pd.Series(values, dtype=object), index=False, categorize=False)
    streams.data.update(_buf(hashed.to_numpy()))


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
        streams.validity(~mask, len(mask))
        if mask.any():
            data = data.copy()
            data[mask] = 0
        _hash_numpy(streams, data, validity=False)
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
        _hash_values(st, level)
        top.update(f"index[{i}]:{index.names[i]!r}:{level.dtype}".encode() + st.digest())
    for pos, (_, col) in enumerate(frame.items()):
        st = _Streams()
        _hash_values(st, col)
        top.update(f"col[{pos}]:{frame.columns[pos]!r}:{col.dtype}".encode() + st.digest())
    return PREFIX + top.hexdigest()
