"""``%%mlops_test``: pytest on the test functions of a cell, a thin twin of ``mj.run_tests``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ..calls import Call, Code


def _cell_id(shell: Any) -> str | None:
    """The notebook cell id sent by the front end (JupyterLab, nbclient), if any."""
    try:
        parent = shell.kernel.get_parent() if hasattr(shell, "kernel") else {}
    except Exception:  # not an ipykernel shell
        return None
    meta = (parent or {}).get("metadata") or {}
    value = meta.get("cellId") or meta.get("cell_id")
    return str(value) if value else None


def _parse(line: str, cell: str | None) -> tuple[Any, Call]:
    """Parse and check ``%%mlops_test LINE`` once, into ``mj.run_tests`` on the cell's text
    (the namespace is the notebook's: the kernel's ``user_ns``, a script's ``globals()``)."""
    args = parse_argstring(TestingMagics.mlops_test, line)
    if args.k is not None and not args.k.strip():
        raise UsageError("-k needs an expression")
    kw = {"k": args.k, "lf": args.lf or None, "exitfirst": args.exitfirst or None, "name": args.name,
          "timeout": args.timeout, "fail": args.fail or None, "cov": args.cov or None}
    given = {k: v for k, v in kw.items() if v is not None}
    return args, Call("run_tests", [cell or "", Code("globals()", bare=True)], {**given, "first_line": args.first_line})


@magics_class
class TestingMagics(Magics):
    """Test the notebook's own code (principle 5: test the experimentation code base)."""

    @magic_arguments()
    @argument("-k", dest="k", metavar="EXPR", help="only tests matching the pytest -k expression")
    @argument("--lf", action="store_true", help="only the tests that failed in the last run of this cell")
    @argument("-x", dest="exitfirst", action="store_true", help="stop at the first failure")
    @argument("--name", help="name of this test cell (its identity, its check and its metrics)")
    @argument("--timeout", type=float, metavar="S", help="fail a test that runs longer than S seconds")
    @argument("--cov", action="store_true", help="measure which lines of the notebook's cells the tests ran")
    @argument("--fail", action="store_true", help="raise TestsFailed when a test fails (stops Run All)")
    @argument("--first-line", dest="first_line", type=int, default=2, help="==SUPPRESS==")
    @cell_magic
    def mlops_test(self, line: str, cell: str) -> Any:
        """Run pytest on the ``test_*`` functions of this cell against the notebook's namespace."""
        _, parsed = _parse(line, cell)
        assert self.shell is not None
        call = Call(parsed.func, [cell, self.shell.user_ns], {**parsed.kwargs, "cell_id": _cell_id(self.shell)},
                    ready=True)  # the namespace is the kernel's, not the script's globals()
        return call.run()


def export_mlops_test(line: str, cell: str | None = None) -> str:
    """Python source equivalent to ``%%mlops_test LINE`` + body (script-mode jobs):
    ``mj.run_tests`` on the cell's text against the script's globals."""
    return _parse(line, cell)[1].source()


SCRIPT_EXPORTS: dict[str, Callable[[str, str | None], str]] = {"mlops_test": export_mlops_test}
