"""``%mlops_data pin|status|load|diff|push|commit``: dataset versions on DVC from a cell.

Each action is a thin twin of the Python API (``mj.pin``, ``mj.data_status``, ``mj.load``,
``mj.data_diff``, ``mj.push_pinned``, ``mj.commit_pinned``): the line is parsed and checked
once into that call, which the magic runs and :data:`SCRIPT_EXPORTS` renders for jobs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ..calls import Call

ACTIONS = ("pin", "status", "load", "diff", "push", "commit")


@magics_class
class DataMagics(Magics):
    """Dataset versions: pin files with DVC, load pinned revisions verified, status, diff."""

    @magic_arguments()
    @argument("action", choices=ACTIONS, help="pin | status | load | diff | push | commit")
    @argument("paths", nargs="*", help="files or folders (pin: one or more; load/diff: one; status: optional "
              "filter; push/commit: default every pin that needs it)")
    @argument("--push", action="store_true", help="pin: push the data to the DVC remote after pinning")
    @argument("-m", "--message", help="pin, commit: commit the .dvc files to git with this message")
    @argument("--remote", help="DVC remote (default: the profile's dvc_remote, else DVC's default remote)")
    @argument("--init", action="store_true", help="pin: run `git init` / `dvc init` where missing")
    @argument("--rev", action="append", default=[], help="load: git revision to read; diff: A then optional B")
    @argument("--as", dest="as_name", metavar="NAME", help="load: store the result in variable NAME")
    @argument("--path", dest="as_path", action="store_true", help="load: return a verified file path, not a DataFrame")
    @argument("--key", action="append", default=None, help="diff: key column(s) that match rows")
    @line_magic
    def mlops_data(self, line: str) -> Any:
        """Pin datasets with DVC, load pinned revisions (verified), show status or a diff.

        Examples: ``%mlops_data pin data/train.csv --push -m "new data"``,
        ``%mlops_data load data/train.csv --rev v1 --as df``, ``%mlops_data status``,
        ``%mlops_data diff data/train.csv --rev v1``, ``%mlops_data push`` (every pin not on the
        remote yet), ``%mlops_data commit -m "data v2"`` (every pin not committed yet).
        """
        args, call = _parse(line)
        if args.action == "push":
            pins = call.run()
            names = ", ".join(p.path for p in pins)
            print(f"pushed {len(pins)} pin(s) to remote '{pins[0].remote}' (verified there): {names}" if pins
                  else "nothing to push: every pin is on the remote")
            return None
        if args.action == "commit":
            commit = call.run()
            print(f"committed the pins as {commit[:10]}" if commit else "nothing to commit: every pin is committed")
            return None
        if args.action == "load" and args.as_name:
            self.shell.user_ns[args.as_name] = value = call.run()  # type: ignore[union-attr]
            print(f"{args.as_name} = {_describe(value)} from {args.paths[0]}@{_one_rev(args.rev) or 'workspace'} (verified)")
            return None
        return call.run()


def _unquote(value: Any) -> Any:
    # IPython splits magic lines without POSIX quote removal: -m "new data" keeps its quotes
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _parse(line: str) -> tuple[Any, Call]:
    """Parse and check the magic line once, into the API call it means."""
    args = parse_argstring(DataMagics.mlops_data, line)
    for name, value in vars(args).items():
        setattr(args, name, _unquote(value))
    if args.action in ("pin", "load", "diff") and not args.paths:
        raise UsageError(f"%mlops_data {args.action} needs a path")
    if args.action in ("load", "diff") and len(args.paths) != 1:
        raise UsageError(f"%mlops_data {args.action} takes exactly one path")
    if args.action == "load" and len(args.rev) > 1:
        raise UsageError("%mlops_data load takes at most one --rev")
    if args.action == "diff" and not 1 <= len(args.rev) <= 2:
        raise UsageError("%mlops_data diff needs --rev A [--rev B]")
    if args.action == "commit" and not args.message:
        raise UsageError('%mlops_data commit needs -m MESSAGE, e.g. -m "data: March orders"')
    if args.as_name and not args.as_name.isidentifier():
        raise UsageError(f"--as {args.as_name!r} is not a valid variable name")
    wrong = [opt for opt, on, allowed in (
        ("--push", args.push, "pin"), ("--init", args.init, "pin"),
        ("--as", args.as_name, "load"), ("--path", args.as_path, "load"), ("--key", args.key, "diff"),
    ) if on and args.action != allowed]
    if args.rev and args.action not in ("load", "diff"):
        wrong.append("--rev")
    if args.message and args.action not in ("pin", "commit"):
        wrong.append("-m")
    if wrong:
        raise UsageError(f"%mlops_data {args.action} does not take {', '.join(wrong)}")
    return args, _call(args)


def _call(args: Any) -> Call:
    def given(**items: Any) -> dict[str, Any]:
        return {k: v for k, v in items.items() if v not in (None, False, [], "")}

    paths = args.paths or None
    if args.action == "pin":
        return Call("pin", [_pin_target(args.paths)],
                    given(push=args.push, message=args.message, remote=args.remote, init=args.init))
    if args.action == "status":
        return Call("data_status", [paths], given(remote=args.remote))
    if args.action == "push":
        return Call("push_pinned", [paths], given(remote=args.remote))
    if args.action == "commit":
        return Call("commit_pinned", [paths, args.message])
    if args.action == "load":
        return Call("load", [args.paths[0]], {**given(rev=_one_rev(args.rev), remote=args.remote),
                                              **({"as_frame": False} if args.as_path else {})})
    rev_b = args.rev[1] if len(args.rev) > 1 else None
    key = args.key[0] if args.key and len(args.key) == 1 else args.key
    return Call("data_diff", [args.paths[0], args.rev[0]], given(rev_b=rev_b, key=key, remote=args.remote))


def _pin_target(paths: list[str]) -> Any:
    return paths[0] if len(paths) == 1 else list(paths)


def _one_rev(revs: list[str]) -> str | None:
    return revs[0] if revs else None


def _describe(value: Any) -> str:
    shape = getattr(value, "shape", None)
    if shape is not None and len(shape) == 2:
        return f"DataFrame {shape[0]} rows × {shape[1]} columns"
    return f"path {value}"


def export_mlops_data(line: str, cell: str | None = None) -> str:
    """Python source for one ``%mlops_data`` line: the call the magic runs, rendered."""
    args, call = _parse(line)
    if args.action in ("status", "diff"):
        return f"print({call.source()})"
    if args.action == "load" and args.as_name:
        return f"{args.as_name} = {call.source()}"
    return call.source()


SCRIPT_EXPORTS: dict[str, Callable[[str, str | None], str]] = {"mlops_data": export_mlops_data}
