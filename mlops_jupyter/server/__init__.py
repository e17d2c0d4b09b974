"""Jupyter server extension: REST routes under ``/mlops-jupyter/`` for the side panel.

Importing this package is light (no mlflow, dvc or tornado work at import time beyond
jupyter_server itself); handlers import the core API on first request.
"""

from __future__ import annotations

from typing import Any


def load_jupyter_server_extension(server_app: Any) -> None:
    """Register the routes on ``server_app``'s web application."""
    from .handlers import handlers

    web_app = server_app.web_app
    base_url = web_app.settings["base_url"]
    web_app.add_handlers(".*$", handlers(base_url))
    server_app.log.info("mlops_jupyter: REST routes registered under %smlops-jupyter/", base_url)


__all__ = ["load_jupyter_server_extension"]
