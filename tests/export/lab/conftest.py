"""pytest-jupyter's server fixtures (and its async test hooks), local to this folder."""

from __future__ import annotations

from pytest_jupyter.jupyter_server import *  # noqa: F403
