"""A notebook's test suite run from outside: ``mlops-jupyter test``, the pytest plugin, jobs.

The notebook runs in a fresh kernel, top to bottom, with papermill parameters injected
after its ``parameters`` cell. Its test cells (tagged ``mlops-test`` or starting with
``%%mlops_test``) run where they stand, through ``%%mlops_test --name cell-N``, so each
sees the namespace of the cells above it. Every test cell appends its report to a JSON-lines
file named by ``MLOPS_TEST_RESULTS``: results survive a later crash or timeout.

An error in an ordinary cell stops the notebook (it is reported as an error outside the
tests); an error in a test cell (a syntax error) is reported and the notebook goes on.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import MlopsUsageError
from .incell import TestCellError
from .outputs import OUTPUT_TAG
from .report import TestReport

TEST_TAG = "mlops-test"
MAGIC = "%%mlops_test"
DEFAULT_TIMEOUT = 600.0


def is_test_cell(cell: Any) -> bool:
    """A code cell tagged ``mlops-test`` or starting with ``%%mlops_test``."""
    if cell.get("cell_type") != "code":
        return False
    tags = cell.get("metadata", {}).get("tags", []) or []
    source = cell.get("source", "")
    if isinstance(source, list):  # raw JSON stores source as a list of lines
        source = "".join(source)
    return TEST_TAG in tags or source.lstrip().startswith(MAGIC)


def read_notebook(path: str | Path) -> Any:
    """Read a notebook (v4), or a one-line usage error naming the problem."""
    import nbformat

    p = Path(path)
    if not p.is_file():
        raise MlopsUsageError(f"notebook not found: {p}")
    try:
        return nbformat.read(str(p), as_version=4)
    except Exception as exc:  # invalid JSON or not a notebook
        raise MlopsUsageError(f"cannot read notebook {p}: {' '.join(str(exc).split())[:200]}") from None


def _kernel_name(nb: Any, path: Path, kernel: str | None) -> str:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    name = kernel or (nb.metadata.get("kernelspec") or {}).get("name")
    if not name:
        raise MlopsUsageError(f"notebook {path} has no kernel spec (metadata.kernelspec.name)",
                              hint="give one with --kernel python3, or save the notebook from Jupyter")
    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise MlopsUsageError(f"kernel '{name}' of notebook {path} is not installed",
                              hint="list kernels with `jupyter kernelspec list`; pick one with --kernel") from None
    return name


def _header(source: str, index: int, timeout: float, cov: bool = False) -> str:
    """The test cell's source with a ``%%mlops_test`` line naming it ``cell-N``."""
    stripped = source.lstrip()
    if stripped.startswith(MAGIC):
        first, _, body = stripped.partition("\n")
        opts = first[len(MAGIC):]
        if "--name" not in opts:
            opts += f" --name cell-{index}"
        if "--timeout" not in opts:
            opts += f" --timeout {timeout:g}"
        if cov and "--cov" not in opts:
            opts += " --cov"
        return f"{MAGIC}{opts}\n{body}"
    return f"{MAGIC} --name cell-{index} --first-line 1 --timeout {timeout:g}{' --cov' if cov else ''}\n{source}"


def prepare(nb: Any, parameters: dict[str, Any], timeout: float, cov: bool = False) -> tuple[Any, list[int]]:
    """Inject parameters and the extension; mark test cells; return the notebook and the
    indexes (in the original notebook, 1-based) of its test cells and output checks."""
    import copy

    import nbformat

    from .outputs import is_output_check

    for key in parameters:
        if not key.isidentifier():
            raise MlopsUsageError(f"parameter name '{key}' is not a Python identifier")
    tests: list[int] = []
    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])  # papermill reads cell.metadata.tags of every cell
    nb.metadata.setdefault("papermill", {})
    for i, cell in enumerate(nb.cells, start=1):
        if is_output_check(cell):
            tests.append(i)
            cell.metadata["mlops_check_output"] = {"index": i, "saved": copy.deepcopy(cell.get("outputs", []))}
        if is_test_cell(cell):
            tests.append(i)
            cell.source = _header(cell.source, i, timeout, cov)
            tags = list(cell.metadata.get("tags", []))
            cell.metadata["tags"] = [*tags, "raises-exception"]  # a broken test cell does not stop the rest
    if parameters:
        from papermill.parameterize import parameterize_notebook

        nb = parameterize_notebook(nb, parameters)
    setup = nbformat.v4.new_code_cell("%load_ext mlops_jupyter")
    setup.metadata["tags"] = ["mlops-setup"]
    nb.cells.insert(0, setup)
    return nb, tests


