"""``mlops-jupyter data status|pin|load|diff|push|commit`` and ``mlops-jupyter fingerprint``."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    """Add the data commands to the ``mlops-jupyter`` parser."""
    d = sub.add_parser("data", help="dataset versions on DVC: status, pin, load, diff, push, commit")
    dsub = d.add_subparsers(dest="data_command", metavar="ACTION", parser_class=type(d))
    d.set_defaults(func=lambda args: (d.print_help(), 2)[1])

    s = dsub.add_parser("status", help="state of every pinned dataset")
    s.add_argument("paths", nargs="*", help="only these paths")
    s.add_argument("--remote", help="DVC remote (default: the profile's dvc_remote)")
    s.add_argument("--check", action="store_true", help="exit 1 unless every pin is clean")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_status)

    p = dsub.add_parser("pin", help="track files/folders with DVC and stage the .dvc files")
    p.add_argument("paths", nargs="+", help="files or folders")
    p.add_argument("--push", action="store_true", help="push to the DVC remote (verified)")
    p.add_argument("-m", "--message", help="commit the .dvc files with this message")
    p.add_argument("--remote", help="DVC remote (default: the profile's dvc_remote)")
    p.add_argument("--init", action="store_true", help="run git init / dvc init where missing")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_pin)

    pu = dsub.add_parser("push", help="push pinned versions to the DVC remote (verified)")
    pu.add_argument("paths", nargs="*", help="pinned paths (default: every pin not on the remote yet)")
    pu.add_argument("--remote", help="DVC remote (default: the profile's dvc_remote)")
    pu.set_defaults(func=cmd_push)

    co = dsub.add_parser("commit", help="git commit the .dvc files of pins (only those files)")
    co.add_argument("paths", nargs="*", help="pinned paths (default: every uncommitted, unmodified pin)")
    co.add_argument("-m", "--message", required=True, help="commit message")
    co.set_defaults(func=cmd_commit)

    lo = dsub.add_parser("load", help="verify a pinned revision and copy it out")
    lo.add_argument("path", help="pinned file or folder")
    lo.add_argument("--rev", help="git revision (default: the working tree's pin)")
    lo.add_argument("--remote", help="DVC remote to fetch from")
    lo.add_argument("-o", "--output", help="copy the verified data here (default: print its private copy's path)")
    lo.set_defaults(func=cmd_load)

    df = dsub.add_parser("diff", help="what changed between two revisions of a pinned dataset")
    df.add_argument("path", help="pinned file or folder")
    df.add_argument("--rev", action="append", required=True, help="revision A, then optional revision B")
    df.add_argument("--key", action="append", help="key column(s) that match rows")
    df.add_argument("--remote", help="DVC remote to fetch from")
    df.add_argument("--json", action="store_true", help="print JSON")
    df.set_defaults(func=cmd_diff)

    f = sub.add_parser("fingerprint", help="full-content digest of a file, folder or table file")
    f.add_argument("paths", nargs="+", help="files or folders")
    f.add_argument("--table", action="store_true", help="read CSV/Parquet/JSON and digest the DataFrame")
    f.set_defaults(func=cmd_fingerprint)


def cmd_status(args: argparse.Namespace) -> int:
    from ..data import data_status

    st = data_status(args.paths or None, remote=args.remote)
    print(json.dumps(st.to_dict(), indent=2) if args.json else st)
    return 1 if args.check and not st.ok else 0


def cmd_pin(args: argparse.Namespace) -> int:
    from ..data import pin

    pins = pin(list(args.paths), push=args.push, message=args.message, remote=args.remote, init=args.init)
    if args.json:
        print(json.dumps([p.to_dict() for p in pins], indent=2))
    else:
        print("\n\n".join(str(p) for p in pins))
    return 0


def cmd_push(args: argparse.Namespace) -> int:
    from ..data import push_pinned

    pins = push_pinned(args.paths or None, remote=args.remote)
    if pins:
        print(f"pushed {len(pins)} pin(s) to remote '{pins[0].remote}' (verified there):")
        print("\n".join(f"  {p.path}  {p.md5[:12]}" for p in pins))
    else:
        print("nothing to push: every pin is on the remote")
    return 0


def cmd_commit(args: argparse.Namespace) -> int:
    from ..data import commit_pinned

    commit = commit_pinned(args.paths or None, args.message)
    print(f"committed the pins as {commit}" if commit else "nothing to commit: every pin is committed")
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    from ..data import load

    path = load(args.path, rev=args.rev, remote=args.remote, as_frame=False)
    if args.output:
        out = Path(args.output)
        if Path(path).is_dir():
            shutil.copytree(path, out, dirs_exist_ok=True)
        else:
            shutil.copyfile(path, out)
        print(f"verified {args.path}@{args.rev or 'workspace'} -> {out}")
    else:
        print(path)
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from ..data import data_diff

    rev_b = args.rev[1] if len(args.rev) > 1 else None
    d = data_diff(args.path, args.rev[0], rev_b, key=args.key, remote=args.remote)
    print(json.dumps(d.to_dict(), indent=2) if args.json else d)
    return 0


def cmd_fingerprint(args: argparse.Namespace) -> int:
    from ..data import fingerprint
    from ..data.loading import TABULAR, read_table

    for p in args.paths:
        kind = TABULAR.get(Path(p).suffix.lower())
        if args.table and kind:
            print(f"{fingerprint(read_table(Path(p), kind))}  {p}")
        else:
            print(f"{fingerprint(p)}  {p}")
    return 0
