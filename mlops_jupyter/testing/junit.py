"""JUnit XML for CI: one ``<testsuite>`` per notebook, one ``<testcase>`` per test.

The layout follows the JUnit schema that Jenkins, GitLab and GitHub test reporters read
(``testsuites > testsuite > testcase > failure|error|skipped``); errors outside the tests
(a cell that raised, a timeout) become a ``<testcase name="notebook">`` with an ``<error>``.
"""

from __future__ import annotations

import re
import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from .._util import atomic_write_text
from .report import TestReport

_BAD_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _clean(text: str) -> str:
    return _BAD_XML.sub("?", text)


def junit_tree(reports: Sequence[TestReport]) -> ET.Element:
    """The ``<testsuites>`` element for the per-notebook reports."""
    root = ET.Element("testsuites", name="mlops-jupyter test")
    totals = {"tests": 0, "failures": 0, "errors": 0, "time": 0.0}
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    for rep in reports:
        c = rep.counts()
        errors = c["error"] + len(rep.errors_outside_tests)
        tests = c["total"] + len(rep.errors_outside_tests)
        suite = ET.SubElement(root, "testsuite", name=rep.notebook or rep.name, tests=str(tests),
                              failures=str(c["failed"]), errors=str(errors), skipped=str(c["skipped"]),
                              time=f"{rep.duration:.3f}", timestamp=stamp, hostname=socket.gethostname())
        stem = Path(rep.notebook).stem if rep.notebook else rep.name
        for case in rep.cases:
            tc = ET.SubElement(suite, "testcase", name=case.name, classname=f"{stem}.{case.cell}",
                               time=f"{case.duration:.3f}")
            if case.outcome in ("failed", "error"):
                tag = "failure" if case.outcome == "failed" else "error"
                el = ET.SubElement(tc, tag, message=_clean(case.message[:500]), type=case.message.split(":")[0][:100])
                where = f"{rep.notebook} {case.cell}, line {case.line}\n" if case.line else ""
                el.text = _clean(where + (case.longrepr or case.diff or case.message))
            elif case.outcome == "skipped":
                ET.SubElement(tc, "skipped", message=_clean(case.message[:500]))
            if case.stdout:
                ET.SubElement(tc, "system-out").text = _clean(case.stdout)
        for text in rep.errors_outside_tests:
            tc = ET.SubElement(suite, "testcase", name="notebook", classname=f"{stem}.notebook", time="0.000")
            el = ET.SubElement(tc, "error", message=_clean(text[:500]), type="NotebookError")
            el.text = _clean(text)
        totals["tests"] += tests
        totals["failures"] += c["failed"]
        totals["errors"] += errors
        totals["time"] += rep.duration
    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals["failures"]))
    root.set("errors", str(totals["errors"]))
    root.set("time", f"{totals['time']:.3f}")
    return root


def write_junit(reports: Sequence[TestReport], path: str | Path) -> Path:
    """Write the JUnit XML file (atomically) and return its path."""
    root = junit_tree(reports)
    ET.indent(root)
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, text)
    return out
