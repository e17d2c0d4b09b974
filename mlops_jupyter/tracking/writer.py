"""Buffered background writing of metrics, params and tags.

``mj.log`` only appends to an in-memory buffer (a few microseconds); one daemon thread
sends the buffer in ``log_batch`` calls (up to 1000 metrics per call) every
``interval`` seconds or as soon as 1000 points wait. ``flush()`` blocks until everything
added before it is stored or spooled. When the store cannot be reached the batch goes to
the run's spool, and so does everything after it (order is kept), until ``sync``.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Callable
from typing import Any

from .spool import Spool

MAX_METRICS = 1000
MAX_PARAMS = 100
MAX_TAGS = 100
Point = tuple[str, float, int, int]  # key, value, timestamp ms, step


class Writer:
    """The background writer of one run."""

    def __init__(
        self,
        run_id: str,
        client: Any,
        spool: Spool,
        interval: float = 0.5,
        on_spool: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.run_id = run_id
        self.client = client
        self.spool = spool
        self.interval = interval
        self.on_spool = on_spool
        self.spooling = False
        self.errors: list[str] = []
        self.listeners: list[Callable[[list[Point]], None]] = []
        self._metrics: list[Point] = []
        self._params: list[tuple[str, str]] = []
        self._tags: list[tuple[str, str]] = []
        self._added = 0
        self._done = 0
        self._cond = threading.Condition()
        self._stop = False
        self._flush_wanted = False
        self._thread: threading.Thread | None = None
        self.stored_points = 0
        self.spooled_points = 0

    # -- producer side (the user's thread) ------------------------------------------
    def add_metrics(self, points: list[Point]) -> None:
        """Queue metric points; wakes the thread when a full batch waits."""
        with self._cond:
            self._metrics.extend(points)
            self._added += 1
            if len(self._metrics) >= MAX_METRICS:
                self._cond.notify()
        self._ensure_thread()

    def add_params(self, items: list[tuple[str, str]]) -> None:
        """Queue params (already checked for conflicts by the run)."""
        with self._cond:
            self._params.extend(items)
            self._added += 1
        self._ensure_thread()

    def add_tags(self, items: list[tuple[str, str]]) -> None:
        """Queue tags."""
        with self._cond:
            self._tags.extend(items)
            self._added += 1
        self._ensure_thread()

    @property
    def pending(self) -> int:
        """Points and values still in memory."""
        with self._cond:
            return len(self._metrics) + len(self._params) + len(self._tags)

    def flush(self, timeout: float | None = 120.0) -> bool:
        """Block until everything queued so far is stored or spooled; False on timeout."""
        with self._cond:
            target = self._added
            if self._done >= target:
                return True
            self._flush_wanted = True
            self._cond.notify_all()
        self._ensure_thread()
        with self._cond:
            return self._cond.wait_for(lambda: self._done >= target or self._thread is None, timeout)

    def close(self, timeout: float | None = 120.0) -> None:
        """Flush, then stop the thread."""
        self.flush(timeout)
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self._thread = None

    # -- the thread ------------------------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._thread is None and not self._stop:
            with self._cond:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._loop, name=f"mlops-writer-{self.run_id[:8]}", daemon=True)
                    self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(
                    lambda: self._stop or self._flush_wanted or len(self._metrics) >= MAX_METRICS,
                    self.interval,
                )
                self._flush_wanted = False
                metrics, self._metrics = self._metrics, []
                params, self._params = self._params, []
                tags, self._tags = self._tags, []
                upto = self._added
                stop = self._stop
            if metrics or params or tags:
                self._write(metrics, params, tags)
            with self._cond:
                self._done = max(self._done, upto)
                self._cond.notify_all()
                if stop and not self._metrics and not self._params and not self._tags:
                    return

    def _write(self, metrics: list[Point], params: list[tuple[str, str]], tags: list[tuple[str, str]]) -> None:
        chunks: list[tuple[list[Point], list[tuple[str, str]], list[tuple[str, str]]]] = []
        for i in range(0, max(len(metrics), 1), MAX_METRICS):
            chunks.append((metrics[i : i + MAX_METRICS], [], []))
        for i in range(0, len(params), MAX_PARAMS):
            chunks.append(([], params[i : i + MAX_PARAMS], []))
        for i in range(0, len(tags), MAX_TAGS):
            chunks.append(([], [], tags[i : i + MAX_TAGS]))
        for m, p, t in chunks:
            if m or p or t:
                self._write_chunk(m, p, t)
        if metrics:
            for listener in list(self.listeners):
                with contextlib.suppress(Exception):  # a display problem must never stop logging
                    listener(metrics)

    def _write_chunk(self, m: list[Point], p: list[tuple[str, str]], t: list[tuple[str, str]]) -> None:
        from . import store

        if not self.spooling:
            try:
                refused = send_isolating(self.client, self.run_id, m, p, t)
            except Exception as exc:
                if not store.is_connection_error(exc):  # not from the store: report, never kill the thread
                    msg = f"cannot write a batch of run {self.run_id}: {type(exc).__name__}: {str(exc)[:300]}"
                    self.errors.append(msg)
                    warnings.warn(msg, stacklevel=1)
                    return
                self.spooling = True
                if self.on_spool is not None:
                    self.on_spool(exc)
            else:
                bad = {(kind, key) for kind, key, _ in refused}
                self.stored_points += sum(1 for x in m if ("metric", x[0]) not in bad)
                for kind, key, why in refused:
                    msg = f"tracking store refused {kind} {key!r} of run {self.run_id} (the rest of its batch was stored): {why}"
                    self.errors.append(msg)
                    warnings.warn(msg, stacklevel=1)
                return
        self.spool.append({"op": "batch", "metrics": [list(x) for x in m], "params": [list(x) for x in p], "tags": [list(x) for x in t]})
        self.spooled_points += len(m)


Refusal = tuple[str, str, str]  # (metric|param|tag, key, the store's reason)


def send_isolating(client: Any, run_id: str, m: list[Point], p: list[tuple[str, str]],
                   t: list[tuple[str, str]]) -> list[Refusal]:
    """``log_batch`` the items; when the store refuses the batch, send its halves again
    until the refused items stand alone, so one bad item never drops the good ones.

    Returns the refused items (usually none). A connection error is raised as is (the
    caller spools what was not sent: every item is idempotent on MLflow, so resending
    the ones already stored is harmless). Stores validate a whole batch before writing any
    of it; a store that wrote part of a refused batch gets those items again, unchanged.
    """
    from . import store

    items: list[tuple[str, Any]] = [("metric", x) for x in m] + [("param", x) for x in p] + [("tag", x) for x in t]
    refused: list[Refusal] = []
    todo = [items] if items else []
    while todo:
        part = todo.pop()
        try:
            _send(client, run_id, part)
        except Exception as exc:
            if store.is_connection_error(exc):
                raise
            if len(part) == 1:
                kind, item = part[0]
                refused.append((kind, str(item[0]), f"{type(exc).__name__}: {str(exc)[:300]}"))
            else:
                half = len(part) // 2
                todo += [part[half:], part[:half]]  # the first half is sent first
    return refused


def _send(client: Any, run_id: str, part: list[tuple[str, Any]]) -> None:
    from mlflow.entities import Metric, Param, RunTag

    from .store import retry_locked

    metrics = [Metric(x[0], float(x[1]), int(x[2]), int(x[3])) for kind, x in part if kind == "metric"]
    params = [Param(x[0], x[1]) for kind, x in part if kind == "param"]
    tags = [RunTag(x[0], x[1]) for kind, x in part if kind == "tag"]
    retry_locked(lambda: client.log_batch(run_id, metrics=metrics, params=params, tags=tags, synchronous=True))
