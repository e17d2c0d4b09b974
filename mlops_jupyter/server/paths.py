"""Confine path arguments of REST calls to the server's root folder.

The decision is taken on the *fully decoded* text (a path is percent-decoded until it no
longer changes, so ``%252e%252e`` is seen as ``..``), then on the real path after
symlinks are resolved, compared with ``root + os.sep`` so that a sibling folder sharing
the root's prefix (``/w/proj`` vs ``/w/proj2``) is refused too.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from ..errors import MlopsError, PathOutsideRoot

MAX_PATH_CHARS = 4096
_SPLIT = re.compile(r"[/\\#?]")


class BadPath(MlopsError):
    """A path argument that is malformed (empty, control characters, too long)."""

    http_status = 400


class HiddenPath(MlopsError):
    """A hidden file or folder was named while the server hides them (reported as absent)."""

    http_status = 404


class PathNotFound(MlopsError):
    """The named file does not exist under the server root."""

    http_status = 404


@dataclass(frozen=True)
class RootPath:
    """A path argument that was checked: its real absolute path and its path under root."""

    real: Path
    relative: str


def fully_decoded(text: str, rounds: int = 5) -> str:
    """Percent-decode ``text`` until it stops changing (bounded number of rounds)."""
    current = text
    for _ in range(rounds):
        nxt = unquote(current)
        if nxt == current:
            return current
        current = nxt
    return current


def _check_text(text: str) -> None:
    if not text or not text.strip():
        raise BadPath("empty path")
    if len(text) > MAX_PATH_CHARS:
        raise BadPath("path too long")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise BadPath("path contains control characters")
    if text.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", text):
        raise PathOutsideRoot("absolute paths are not allowed", hint="give the path relative to the server root")
    if any(part == ".." for part in _SPLIT.split(text)):
        raise PathOutsideRoot("'..' is not allowed in paths", hint="give the path relative to the server root")


def _is_hidden(parts: list[str]) -> bool:
    return any(part.startswith(".") and part not in (".", "") for part in parts)


def confine(root: str | Path, path: str, allow_hidden: bool = False, must_exist: bool = False) -> RootPath:
    """Check ``path`` (relative to ``root``) and return where it really is.

    Raises :class:`BadPath` (400), :class:`PathOutsideRoot` (403), or
    :class:`HiddenPath` / :class:`PathNotFound` (404).
    """
    _check_text(path)
    decoded = fully_decoded(path)
    if decoded != path:
        _check_text(decoded)
    root_real = os.path.realpath(root)
    rel = path.replace("\\", "/").strip("/")
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if not allow_hidden and (_is_hidden(parts) or _is_hidden(decoded.split("/"))):
        raise HiddenPath(f"no file '{path}'")
    real = os.path.realpath(os.path.join(root_real, *parts))
    if real != root_real and not real.startswith(root_real.rstrip(os.sep) + os.sep):
        raise PathOutsideRoot(f"'{path}' is outside the server root")
    real_rel = os.path.relpath(real, root_real)
    if not allow_hidden and real_rel != "." and _is_hidden(real_rel.split(os.sep)):
        raise HiddenPath(f"no file '{path}'")
    if must_exist and not os.path.isfile(real):
        raise PathNotFound(f"no file '{path}' under the server root")
    return RootPath(real=Path(real), relative="/".join(parts))
