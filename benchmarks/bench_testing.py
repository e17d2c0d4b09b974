"""%%mlops_test overhead: 50 trivial tests in a cell vs pytest on the same tests in a file.

Target (issue 17): ``run_tests`` (what ``%%mlops_test`` calls) within 1.2x of ``pytest.main``
on the same tests written to a file, both in-process with the same flags (no plugin
autoload, no cache). ipytest 0.14 is measured side by side as the peer when it is
importable (``pip install --target DIR --no-deps ipytest`` and ``IPYTEST_PATH=DIR``: a peer
is never a dependency of the project). Each figure is the best of 7 runs after a warm-up.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any

N_TESTS = 50
SOURCE = "\n".join(f"def test_{i}():\n    assert add({i}, 1) == {i + 1}\n" for i in range(N_TESTS))
FLAGS = ["-q", "-p", "no:cacheprovider", "--disable-plugin-autoload", "-p", "no:faulthandler"]


def add(a: int, b: int) -> int:
    return a + b


def _best(fn: Any, repeat: int = 7) -> float:
    fn()  # warm-up: imports, first collection
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    import pytest

    from mlops_jupyter.testing import run_tests

    tmp = Path(tempfile.mkdtemp(prefix="bench-testing-"))
    os.chdir(tmp)
    (tmp / "pytest.ini").write_text("[pytest]\n")
    (tmp / "test_file.py").write_text("from bench_helpers import add\n" + SOURCE)
    (tmp / "bench_helpers.py").write_text("def add(a, b):\n    return a + b\n")
    sys.path.insert(0, str(tmp))

    def plain() -> None:
        assert pytest.main([str(tmp / "test_file.py"), "-c", str(tmp / "pytest.ini"), *FLAGS]) == 0

    ns = {"add": add}

    def ours() -> None:
        assert run_tests(SOURCE, ns, name="bench").counts()["passed"] == N_TESTS

    base = _best(plain)
    mine = _best(ours)
    print(f"{N_TESTS} trivial tests: pytest on a file {base * 1000:.0f} ms, run_tests (%%mlops_test) "
          f"{mine * 1000:.0f} ms -> ratio {mine / base:.2f} (target <= 1.2)")
    peer = os.environ.get("IPYTEST_PATH")
    if peer:
        sys.path.insert(0, peer)
        try:
            import ipytest
        except ImportError as exc:
            print(f"ipytest not importable from {peer}: {exc}")
            return 0
        module = types.ModuleType("__main__bench")
        module.__file__ = str(tmp / "ipytest_cell.py")
        (tmp / "ipytest_cell.py").write_text(SOURCE)
        exec(compile(SOURCE, module.__file__, "exec"), module.__dict__)
        module.add = add  # type: ignore[attr-defined]
        ipytest.config(rewrite_asserts=False, magics=False, coverage=False, addopts=())

        def theirs() -> None:
            ipytest.run(*FLAGS, module=module)

        other = _best(theirs)
        from importlib.metadata import version

        print(f"ipytest {version('ipytest')} (its assert rewriting is an IPython input transformer, "
              f"off here): {other * 1000:.0f} ms -> ratio {other / base:.2f} to pytest")
    return 0


if __name__ == "__main__":
    sys.exit(main())
