"""User text inside plotly figures.

plotly.js reads a pseudo-HTML in every text it draws (trace names in the legend, titles,
tick labels, hover text): ``<a href=…>`` becomes a link, ``<b>``, ``<i>``, ``<br>``,
``<sub>``, ``<sup>``, ``<span style=…>`` change the text. Run, metric, model and column
names come from users and from data, so they go through :func:`plotly_text`: ``&``, ``<``
and ``>`` become the entities that plotly turns back into those characters, and no tag is
left for it to read. (``html.escape`` is for HTML; plotly is not HTML.)
"""

from __future__ import annotations

from typing import Any

_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def plotly_text(value: Any) -> str:
    """``value`` as text that plotly draws literally (no markup, no link)."""
    return str(value).translate(_ENTITIES)


def plotly_texts(values: Any) -> list[str]:
    """:func:`plotly_text` of each value (category labels, tick texts)."""
    return [plotly_text(v) for v in values]
