"""Small helpers shared by the surfaces (magics, CLI): typed ``k=v`` parsing, atomic writes,
the one YAML writer."""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from .errors import MlopsUsageError

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$")
_INT = re.compile(r"^[+-]?\d+$")


def parse_value(text: str) -> Any:
    """Turn CLI/magic text into a typed value: int, float (incl. nan/inf), bool, None, str."""
    raw = text.strip()
    low = raw.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    if _INT.match(raw):
        return int(raw)
    try:
        value = float(raw)
    except ValueError:
        pass
    else:
        return value
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    return raw


def parse_pairs(items: list[str], what: str = "argument") -> dict[str, Any]:
    """Parse ``["a=1", "b=x"]`` into ``{"a": 1, "b": "x"}``; bad items raise a usage error."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise MlopsUsageError(f"{what} '{item}' is not of the form name=value")
        if not _IDENT.match(key):
            raise MlopsUsageError(f"{what} name '{key}' is not a valid name")
        out[key] = parse_value(value)
    return out


def current_umask() -> int:
    """The process umask, read without changing it (``os.umask`` can only be read by
    setting it, which races with threads creating files meanwhile)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no /proc: the racy way, restored at once
    os.umask(mask)
    return mask


def atomic_write_text(path: Path | str, text: str) -> None:
    """Write ``text`` so that readers see the old or the new file, never half of one.

    The file gets the mode a plain ``open(path, "w")`` would give it: an existing file
    keeps its mode, a new one gets ``0o666`` minus the umask (``mkstemp`` alone gives 0600).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        mode = 0o666 & ~current_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            if hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def swap_dirs(new: Path, target: Path) -> Path:
    """Put the folder ``new`` at ``target`` (an existing folder) in one step; return where
    the old ``target`` now is (for the caller to delete).

    Linux exchanges both names atomically (``renameat2(RENAME_EXCHANGE)``): at every
    instant ``target`` is the complete old or the complete new folder. Elsewhere two
    renames leave a moment without ``target``, with the old folder kept aside.
    """
    if _exchange(new, target):
        return new
    aside = target.with_name(f".{target.name}.old-{os.getpid()}-{os.urandom(3).hex()}")
    os.rename(target, aside)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(aside, target)
        raise
    return aside


def _exchange(a: Path, b: Path) -> bool:
    import ctypes
    import errno
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):  # old kernel or file system
        return False
    raise OSError(err, os.strerror(err), str(b))


def atomic_write_json(path: Path | str, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def json_safe(obj: Any) -> Any:
    """A copy of ``obj`` that strict JSON accepts: NaN/±inf become None, tuples lists,
    numpy scalars Python numbers, anything else unknown its ``str``."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    item = getattr(obj, "item", None)  # numpy scalar
    if callable(item):
        try:
            return json_safe(item())
        except (TypeError, ValueError):
            pass
    return str(obj)


# Plain scalars that some YAML resolver reads as something other than a string. YAML 1.1
# (PyYAML, Go yaml.v2, many CI tools) and 1.2 (ruamel.yaml, GitHub's and GitLab's parsers)
# disagree: 1.1 reads yes/no/on/off/y/n, 12:30:00 and 2026-11-29 as bool, int and date; 1.2
# reads 1e3 and 0o17 as 1000.0 and 15, which PyYAML leaves plain. Every non-string scalar of
# either schema starts with a digit, a sign, a dot, ``~``, ``=`` or ``<`` (merge key), or is
# one of the words below (any case): such strings are always quoted. Over-quoting is harmless.
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", ""})
_YAML_LEADS = frozenset("0123456789+-.~=<")
_YAML_BREAKS = frozenset("\r\x85\u2028\u2029\ufeff")


def yaml_needs_quotes(text: str) -> bool:
    """Would any YAML 1.1 or 1.2 resolver read ``text`` written plain as a non-string?"""
    return text.lower() in _YAML_WORDS or text[0] in _YAML_LEADS


def _yaml_dumper() -> Any:
    import yaml

    class QuotingDumper(yaml.SafeDumper):
        """``yaml.SafeDumper`` that quotes strings a 1.2 reader would not read as strings."""

    def represent_str(dumper: Any, data: str) -> Any:
        if any(ch in _YAML_BREAKS for ch in data):
            # PyYAML writes these raw inside plain, single-quoted or block scalars, where a
            # reader folds them as line breaks: only double quotes escape them
            return dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')
        if yaml_needs_quotes(data):
            return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="'")
        return yaml.SafeDumper.represent_str(dumper, data)

    QuotingDumper.add_representer(str, represent_str)
    QuotingDumper.add_representer(tuple, yaml.SafeDumper.represent_list)
    return QuotingDumper


_DUMPER: Any = None


def dump_yaml(obj: Any) -> str:
    """The one YAML writer: data only (``safe_dump``, never a text template), key order
    kept, and every string read back as the same string by YAML 1.1 and 1.2 readers.

    Single quotes are asked for; the emitter falls back to double quotes (with escapes)
    for strings that cannot be single-quoted (control characters, line breaks).
    """
    import yaml

    global _DUMPER
    if _DUMPER is None:
        _DUMPER = _yaml_dumper()
    return yaml.dump(obj, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=1000,
                     default_flow_style=False)


def renamed_option(old: str, new: str, old_value: Any, new_value: Any, where: str) -> Any:
    """The value of an option renamed from ``old`` to ``new``: ``old`` still works with a
    ``FutureWarning`` (shown to notebook and CLI users, unlike ``DeprecationWarning``);
    both at once is a usage error."""
    if old_value is None:
        return new_value
    if new_value is not None:
        raise MlopsUsageError(f"{where}: give {new} only ({old} is its old name)")
    import warnings

    warnings.warn(f"{where}: {old} is deprecated, use {new}", FutureWarning, stacklevel=3)
    return old_value


OptionTable = list[tuple[tuple[str, ...], dict[str, Any]]]


def add_options(add: Any, table: OptionTable) -> None:
    """Declare a topic's option table through ``add(*flags, **kwargs)``: argparse's
    ``add_argument`` for the CLI, IPython's ``argument`` for the magic (the same table)."""
    for flags, kw in table:
        add(*flags, **kw)
