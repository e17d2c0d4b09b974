"""The kernel's executed-cell history: order, source, timing; out-of-order and edited cells.

The magics layer feeds :class:`CellHistory` from IPython's ``pre_run_cell`` /
``post_run_cell`` events (this module does not import IPython). At the end of a run the
history is compared with the notebook as saved on disk: a cell executed after a cell that
sits below it is *out of order*; a cell whose source changed after it last ran (or that
ran again with different source) is *edited*.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from ..session import session

MAX_CELLS = 5000
MAX_SOURCE = 100_000


@dataclass
class CellRecord:
    """One executed cell."""

    execution_count: int | None
    cell_id: str | None
    source: str
    started: float
    finished: float | None = None
    duration_s: float | None = None
    success: bool | None = None
    error: str | None = None


@dataclass
class HistoryReport:
    """The history with the problems found in it."""

    cells: list[dict[str, Any]]
    out_of_order: list[int] = field(default_factory=list)  # execution counts
    edited: list[int] = field(default_factory=list)
    notebook_known: bool = False
    compared: int = 0  # executed cells placed in the notebook (by id, else execution count + source)

    @property
    def ok(self) -> bool:
        return not self.out_of_order and not self.edited

    def to_dict(self) -> dict[str, Any]:
        return {
            "cells": self.cells,
            "out_of_order": self.out_of_order,
            "edited": self.edited,
            "notebook_known": self.notebook_known,
            "compared": self.compared,
        }

    def flag(self) -> str:
        """Value of the ``mlops.history`` tag (``not_compared`` when no executed cell could
        be placed in the notebook: never "linear" without evidence)."""
        if self.ok and not self.compared and self.cells:
            return "not_compared"
        if self.ok:
            return "linear"
        parts = []
        if self.out_of_order:
            parts.append(f"out_of_order={len(self.out_of_order)}")
        if self.edited:
            parts.append(f"edited={len(self.edited)}")
        return ",".join(parts)

    def warning(self) -> str | None:
        """A user-facing warning, or None when the history is linear."""
        if self.ok:
            return None
        bits = []
        if self.out_of_order:
            bits.append(f"cells run out of order: In[{'], In['.join(map(str, self.out_of_order[:10]))}]")
        if self.edited:
            bits.append(f"cells edited after they ran: In[{'], In['.join(map(str, self.edited[:10]))}]")
        return "; ".join(bits) + " - the notebook may not reproduce this run top to bottom"


class CellHistory:
    """Recorder of executed cells (fed by IPython events)."""

    def __init__(self) -> None:
        self.cells: list[CellRecord] = []
        self._open: CellRecord | None = None

    def seed(self, sources: list[str]) -> None:
        """Cells that ran before the extension was loaded (from IPython's input history:
        order and source known, timing not)."""
        if self.cells:
            return
        for n, src in enumerate(sources, start=1):
            self.cells.append(CellRecord(execution_count=n, cell_id=None, source=src[:MAX_SOURCE], started=0.0))

    def pre(self, source: str, cell_id: str | None = None) -> None:
        """A cell starts executing."""
        rec = CellRecord(execution_count=None, cell_id=cell_id, source=source[:MAX_SOURCE], started=time.time())
        self._open = rec
        self.cells.append(rec)
        if len(self.cells) > MAX_CELLS:
            del self.cells[: len(self.cells) - MAX_CELLS]

    def post(self, execution_count: int | None, success: bool, error: BaseException | None = None) -> None:
        """The cell that started last has finished."""
        rec = self._open
        if rec is None:
            return
        rec.finished = time.time()
        rec.duration_s = round(rec.finished - rec.started, 6)
        rec.execution_count = execution_count
        rec.success = success
        rec.error = f"{type(error).__name__}: {error}"[:500] if error is not None else None
        self._open = None

    def report(self, notebook: dict[str, Any] | None, since: float | None = None) -> HistoryReport:
        """Compare the history with the notebook's cells (ids and current sources)."""
        cells = [asdict(c) for c in self.cells]
        for d in cells:
            d["during_run"] = since is not None and d["started"] >= since
        rep = HistoryReport(cells=cells)
        nb_cells = [c for c in (notebook or {}).get("cells", []) if c.get("cell_type") == "code"]
        position = {c.get("id"): i for i, c in enumerate(nb_cells) if c.get("id")}
        if not position and session.cell_ids:
            position = {cid: i for i, cid in enumerate(session.cell_ids)}
        current = {c.get("id"): _src(c) for c in nb_cells if c.get("id")}
        rep.notebook_known = bool(position)
        by_source = _positions_by_source(nb_cells)
        by_count = {(c.get("execution_count"), _src(c).strip()): i for i, c in enumerate(nb_cells)
                    if isinstance(c.get("execution_count"), int)}
        rep.notebook_known = rep.notebook_known or bool(by_source)
        highest = -1
        last_source: dict[str, str] = {}
        for c in self.cells:
            label = c.execution_count if c.execution_count is not None else -1
            pos = _place(c, position, by_count, by_source, highest)
            if pos is not None:
                rep.compared += 1
                if pos < highest:
                    rep.out_of_order.append(label)
                highest = max(highest, pos)
            if c.cell_id:
                prev = last_source.get(c.cell_id)
                if prev is not None and prev.strip() != c.source.strip():
                    rep.edited.append(label)
                last_source[c.cell_id] = c.source
        for cid, src in last_source.items():
            if cid in current and current[cid].strip() != src.strip():
                last = max((c.execution_count or -1) for c in self.cells if c.cell_id == cid)
                if last not in rep.edited:
                    rep.edited.append(last)
        return rep


def _positions_by_source(nb_cells: list[dict[str, Any]]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, c in enumerate(nb_cells):
        text = _src(c).strip()
        if text:
            out.setdefault(text, []).append(i)
    return out


def _place(rec: CellRecord, by_id: dict[Any, int], by_count: dict[tuple[Any, str], int],
           by_source: dict[str, list[int]], highest: int) -> int | None:
    """The notebook position of an executed cell: its id; without one (nbclient, some front
    ends) the saved cell with its execution count and source, else a cell with its source
    (of identical cells, the first at or after the furthest position reached so far)."""
    if rec.cell_id and rec.cell_id in by_id:
        return by_id[rec.cell_id]
    if rec.cell_id and by_id:
        return None  # an id the notebook does not have (a deleted cell): nothing to compare
    text = rec.source.strip()
    if (rec.execution_count, text) in by_count:
        return by_count[(rec.execution_count, text)]
    candidates = by_source.get(text)
    if not candidates:
        return None
    return next((p for p in candidates if p >= highest), candidates[0])


def _src(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def recorder() -> CellHistory:
    """The session's recorder (created on first use)."""
    rec = session.state.get("tracking.history")
    if not isinstance(rec, CellHistory):
        rec = CellHistory()
        session.state["tracking.history"] = rec
    return rec