def test_notebook(path: str | Path, parameters: dict[str, Any] | None = None,
                  timeout: float | None = None, kernel: str | None = None, cov: bool = False,
                  env: dict[str, str] | None = None, cwd: str | Path | None = None,
                  until_last_test: bool = False) -> TestReport:
    """Execute one notebook in a fresh kernel and run its test cells; one report.
    ``until_last_test`` leaves out the cells below the last test cell (a job's test stage:
    the training cells below the tests run once, in the job itself).
    ``cov=True`` adds the coverage of the notebook's cells by all its test cells."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    p = Path(path)
    nb = read_notebook(p)
    name = _kernel_name(nb, p, kernel)
    limit = float(timeout or DEFAULT_TIMEOUT)
    if until_last_test:
        last = max((i for i, c in enumerate(nb.cells) if is_test_cell(c)), default=len(nb.cells) - 1)
        nb.cells = nb.cells[: last + 1]
    sources = [c.source.strip() if c.cell_type == "code" else None for c in nb.cells]
    nb, tests = prepare(nb, dict(parameters or {}), limit, cov)
    if not tests:
        raise TestCellError(f"notebook {p} has no test cells",
                            hint=f"tag a code cell '{TEST_TAG}' (or '{OUTPUT_TAG}') or start it with {MAGIC}")
    report = TestReport(name=p.stem, notebook=str(p))
    with tempfile.TemporaryDirectory(prefix="mlops-nbtest-") as tmp:
        results = Path(tmp) / "results.jsonl"
        kernel_env = {**os.environ, **(env or {}), "MLOPS_TEST_RESULTS": str(results), "MLOPS_HEADLESS": "1",
                      "PYDEVD_DISABLE_FILE_VALIDATION": "1"}

        def cell_timeout(cell: Any) -> int:
            # test cells are time-boxed per test inside the kernel; this is the backstop
            if is_test_cell(cell):
                return int(limit * 20 + 60)
            return int(limit)

        client = NotebookClient(nb, kernel_name=name, timeout=int(limit), timeout_func=cell_timeout,
                                extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no TCP notice
                                resources={"metadata": {"path": str(Path(cwd or p.parent).resolve())}})
        start = time.perf_counter()
        try:
            client.execute(env=kernel_env)
        except CellTimeoutError:
            index = _running_cell(nb)
            report.errors_outside_tests.append(
                f"{p}: cell {index} did not finish within {limit:g} s (--timeout); the kernel was stopped")
        except DeadKernelError as exc:
            report.errors_outside_tests.append(f"{p}: the kernel died: {' '.join(str(exc).split())[:300]}")
        except CellExecutionError as exc:
            report.errors_outside_tests.append(f"{p}: cell {_running_cell(nb)} failed: {_exc_line(exc)}")
        report.duration = time.perf_counter() - start
        # as in the kernel, a later run of a test cell with the same name replaces the earlier
        # one's results (a notebook that shows a bug caught, then fixed, passes); coverage
        # counts every run
        latest: dict[str, TestReport] = {}
        for line in results.read_text(encoding="utf-8").splitlines() if results.exists() else []:
            cell_report = TestReport.from_dict(json.loads(line))
            latest.pop(cell_report.name, None)
            latest[cell_report.name] = cell_report
            if cell_report.coverage is not None:
                if report.coverage is None:
                    report.coverage = cell_report.coverage
                else:
                    report.coverage.merge(cell_report.coverage)
        for cell_report in latest.values():
            report.cases.extend(cell_report.cases)
            report.errors_outside_tests.extend(f"{p}: {cell_report.name}: {e}" for e in cell_report.errors_outside_tests)
            report.warnings.extend(cell_report.warnings)
    if report.coverage is not None:
        for lines in report.coverage.cells:  # name cells as the notebook numbers them
            if lines.source.strip() in sources:
                lines.cell = f"cell-{sources.index(lines.source.strip()) + 1}"
                for f in lines.functions:
                    f.cell = lines.cell
    report.errors_outside_tests.extend(_test_cell_errors(nb, p))
    report.cases.extend(_output_checks(nb))
    for case in report.cases:
        case.notebook = str(p)
    return report


def _output_checks(nb: Any) -> list[Any]:
    """Cells tagged ``mlops-check-output``: new outputs against the saved ones."""
    from .outputs import compare_cell

    out = []
    for cell in nb.cells:
        mark = cell.get("metadata", {}).get("mlops_check_output")
        if not mark:
            continue
        label = f"cell-{mark['index']}"
        if cell.get("execution_count") is None:
            from .report import TestCase

            out.append(TestCase(name=f"output[{label}]", outcome="skipped", cell=label,
                                message="not executed (the notebook stopped earlier)"))
            continue
        out.append(compare_cell(mark["saved"], cell.get("outputs", []), label))
    return out


def _running_cell(nb: Any) -> int:
    """1-based index (in the user's notebook) of the last cell that started executing."""
    last = 0
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") == "code" and cell.get("metadata", {}).get("execution", {}).get(
                "iopub.execute_input"):
            last = i
    return last  # cell 0 is our setup cell, so index i is the user's cell i


