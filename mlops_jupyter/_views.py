"""The one mixin of result classes: text, HTML and mime-bundle views looked up in the
display registry (:mod:`mlops_jupyter.display.registry`), which is imported only when a
view is asked for. Result modules therefore never import ``display/``.

``__repr__`` returns the text view; a dataclass keeps it only with ``@dataclass(repr=False)``
(otherwise the generated field repr wins), and a class may define its own short one.
"""

from __future__ import annotations

from typing import Any


class Viewable:
    """``__str__`` / ``__repr__`` / ``_repr_html_`` / ``_repr_mimebundle_`` from registered views."""

    __slots__ = ()

    def _view(self, kind: str, *args: Any, **kwargs: Any) -> Any:
        """The registered ``kind`` view of this object (``figure``, ``widget`` ...)."""
        from .display.registry import render

        return render(self, kind, *args, **kwargs)

    def __str__(self) -> str:
        text: str = self._view("text")
        return text

    def __repr__(self) -> str:  # terminals and IPython's text/plain: the readable report
        return str(self)

    def _repr_html_(self) -> str | None:
        from .display.registry import lookup

        func = lookup(self, "html")
        return func(self) if func is not None else None

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any] | None:
        # a full bundle where one is registered (the data status panel); None lets IPython
        # use _repr_html_ / __repr__
        from .display.registry import lookup

        func = lookup(self, "bundle")
        return func(self) if func is not None else None
