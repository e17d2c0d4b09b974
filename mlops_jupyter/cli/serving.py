"""``mlops-jupyter serve MODEL`` (foreground until Ctrl-C / SIGTERM) and
``mlops-jupyter monitor SERVICE [--json]``."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any


def register(sub: Any) -> None:
    """Add the ``serve`` and ``monitor`` commands."""
    from .._util import add_options as add_table
    from ..monitoring.options import OPTIONS as MONITOR_OPTIONS
    from ..serving.options import add_options

    p = sub.add_parser("serve", help="serve a model (and a challenger) behind the monitoring gateway",
                       description="Start MLflow scoring servers and the gateway on 127.0.0.1; runs until "
                                   "Ctrl-C or SIGTERM, then stops every process it started.")
    add_options(p.add_argument)
    p.add_argument("--json", action="store_true", help="print the service state as JSON once it is up")
    p.set_defaults(func=cmd_serve)

    m = sub.add_parser("monitor", help="health, latency, drift and quality of a service per window")
    add_table(m.add_argument, MONITOR_OPTIONS)
    m.add_argument("--json", action="store_true", help="print the report as JSON")
    m.add_argument("--fail", action="store_true", help="exit 1 when an SLO is breached")
    m.set_defaults(func=cmd_monitor)


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve in the foreground; every exit path stops the subprocesses."""
    from ..serving.options import serve_kwargs
    from ..serving.service import serve

    kw = serve_kwargs(args)
    if "export" in kw:
        for path in serve(**kw):
            print(path)
        return 0
    done = threading.Event()

    def _term(signum: int, frame: Any) -> None:
        done.set()

    old = signal.signal(signal.SIGTERM, _term)
    try:
        with serve(**kw) as svc:
            print(json.dumps(svc.state()) if args.json else f"{svc.status()}\nserving at {svc.url} (Ctrl-C stops)",
                  flush=True)
            try:
                while not done.wait(0.5):
                    pass
            except KeyboardInterrupt:
                pass
        print("stopped", file=sys.stderr)
    finally:
        signal.signal(signal.SIGTERM, old)
    return 0


def cmd_monitor(args: argparse.Namespace) -> int:
    """Print the monitor report; exit 1 on a breached SLO with ``--fail``."""
    from ..monitoring import monitor
    from ..monitoring.options import monitor_kwargs

    kw = monitor_kwargs(args)
    if args.reference:
        kw["reference"] = args.reference  # the API reads CSV/Parquet paths itself
    report = monitor(args.service, **kw)
    print(json.dumps(report.to_dict(), indent=2, allow_nan=False) if args.json else report)
    return 1 if (args.fail and not report.ok) else 0
