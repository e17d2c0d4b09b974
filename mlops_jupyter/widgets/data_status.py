"""The data status panel: the status table with a filter and fix-it buttons (ipywidgets).

Imported only when a status is displayed in an interactive kernel (or ``status.widget()``
is called): this module imports ipywidgets at its top. Each button translates a click into
a core call (``push_pinned``, ``mj.pin``, ``data_status``), shows the outcome on one line
inside the panel (an ``MlopsError`` as its message and hint, never a traceback), and then
recomputes the table with the same ``data_status`` arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from ..data.pins import MODIFIED, NOT_PUSHED
from ..data.status import DataStatus
from ..display.data import status_html, status_text
from ..errors import MlopsError
from ..session import session

ALL = "all"
ATTENTION = "attention"
NO_REMOTE = ("no DVC remote to push to: set dvc_remote in the profile (mlops.toml) "
             "or run `dvc remote add -d NAME URL`")
_COLOURS = {"ok": "#1a7f37", "error": "#cf222e", "busy": "#57606a"}


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _names(paths: list[str], limit: int = 8) -> str:
    more = f" … (+{len(paths) - limit})" if len(paths) > limit else ""
    return ", ".join(paths[:limit]) + more


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, MlopsError):
        return " — ".join(exc.lines())  # "DataError: …" then "hint: …", on one line
    return _one_line(f"{type(exc).__name__}: {exc}")


def _reason(exc: MlopsError) -> str:
    """A tooltip's why: the error's message and hint on one line."""
    return _one_line(exc.message + (f" ({exc.hint})" if exc.hint else ""))


def _write_blocker(action: str) -> str | None:
    """Why ``action`` may not run here (read-only profile in an interactive kernel), or None."""
    try:
        session.require_write(action)
    except MlopsError as exc:
        return _reason(exc)
    return None


def _remote_blocker(status: DataStatus) -> str | None:
    """Why nothing can be pushed to the status's remote (none, or not configured in DVC), or None."""
    if not status.remote:
        return NO_REMOTE
    from ..data.repo import DataRepo

    try:
        DataRepo.find(Path(status.root)).remote_url(status.remote)
    except MlopsError as exc:
        return _reason(exc)
    return None


def _fit() -> widgets.Layout:
    return widgets.Layout(width="auto")  # the default button width cuts "Push 12 not-pushed"