def _exc_line(exc: Any) -> str:
    ename, evalue = getattr(exc, "ename", ""), getattr(exc, "evalue", "")
    if ename:
        return f"{ename}: {evalue}"[:300]
    return " ".join(str(exc).split())[-300:]


def _test_cell_errors(nb: Any, path: Path) -> list[str]:
    """Errors raised by test cells themselves (syntax errors, --fail), one line each."""
    out = []
    for i, cell in enumerate(nb.cells):
        if i == 0 or not is_test_cell(cell):
            continue
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error":
                text = f"{o.get('ename', 'Error')}: {o.get('evalue', '')}"
                out.append(f"{path}: test cell {i}: {' '.join(text.split())[:300]}")
    return out


def test_notebooks(paths: Sequence[str | Path], parameters: dict[str, Any] | None = None,
                   junit: str | Path | None = None, timeout: float | None = None,
                   kernel: str | None = None, cov: bool = False) -> TestReport:
    """``mlops-jupyter test``: each notebook in a fresh kernel, then one combined report
    (``.notebook`` on each case); ``junit`` writes a JUnit XML file for CI."""
    if not paths:
        raise MlopsUsageError("give at least one notebook")
    reports = [test_notebook(p, parameters, timeout, kernel, cov) for p in paths]
    combined = TestReport(name="notebooks" if len(reports) > 1 else reports[0].name,
                          notebook=reports[0].notebook if len(reports) == 1 else "")
    for r in reports:
        combined.merge(r)
    combined.coverage = _combined_coverage(reports)
    if junit:
        from .junit import write_junit

        write_junit(reports, junit)
    from .api import record_report

    record_report(combined)
    return combined


def _combined_coverage(reports: Sequence[TestReport]) -> Any:
    """One coverage over every measured notebook (None when none was measured). With several
    notebooks each cell and function is labelled with its notebook's file name, so two
    notebooks' "cell-2" stay apart and the total is over all their statements."""
    measured = [r for r in reports if r.coverage is not None]
    if len(reports) == 1 or not measured:
        return reports[0].coverage if len(reports) == 1 else None
    from dataclasses import replace

    from .cellcoverage import CellCoverage

    cells = []
    for r in measured:
        tag = Path(r.notebook).name or r.name
        for c in r.coverage.cells:
            label = f"{tag} {c.cell}"
            cells.append(replace(c, cell=label, functions=[replace(f, cell=label) for f in c.functions]))
    return CellCoverage(cells)


test_notebook.__test__ = False  # type: ignore[attr-defined]
test_notebooks.__test__ = False  # type: ignore[attr-defined]
