"""``mlops-jupyter promote``: the release gate headless (CI).

Exit codes: 0 promoted (or approved by a dry run, or already the champion), 1 a gate
refused, 2 usage or environment error. ``--json`` prints the decision record.
"""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add the ``promote`` command."""
    from ..release.options import add_options

    p = sub.add_parser("promote", help="promote a model to a registry alias through the release gates",
                       description="Run the release gates (data suite, drift, metrics, A/B test) and move "
                                   "the alias only if all pass. Exit 0 promoted, 1 refused, 2 usage error.")
    add_options(p.add_argument)
    p.add_argument("--json", action="store_true", help="print the decision record as JSON")
    p.set_defaults(func=cmd_promote)


def cmd_promote(args: argparse.Namespace) -> int:
    """Run ``mj.promote`` with the parsed options; datasets are file paths."""
    from ..release.options import promote_kwargs
    from ..release.promotion import promote

    kw, refs = promote_kwargs(args)
    kw.update(refs)  # the API reads CSV/Parquet/JSON paths itself
    decision = promote(**kw)
    print(decision.to_json() if args.json else decision)
    return 0 if decision.ok else 1
