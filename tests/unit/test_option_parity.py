"""Every magic option has a twin of the same name in the CLI and in the Python API.

An option passes when its ``dest`` is the ``dest`` of an option of one of the magic's CLI
commands, and a keyword of one of its API functions (under the name :data:`API_NAME`
gives when the option is translated into a grouped keyword). Otherwise it must be listed
in :data:`SURFACE_ONLY` with the reason. Adding a magic option without its twins (or
without a reason) fails here. Positional arguments are not options and are not compared.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
from collections.abc import Callable
from typing import Any

import pytest

import mlops_jupyter as mj
from mlops_jupyter.cli import build_parser
from mlops_jupyter.magics import MAGIC_CLASSES

# magic -> (its CLI commands, its API functions)
TWINS: dict[str, tuple[list[tuple[str, ...]], list[str]]] = {
    "mlops_env": ([("env",)], ["use_env", "current_env"]),
    "mlops_doctor": ([("doctor",)], ["doctor"]),
    "mlops_track": ([("runs",), ("sync",)],
                    ["start_run", "track", "log", "log_params", "log_model", "log_artifact", "end_run", "compare"]),
    "mlops_data": ([("data", a) for a in ("pin", "status", "load", "diff", "push", "commit")],
                   ["pin", "data_status", "load", "data_diff", "push_pinned", "commit_pinned"]),
    "validate": ([("validate",)], ["validate", "infer_suite", "check_metrics"]),
    "drift": ([("drift",)], ["drift"]),
    "mlops_export": ([("export",)], ["export_notebook"]),
    "mlops_promote": ([("promote",)], ["promote"]),
    "mlops_serve": ([("serve",)], ["serve", "stop_service"]),
    "mlops_monitor": ([("monitor",)], ["monitor"]),
    "mlops_test": ([("test",)], ["run_tests", "test_notebooks"]),
}

# (magic, option dest) -> the API keyword it sets, when that is another name by design
API_NAME: dict[tuple[str, str], str] = {
    ("mlops_data", "as_path"): "as_frame",  # --path is as_frame=False
    ("mlops_promote", "eval"): "eval_data",
    ("mlops_promote", "min"): "metrics", ("mlops_promote", "max"): "metrics",
    ("mlops_promote", "min_delta"): "metrics", ("mlops_promote", "min_rel_delta"): "metrics",
    ("mlops_promote", "ab_metric"): "ab", ("mlops_promote", "ab_test"): "ab", ("mlops_promote", "rule"): "ab",
    ("mlops_promote", "delta"): "ab", ("mlops_promote", "confidence"): "ab", ("mlops_promote", "n_boot"): "ab",
    ("mlops_promote", "seed"): "ab", ("mlops_promote", "midp"): "ab",
    ("mlops_promote", "fail"): "raise_on_fail",
    ("mlops_serve", "stop"): "name",  # stop_service(name)
    ("validate", "infer"): "name",  # --infer NAME is mj.infer_suite(data, name=NAME)
}

RUN_IN_ONE_PROCESS = "a run lives in one Python process: a CLI command cannot hold it between commands"
# (magic, option dest) -> (surfaces without a twin: "cli", "api" or both, reason)
SURFACE_ONLY: dict[tuple[str, str], tuple[set[str], str]] = {
    ("mlops_env", "list"): ({"cli", "api"}, "display only: `mlops-jupyter env` always lists every profile"),
    **{("mlops_export", d): ({"api"}, "the API rehearses in its own call: rehearse_export(result, notebook, strict=...)"
                             " after export_notebook, or mj.rehearse(notebook)") for d in ("rehearse", "strict")},
    **{("mlops_track", d): ({"cli"}, RUN_IN_ONE_PROCESS) for d in (
        "name", "register", "trusted_types", "tags", "autolog", "description", "step", "status", "artifact_path",
        "metric", "mode")},
    ("mlops_data", "as_name"): ({"cli", "api"}, "assigns a notebook variable; the CLI copies out with -o instead"),
    ("mlops_data", "as_path"): ({"cli"}, "the CLI always loads a verified path (it has no DataFrame to return)"),
    ("validate", "metrics"): ({"api"}, "chooses the API function: mj.check_metrics instead of mj.validate"),
    ("drift", "chart"): ({"cli", "api"}, "display only: a chart widget in the cell"),
    ("mlops_promote", "compare"): ({"cli", "api"}, "display only: the comparison view (mj.compare_models)"),
    ("mlops_promote", "fail"): ({"cli"}, "the CLI always reports a refusal as exit code 1"),
    ("mlops_serve", "stop"): ({"cli"}, "the CLI serves in the foreground: Ctrl-C or SIGTERM stops it"),
    ("mlops_monitor", "live"): ({"cli", "api"}, "display only: a chart refreshed on a timer in the kernel"),
    **{("mlops_test", d): ({"cli"}, "one cell's pytest options; the CLI runs every test cell of whole notebooks")
       for d in ("k", "lf", "exitfirst", "name", "fail")},
    ("mlops_test", "first_line"): ({"cli"}, "internal: line numbers of the cell in tracebacks"),
}


def _magic_parsers() -> dict[str, argparse.ArgumentParser | None]:
    out: dict[str, argparse.ArgumentParser | None] = {}
    for module_name, class_name in MAGIC_CLASSES:
        cls = getattr(importlib.import_module(module_name), class_name)
        for kind in ("line", "cell"):
            for magic, method in cls.magics[kind].items():
                out[magic] = getattr(getattr(cls, method), "parser", None)
    return out


MAGIC_PARSERS = _magic_parsers()


def _options(parser: argparse.ArgumentParser | None) -> dict[str, argparse.Action]:
    if parser is None:
        return {}
    return {a.dest: a for a in parser._actions if a.option_strings and a.dest not in ("help", "json")}


def _cli_parser(path: tuple[str, ...]) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = build_parser()
    for word in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[word]
    return parser


def _api(name: str) -> Callable[..., Any]:
    return getattr(mj, name)  # type: ignore[no-any-return]


CASES = [(magic, dest) for magic, parser in sorted(MAGIC_PARSERS.items()) for dest in _options(parser)]


def test_every_magic_has_its_twins_listed() -> None:
    assert set(MAGIC_PARSERS) == set(TWINS), "add the new magic to TWINS (its CLI commands and API functions)"
    for cli, api in TWINS.values():
        for path in cli:
            _cli_parser(path)
        for name in api:
            assert callable(_api(name)), name


@pytest.mark.parametrize(("magic", "dest"), CASES, ids=[f"{m}-{d}" for m, d in CASES])
def test_magic_option_has_a_cli_and_api_twin(magic: str, dest: str) -> None:
    cli_paths, api_names = TWINS[magic]
    missing, reason = SURFACE_ONLY.get((magic, dest), (set(), ""))
    flags = "/".join(_options(MAGIC_PARSERS[magic])[dest].option_strings)
    if "cli" not in missing:
        found = [p for p in cli_paths if dest in _options(_cli_parser(p))]
        assert found, f"%{magic} {flags} has no twin in `mlops-jupyter {' | '.join(' '.join(p) for p in cli_paths)}`"
    if "api" not in missing:
        keyword = API_NAME.get((magic, dest), dest)
        found_api = [n for n in api_names if keyword in inspect.signature(_api(n)).parameters]
        assert found_api, f"%{magic} {flags} has no keyword {keyword!r} in mj.{' | mj.'.join(api_names)}"
    if missing:
        assert reason.strip(), "a surface-only option needs its reason"


@pytest.mark.parametrize("key", sorted(SURFACE_ONLY) + sorted(API_NAME), ids=str)
def test_tables_name_real_magic_options(key: tuple[str, str]) -> None:
    magic, dest = key
    assert dest in _options(MAGIC_PARSERS.get(magic)), f"stale entry: %{magic} has no option {dest}"


def test_a_new_magic_option_without_twin_fails() -> None:
    """The check itself: an option the CLI and API lack is reported (not silently passed)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--brand-new", dest="brand_new")
    MAGIC_PARSERS["drift"], saved = parser, MAGIC_PARSERS["drift"]
    try:
        with pytest.raises(AssertionError, match="--brand-new has no twin"):
            test_magic_option_has_a_cli_and_api_twin("drift", "brand_new")
    finally:
        MAGIC_PARSERS["drift"] = saved
