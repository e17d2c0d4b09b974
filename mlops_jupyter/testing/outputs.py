"""Output regression, opt-in per cell (tag ``mlops-check-output``).

After ``mlops-jupyter test`` re-executes a notebook, each tagged cell's new outputs are
compared with the outputs saved in the notebook. Compared: stream text, the ``text/plain``
of results and displays, and errors (name and message); images and HTML are not (they
differ byte for byte between runs). Sanitizers blank what is volatile: run ids (32 hex),
UUIDs, memory addresses, ISO timestamps and dates, durations (``in 0.12 s``, ``Wall
time: …``); numbers are compared with a relative tolerance (float noise). A mismatch is a
failed test case with a unified diff of the sanitised texts.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any

from .report import TestCase

OUTPUT_TAG = "mlops-check-output"
REL_TOL = 1e-6
ABS_TOL = 1e-9

SANITIZERS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<id>"),
    (re.compile(r"\b0x[0-9a-fA-F]{6,16}\b"), "<address>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?\b"), "<time>"),
    (re.compile(r"(Wall time|CPU times|user|sys|total): [^\n]*"), r"\1: <duration>"),
    (re.compile(r"\bin \d+(\.\d+)? ?(s|ms|µs|us|seconds|minutes)\b"), "in <duration>"),
    (re.compile(r"\b\d+(\.\d+)? ?(ms|µs|us)\b"), "<duration>"),
]
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def is_output_check(cell: Any) -> bool:
    return cell.get("cell_type") == "code" and OUTPUT_TAG in (cell.get("metadata", {}).get("tags") or [])


def output_text(outputs: list[Any]) -> str:
    """The comparable text of a cell's outputs."""
    parts = []
    for o in outputs:
        kind = o.get("output_type")
        if kind == "stream":
            text = o.get("text", "")
            parts.append("".join(text) if isinstance(text, list) else text)
        elif kind in ("execute_result", "display_data"):
            plain = o.get("data", {}).get("text/plain", "")
            parts.append(("".join(plain) if isinstance(plain, list) else plain) + "\n")
        elif kind == "error":
            parts.append(f"{o.get('ename', '')}: {o.get('evalue', '')}\n")
    return "".join(parts)


def sanitize(text: str) -> str:
    for pattern, repl in SANITIZERS:
        text = pattern.sub(repl, text)
    return text


def _close(a: str, b: str, rel: float, abs_: float) -> bool:
    """Equal texts, where the numbers may differ within the tolerance."""
    na, nb = _NUMBER.findall(a), _NUMBER.findall(b)
    if _NUMBER.sub("#", a) != _NUMBER.sub("#", b) or len(na) != len(nb):
        return False
    return all(x == y or math.isclose(float(x), float(y), rel_tol=rel, abs_tol=abs_) for x, y in zip(na, nb, strict=True))


def compare_cell(saved: list[Any], new: list[Any], label: str, rel: float = REL_TOL,
                 abs_: float = ABS_TOL) -> TestCase:
    """One test case: the cell's new outputs against its saved ones."""
    name = f"output[{label}]"
    before, after = sanitize(output_text(saved)), sanitize(output_text(new))
    if not saved:
        return TestCase(name=name, outcome="skipped", cell=label, message="no saved output to compare with")
    if _close(before, after, rel, abs_):
        return TestCase(name=name, outcome="passed", cell=label)
    diff = "\n".join(difflib.unified_diff(before.splitlines(), after.splitlines(), "saved", "now", lineterm="", n=2))
    first = next((ln for ln in diff.splitlines()[2:] if ln[:1] in "+-"), "")
    return TestCase(name=name, outcome="failed", cell=label, message=f"output differs from the saved one: {first[:200]}",
                    diff=diff[-8000:], longrepr=diff[-8000:])
