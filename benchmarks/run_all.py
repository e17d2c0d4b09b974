"""`make bench`: run every benchmarks/bench_*.py and print its ratios against the targets.

Benchmarks are not tests: they print measured ratios (against a lower bound such as a
bare numpy pass or hashlib, or against a peer tool in its own venv) so regressions are
visible, without timed assertions in the test suite.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("only", nargs="*", help="names of benchmarks to run (e.g. drift data)")
    args = parser.parse_args()
    failed = 0
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if args.only and name not in args.only:
            continue
        print(f"\n=== {name} ===", flush=True)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        start = time.monotonic()
        try:
            spec.loader.exec_module(module)
            rc = module.main()
        except Exception:
            traceback.print_exc()
            rc = 1
        failed += bool(rc)
        print(f"--- {name}: {time.monotonic() - start:.1f} s{' (missed a target)' if rc else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
