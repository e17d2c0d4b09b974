"""Cell history when the client sends no cell ids (nbclient, some front ends)."""

from __future__ import annotations

from typing import Any

from mlops_jupyter.tracking.history import CellHistory


def _nb(*sources: str, counts: list[int | None] | None = None) -> dict[str, Any]:
    counts = counts or [None] * len(sources)
    return {"cells": [{"cell_type": "code", "source": s, "execution_count": n} for s, n in zip(sources, counts, strict=True)]}


def _history(*runs: str) -> CellHistory:
    h = CellHistory()
    for n, src in enumerate(runs, start=1):
        h.pre(src, None)  # no cell id, as nbclient sends
        h.post(n, True)
    return h


def test_top_to_bottom_without_ids_is_linear_because_it_was_compared() -> None:
    rep = _history("x = 1", "y = x + 1", "print(y)").report(_nb("x = 1", "y = x + 1", "print(y)"))
    assert rep.compared == 3 and rep.flag() == "linear" and rep.notebook_known


def test_out_of_order_without_ids_is_found_by_source() -> None:
    # cell 2 ran before cell 1: the score came from a state the notebook cannot rebuild
    rep = _history("x = 1", "score = x", "x = 2").report(_nb("x = 1", "x = 2", "score = x"))
    assert rep.out_of_order == [3] and rep.flag() == "out_of_order=1"


def test_identical_cells_do_not_count_as_out_of_order() -> None:
    rep = _history("import numpy as np", "df = load()", "import numpy as np").report(
        _nb("import numpy as np", "df = load()", "import numpy as np"))
    assert rep.ok and rep.compared == 3


def test_saved_execution_counts_place_repeated_cells() -> None:
    # the saved notebook says the second 'x += 1' cell is In[2]: re-running it later is in order
    nb = _nb("x = 0", "x += 1", "x += 1", counts=[1, 2, 3])
    rep = _history("x = 0", "x += 1", "x += 1").report(nb)
    assert rep.ok and rep.compared == 3


def test_nothing_comparable_is_never_reported_linear() -> None:
    h = _history("a = 1", "b = 2")
    assert h.report(None).flag() == "not_compared"
    rep = h.report(_nb("something else"))
    assert rep.compared == 0 and rep.flag() == "not_compared" and rep.warning() is None