class DataStatusPanel(widgets.VBox):
    """A ``DataStatus`` as a panel: toolbar (filter, actions), summary, result line, table.

    The "Push N not-pushed", "Re-pin N modified" and "Commit N not-committed" buttons appear
    only when rows need them (push also appears, disabled, when no remote is configured); a button that
    may not run is disabled and its tooltip says why. "Refresh" is always there.
    """

    def __init__(self, status: DataStatus) -> None:
        super().__init__()
        self.status = status
        self.filter = widgets.ToggleButtons(
            options=[("all", ALL), ("needs attention", ATTENTION)], value=ALL,
            tooltips=["every pinned dataset", "only pins that are not clean"],
        )
        self.filter.observe(self._on_filter, names="value")
        self.push_button = widgets.Button(icon="upload", button_style="primary", layout=_fit())
        self.push_button.on_click(lambda _b: self._act("pushing", self._push))
        self.repin_button = widgets.Button(icon="thumb-tack", button_style="warning", layout=_fit())
        self.repin_button.on_click(lambda _b: self._act("re-pinning", self._repin))
        self.commit_message = widgets.Text(placeholder="commit message (optional)", layout=widgets.Layout(width="220px"))
        self.commit_button = widgets.Button(icon="check", button_style="success", layout=_fit())
        self.commit_button.on_click(lambda _b: self._act("committing", self._commit))
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh", layout=_fit(),
                                             tooltip="compute the status again")
        self.refresh_button.on_click(lambda _b: self._act("refreshing", lambda: "refreshed"))
        self.summary = widgets.HTML()
        self.message = widgets.HTML()  # the outcome of the last action, one line
        self.output = widgets.Output()  # progress bars and warnings printed by an action
        self.table = widgets.HTML()
        self.actions: dict[str, widgets.Button] = {}
        self._render()

    # -- views ------------------------------------------------------------------------
    def _render(self) -> None:
        s = self.status
        actions: dict[str, widgets.Button] = {}
        not_pushed, modified = s.paths_with(NOT_PUSHED), s.paths_with(MODIFIED)
        if not_pushed or (s.rows and not s.remote):
            b = self.push_button
            b.description = f"Push {len(not_pushed)} not-pushed" if s.remote else "Push: no remote"
            why = _remote_blocker(s) or _write_blocker("push data")
            b.disabled = why is not None
            b.tooltip = why or f"push the pinned version of {_names(not_pushed)} to remote '{s.remote}' (verified)"
            actions["push"] = b
        if modified:
            b = self.repin_button
            b.description = f"Re-pin {len(modified)} modified"
            why = _write_blocker("pin data")
            b.disabled = why is not None
            b.tooltip = why or f"pin the current content of {_names(modified)} (not committed: commit the .dvc files after)"
            actions["repin"] = b
        not_committed = s.committable()
        if not_committed:
            b = self.commit_button
            b.description = f"Commit {len(not_committed)} not-committed"
            why = _write_blocker("commit data pins")
            b.disabled = self.commit_message.disabled = why is not None
            b.tooltip = why or f"git commit the .dvc files of {_names(not_committed)} (only those files)"
            actions["commit"] = b
        self.refresh_button.disabled = False
        actions["refresh"] = self.refresh_button
        self.actions = actions
        self.summary.value = self._summary_html()
        self._render_table()
        buttons: list[widgets.Widget] = []
        for key, b in actions.items():
            buttons += [self.commit_message, b] if key == "commit" else [b]
        toolbar = widgets.HBox(children=[self.filter, *buttons], layout=widgets.Layout(flex_flow="row wrap"))
        self.children = [toolbar, self.summary, self.message, self.output, self.table]

    def _summary_html(self) -> str:
        s = self.status
        counts: dict[str, int] = {}
        for r in s.rows:
            for f in r.flags or ["clean"]:
                counts[f] = counts.get(f, 0) + 1
        attention = sum(1 for r in s.rows if r.flags)
        parts = ", ".join(f"{n} {escape(k)}" for k, n in counts.items())
        verb = "needs" if attention == 1 else "need"
        head = f"{len(s.rows)} pin(s), {attention} {verb} attention" if attention else f"{len(s.rows)} pin(s), all clean"
        return f'<span style="font-size:12px">{escape(head)}{": " + parts if attention else ""}</span>'

    def _render_table(self) -> None:
        self.table.value = status_html(self.status, attention_only=self.filter.value == ATTENTION)

    def _on_filter(self, change: Any) -> None:
        self._render_table()

    def _say(self, kind: str, text: str) -> None:
        self.message.value = f'<span style="color:{_COLOURS[kind]};font-size:12px">{escape(_one_line(text))}</span>'

    # -- actions ----------------------------------------------------------------------
    def _act(self, doing: str, action: Callable[[], str]) -> None:
        """Run ``action`` with the buttons disabled, report it on one line, then refresh the table."""
        for b in self.actions.values():
            b.disabled = True
        self._say("busy", f"{doing}…")
        self.output.clear_output()
        kind, text = "ok", ""
        with self.output:  # progress bars and warnings land inside the panel
            try:
                text = action()
            except Exception as exc:  # an MlopsError (message + hint) or anything else: one line, no traceback
                kind, text = "error", _error_text(exc)
            try:
                self.status = self.status.refresh()
            except Exception as exc:
                kind, text = "error", f"{text}; the table could not be refreshed: {_error_text(exc)}"
        self._render()
        self._say(kind, ("✓ " if kind == "ok" else "✗ ") + text)

    def _push(self) -> str:
        from ..data.status import push_pinned

        s = self.status
        paths = s.paths_with(NOT_PUSHED)
        push_pinned([str(Path(s.root) / p) for p in paths], remote=s.remote)
        return f"pushed {len(paths)} pin(s) to remote '{s.remote}' (verified there): {_names(paths)}"

    def _repin(self) -> str:
        from ..data.pins import pin

        s = self.status
        paths = s.paths_with(MODIFIED)
        pin([str(Path(s.root) / p) for p in paths])
        return (f"re-pinned {len(paths)}: {_names(paths)}; commit the .dvc file(s) (the Commit button) "
                f"so a clone can load them")

    def _commit(self) -> str:
        from ..data.status import commit_pinned

        s = self.status
        paths = s.committable()
        message = self.commit_message.value.strip() or f"data: pin {_names(paths, limit=3)}"
        commit = commit_pinned([str(Path(s.root) / p) for p in paths], message)
        self.commit_message.value = ""
        return f"committed {len(paths)} pin(s) as {(commit or '')[:10]}: {_names(paths)}"

    # -- display ----------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle: dict[str, Any] = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = status_text(self.status)  # consoles and front-ends without widgets
        return bundle
