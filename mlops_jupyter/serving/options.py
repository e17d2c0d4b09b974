"""The options of ``%mlops_serve`` and ``mlops-jupyter serve``, shared by both surfaces."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

OPTIONS: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (("model",), {"metavar": "MODEL", "help": "models:/NAME@ALIAS, models:/NAME/VERSION or runs:/RUN_ID/PATH"}),
    (("--challenger",), {"metavar": "MODEL", "help": "second model, served to a --split share of traffic"}),
    (("--split",), {"type": float, "default": 0.1, "help": "share of traffic for the challenger (default 0.1)"}),
    (("--env",), {"metavar": "PROFILE", "help": "profile whose tracking store holds the models (default: active)"}),
    (("--port",), {"type": int, "help": "gateway port on 127.0.0.1 (default: a free one)"}),
    (("--name",), {"help": "service name (default: the model's name); logs go to .mlops/serving/NAME/"}),
    (("--export",), {"nargs": 2, "metavar": ("compose|k8s", "DIR"),
                     "help": "write docker compose or Kubernetes files for this service to DIR instead of starting it"}),
]


def add_options(add: Callable[..., Any]) -> None:
    """Declare every option through ``add(*flags, **kwargs)`` (argparse or magic_arguments)."""
    for flags, kw in OPTIONS:
        add(*flags, **kw)


def serve_kwargs(args: Any) -> dict[str, Any]:
    """Keyword arguments of ``mj.serve`` from parsed options."""
    kw: dict[str, Any] = {"model": args.model}
    if args.challenger:
        kw["challenger"] = args.challenger
        kw["split"] = args.split
    if getattr(args, "export", None):
        kw["export"] = tuple(args.export)
    for key in ("env", "port", "name"):
        if getattr(args, key) is not None:
            kw[key] = getattr(args, key)
    return kw
