"""A magic line is parsed and checked once into a call: the kernel runs it, the exporter
renders it. The core exporter knows no magic: script forms come from the registry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError

from mlops_jupyter.calls import Call, Code, Ref
from mlops_jupyter.export import registry
from mlops_jupyter.magics.tracking import SCRIPT_EXPORTS as TRACK_EXPORTS


def test_call_source_renders_references_code_and_values() -> None:
    call = Call("drift", [Ref("ref"), Ref("data/cur.csv"), Ref("'quoted name'")],
                {"columns": ["a"], "tags": {"n": Code("n + 1"), "v": Code("v", bare=True), "k": 1}})
    assert call.source() == ("mj.drift(ref, 'data/cur.csv', 'quoted name', columns=['a'], "
                             "tags={'n': (n + 1), 'v': v, 'k': 1})")
    compile(call.source(), "<call>", "eval")


def test_call_runs_the_public_api_with_resolved_references(project: Path) -> None:
    import pandas as pd

    frames = {"ref": pd.DataFrame({"a": range(50)}), "cur": pd.DataFrame({"a": range(50)})}
    report = Call("drift", [Ref("ref"), Ref("cur")], {"name": "x"}).run(lambda r: frames[r.text])
    assert report.name == "x" and not report.drifted
    with pytest.raises(TypeError, match="source code"):
        Call("log", [{"a": Code("x")}]).run()


@pytest.mark.parametrize("line", [
    "model", "model a b", "artifact", "log", "log novalue", "param", "log =1", "--bogus", "",
])
def test_tracking_checks_a_line_once_for_kernel_and_export(ip: Any, line: str) -> None:
    with pytest.raises(UsageError) as in_kernel:
        ip.run_line_magic("mlops_track", line)
    with pytest.raises(UsageError) as in_export:
        TRACK_EXPORTS["mlops_track"](line, None)
    assert str(in_kernel.value) == str(in_export.value)


def test_core_exporter_imports_no_magics() -> None:
    code = ("import sys\nimport mlops_jupyter.export.script, mlops_jupyter.export.registry, mlops_jupyter.export.build\n"
            "print(sorted(m for m in sys.modules if m.startswith('mlops_jupyter.magics')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]"


def test_registry_gives_the_magics_script_forms_and_takes_new_ones() -> None:
    exports = registry.script_exports()  # loaded through the mlops_jupyter.script_exports entry point
    assert {"mlops_track", "mlops_data", "validate", "drift", "mlops_promote", "mlops_env",
            "mlops_doctor", "mlops_export", "mlops_serve", "mlops_monitor", "mlops_test"} <= set(exports)
    registry.register_script_export("my_magic", lambda line, cell: f"print({line!r})")
    try:
        from mlops_jupyter.export.script import _Converter

        src = _Converter(registry.script_exports()).convert("%my_magic hello", "cell 0")
        assert src.strip() == "print('hello')"
    finally:
        registry.reset()
    assert "my_magic" not in registry.script_exports()


def test_without_any_script_form_the_error_says_to_reinstall() -> None:
    from mlops_jupyter.errors import ExportError
    from mlops_jupyter.export.script import _Converter

    with pytest.raises(ExportError) as info:
        _Converter({}).convert("%drift a b", "cell 3")
    assert "no magic registered a script form" in info.value.message and "reinstall" in (info.value.hint or "")


def test_a_resolved_call_never_walks_user_data_again() -> None:
    class Huge(list):  # a user's list: walking it looking for Code would be a cost
        def __iter__(self):  # type: ignore[no-untyped-def]
            raise AssertionError("walked")

    call = Call("drift", [Ref("x")]).resolved(lambda ref: Huge([1]))
    assert call.ready and call.resolved() is call
