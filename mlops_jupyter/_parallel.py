"""``parallel_map``: a list comprehension on a few threads, shared by the topics that
summarise columns (numpy and pandas release the GIL while they sort and count)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def parallel_map(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``[fn(x) for x in items]`` on a few threads (numpy sorts release the GIL)."""
    seq = list(items)
    workers = min(len(seq), os.cpu_count() or 1, 4)
    if workers <= 1:
        return [fn(x) for x in seq]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, seq))
