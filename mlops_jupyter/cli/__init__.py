"""``mlops-jupyter``: the command line, a thin surface over the Python API.

Each topic module in this package has ``register(subparsers)``; its commands set
``func(args) -> int``. Exit codes: 0 ok, 1 a check failed (validation, drift, gate),
2 usage or environment error. Errors print as one line (plus a hint) on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ..errors import MlopsError

COMMAND_MODULES = [
    "mlops_jupyter.cli.env",
    "mlops_jupyter.cli.tracking",
    "mlops_jupyter.cli.data",
    "mlops_jupyter.cli.validate",
    "mlops_jupyter.cli.drift",
    "mlops_jupyter.cli.export",
    "mlops_jupyter.cli.release",
    "mlops_jupyter.cli.serving",
    "mlops_jupyter.cli.testing",
]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse exits 2 on usage errors, which is our contract too; keep it one line.
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = _Parser(prog="mlops-jupyter", description="ML DevOps for notebooks, headless.")
    parser.add_argument("--version", action="version", version=f"mlops-jupyter {__version__}")
    parser.add_argument("--env", dest="global_env", metavar="PROFILE", help="environment profile to use")
    parser.add_argument("-C", dest="directory", metavar="DIR", help="run as if started in DIR")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mlops-jupyter`` command; returns the exit code."""
    import os
    from pathlib import Path

    from ..session import session

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if args.directory:
        os.chdir(args.directory)
    session.start_dir = Path.cwd()
    try:
        if args.global_env:
            session.use_env(args.global_env)
        return int(args.func(args) or 0)
    except MlopsError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
