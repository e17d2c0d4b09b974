"""``mj.validate``: run rules and/or a suite on a DataFrame or a CSV/Parquet file."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from ..config import check_keys
from ..errors import DataError, MlopsUsageError, ValidationFailed
from ..session import session
from .engine import DEFAULT_SAMPLE, run_rules
from .language import Rule, parse_rules
from .report import ValidationReport
from .suites import Suite, load_suite, save_suite

SETTINGS_KEYS: dict[str, Any] = {"model": str, "alias": str, "sample": int}
MAX_SAMPLE = 100


def validation_settings() -> dict[str, Any]:
    """The ``[validation]`` table of the config, with its keys checked."""
    table = session.config().section("validation")
    check_keys("[validation]", table, SETTINGS_KEYS)
    return table


def current_run() -> Any:
    """The active run handle, or None (tracking may not be set up at all)."""
    try:
        from ..tracking import current_run as _current
    except ImportError:
        return None
    return _current()


def read_data(path: str | Path) -> Any:
    """Read a CSV or Parquet file into a DataFrame; a bad path is a :class:`DataError`."""
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise DataError(f"no data file '{path}'", hint="give a DataFrame variable or a CSV/Parquet path")
    suffix = "".join(p.suffixes[-2:]).lower()
    try:
        if suffix.endswith((".parquet", ".pq")):
            return pd.read_parquet(p)
        if suffix.endswith((".csv", ".csv.gz", ".tsv")):
            return pd.read_csv(p, sep="\t" if ".tsv" in suffix else ",")
    except Exception as exc:
        raise DataError(f"cannot read {path}: {' '.join(str(exc).split())[:200]}") from None
    raise DataError(f"'{path}' is not a CSV or Parquet file", hint="supported: .csv, .tsv, .parquet")


def _as_frame(data: Any) -> tuple[Any, str]:
    import pandas as pd

    if isinstance(data, (str, Path)):
        return read_data(data), str(data)
    if isinstance(data, pd.Series):
        return data.to_frame(), f"Series {data.name!r}"
    if isinstance(data, pd.DataFrame):
        return data, "DataFrame"
    raise MlopsUsageError(f"cannot validate a {type(data).__name__}",
                          hint="pass a pandas DataFrame or a CSV/Parquet path")


def validate(data: Any, rules: str | list[str] | None = None, suite: str | Suite | None = None, *,
             warn_only: bool = False, sample: int | None = None, save: str | None = None,
             name: str | None = None, engine: str | None = None) -> ValidationReport:
    """Check ``data`` against ``rules`` (rule-language text) and/or a saved ``suite``.

    ``data`` is a DataFrame or a CSV/Parquet path. ``sample`` caps the failing values kept
    per rule (default 5, or ``sample`` in ``[validation]``). ``save`` writes the given rules
    as suite ``save``. Inside an active run the pass fraction is logged as metrics and the
    report as a JSON artifact; every call is recorded in the check history. Raises
    :class:`~mlops_jupyter.errors.ValidationFailed` (with ``.report``) when a rule fails,
    unless ``warn_only``. ``engine``: ``pandas`` | ``duckdb`` | ``spark`` (default: chosen from
    ``data``: a folder, glob or DuckDB relation runs on DuckDB, a Spark frame on Spark; see
    :mod:`mlops_jupyter.engines`).
    """
    if rules is None and suite is None:
        raise MlopsUsageError("nothing to check: give rules or a suite",
                              hint="e.g. mj.validate(df, rules='price between 0 and 1000')")
    parsed: list[Rule] = []
    the_suite: Suite | None = None
    if suite is not None:
        the_suite = suite if isinstance(suite, Suite) else load_suite(suite)
        parsed += the_suite.parsed()
    if rules is not None:
        parsed += parse_rules(rules)
    if sample is None:
        sample = int(validation_settings().get("sample", DEFAULT_SAMPLE))
    if not 0 <= sample <= MAX_SAMPLE:
        raise MlopsUsageError(f"sample must be between 0 and {MAX_SAMPLE}, got {sample}")
    if save:
        if rules is None:
            raise MlopsUsageError("--save needs rules in the cell (or rules=...)")
        save_suite(rules, save)
    from ..engines.source import detect_engine, to_pandas_input

    chosen = detect_engine(data, engine)
    started = time.perf_counter()
    if chosen == "pandas":
        frame, target = _as_frame(to_pandas_input(data))
        results = run_rules(frame, parsed, sample=sample)
        n_rows, n_cols = len(frame), frame.shape[1]
    else:
        from ..engines.dispatch import validate_rules

        results, n_rows, n_cols, target = validate_rules(chosen, data, parsed, sample)
    label = name or save or (the_suite.name if the_suite else "rules")
    report = ValidationReport(name=label, target=target, rows=n_rows, columns=n_cols,
                              results=results, seconds=time.perf_counter() - started, warn_only=warn_only)
    return finish(report, warn_only)


def _metric_key(name: str) -> str:
    return "validation." + re.sub(r"[^A-Za-z0-9_\-.]", "_", name)


def finish(report: ValidationReport, warn_only: bool) -> ValidationReport:
    """Record the report (check history, active run) and raise when it failed."""
    from ..checks import record_check

    record_check("validation", report.name, report.ok, report.summary())
    handle = current_run()
    if handle is not None:
        key = _metric_key(report.name)
        summary = report.summary()
        handle.log_metrics({f"{key}.pass_fraction": report.pass_fraction,
                            f"{key}.failed_rules": summary["failed"] + summary["errors"]})
        handle.log_dict(report.to_dict(), f"validation/{key[len('validation.'):]}.json")
    if not report.ok and not warn_only:
        first = report.failed[0]
        raise ValidationFailed(
            f"{report.headline()}; first: line {first.line} '{first.rule}': {first.message}",
            report=report,
            hint="see the report above (exc.report); --warn-only shows it without stopping",
        )
    return report
