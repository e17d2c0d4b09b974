"""HTML views of serving results (``ServiceStatus``)."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from .html import badge, card, table
from .registry import view

if TYPE_CHECKING:
    from ..serving.service import ServiceStatus


@view("mlops_jupyter.serving.service.ServiceStatus", "html")
def status_html(status: ServiceStatus) -> str:
    """A card: the service URL, its state, and one row per arm."""
    state = status.health.get("status", "stopped" if not status.running else "unknown")
    kind = {"ok": "mlops-ok", "degraded": "mlops-warn"}.get(state, "mlops-fail")
    rows = []
    for arm, v in list(status.health.get("arms", {}).items())[:10]:
        rows.append([arm, badge("up" if v.get("up") else "down", "mlops-ok" if v.get("up") else "mlops-fail"),
                     v.get("model_uri"), v.get("model_version"), status.processes.get(arm, {}).get("pid")])
    body = (f"<div>{badge(state, kind)} <code>{escape(status.url)}</code></div>"
            + table(["arm", "state", "model", "version", "pid"], rows, raw_html_cols={1}))
    return card(f"service {status.name}", body)


@view("mlops_jupyter.serving.service.ServiceStatus", "text")
def status_text(status: ServiceStatus) -> str:
    state = status.health.get("status", "stopped" if not status.running else "unknown")
    lines = [f"service {status.name} at {status.url}: {state}"]
    for arm, v in status.health.get("arms", {}).items():
        lines.append(f"  {arm:<10} {'up' if v.get('up') else 'DOWN':<5} {v.get('model_uri')}")
    return "\n".join(lines)
