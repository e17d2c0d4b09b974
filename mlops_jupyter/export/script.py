"""Notebook → plain Python script (``--mode script``): every magic becomes an API call.

IPython syntax is first rewritten by IPython's own input transformer (exactly what the
kernel would run), then each ``get_ipython().run_line_magic(...)`` /
``run_cell_magic(...)`` / ``system(...)`` / ``getoutput(...)`` call is replaced:

* mlops magics by the source their registered script form gives (:mod:`.registry`: each
  magic parses its line once into an API call and renders that call; we never parse it here);
* harmless display/session magics (``%matplotlib``, ``%config``, ``%load_ext``...) by a
  comment; ``%pip``/``%conda`` by a comment (the job installs the pinned environment);
* ``%time``/``%timeit``/``%%time``/``%%capture``... by the code they wrap, run once;
* ``!cmd`` by a shell call that, like IPython, does not raise on a non-zero exit (the
  status lands in ``_exit_code``); ``x = !cmd`` by a list of output lines;
  ``%%bash``/``%%sh`` raise on failure unless ``--no-raise-error``, as IPython does;
* any other magic raises :class:`ExportError` naming the cell (use ``--mode notebook``).

The script needs no IPython; only this module (at export time) imports IPython's
transformer.
"""

from __future__ import annotations

import ast
import shlex
import textwrap

from ..errors import ExportError
from .notebook import NotebookInfo, _source
from .registry import ScriptExport, script_exports

DROPPED = {
    "matplotlib", "config", "autoreload", "aimport", "pinfo", "pinfo2", "psearch", "who",
    "whos", "who_ls", "lsmagic", "pdb", "xmode", "colors", "precision", "pprint", "magic",
    "doctest_mode", "automagic", "autocall", "page", "pdef", "pdoc", "psource", "pfile",
    "notebook", "qtconsole", "gui", "load_ext", "reload_ext", "unload_ext", "history",
    "recall", "rerun", "debug", "tb", "dhist", "bookmark", "alias", "unalias", "rehashx",
}
NOT_IN_JOBS = {"pip", "conda", "mamba", "micromamba", "uv"}
WRAPPERS_LINE = {"time", "timeit", "prun"}
WRAPPERS_CELL = {"time", "timeit", "capture", "prun"}
SHELL_CELLS = {"bash": "bash", "sh": "sh", "script": None}

PARAMS_OVERRIDE = '''\
# job parameters: the runner writes overrides to the JSON file named by MLOPS_PARAMS_FILE
import json as _mj_json
import os as _mj_os
if _mj_os.environ.get("MLOPS_PARAMS_FILE"):
    with open(_mj_os.environ["MLOPS_PARAMS_FILE"], encoding="utf-8") as _mj_fh:
        globals().update(_mj_json.load(_mj_fh))
'''

HELPERS = '''\
# helpers standing in for IPython's shell escapes (no IPython in this script)
import re as _mj_re
import subprocess as _mj_subprocess
import sys as _mj_sys
_exit_code = 0


def _mj_expand(cmd, ns):
    """IPython-style expansion of {expression} and $name (left as is if that fails)."""
    try:
        return _mj_expand_strict(cmd, ns)
    except Exception:
        return cmd


def _mj_expand_strict(cmd, ns):
    cmd = _mj_re.sub(r"(?<![$\\\\])\\$([A-Za-z_][A-Za-z0-9_]*)",
                     lambda m: str(ns[m.group(1)]) if m.group(1) in ns else m.group(0), cmd)
    return _mj_re.sub(r"\\{([^{}]+)\\}", lambda m: str(eval(m.group(1), ns)), cmd)


def _mj_system(cmd):
    """`!cmd`: run in a shell; like IPython, a failure sets _exit_code but does not raise."""
    global _exit_code
    _mj_sys.stdout.flush()
    _exit_code = _mj_subprocess.run(cmd, shell=True).returncode
    return None


def _mj_getoutput(cmd):
    """`x = !cmd`: the output lines (a plain list; IPython gives an SList)."""
    out = _mj_subprocess.run(cmd, shell=True, capture_output=True, text=True)
    return out.stdout.splitlines()


def _mj_shell_cell(program, body, raise_error=True):
    """`%%bash` / `%%sh`: raise on a non-zero exit, as IPython does by default."""
    _mj_sys.stdout.flush()
    proc = _mj_subprocess.run([program], input=body, text=True)
    if raise_error and proc.returncode != 0:
        raise _mj_subprocess.CalledProcessError(proc.returncode, program)
'''

DISPLAY_SHIM = '''\
try:
    display  # noqa: B018 (IPython gives notebooks a display() builtin)
except NameError:
    def display(*objs, **kwargs):
        for obj in objs:
            print(obj)
'''


def collect_exports() -> dict[str, ScriptExport]:
    """The script forms the magics registered (see :mod:`.registry`)."""
    return script_exports()


class _Converter:
    def __init__(self, exports: dict[str, ScriptExport]) -> None:
        from IPython.core.inputtransformer2 import TransformerManager

        self.exports = exports
        self.tm = TransformerManager()
        self.used_helpers = False

    def convert(self, source: str, where: str) -> str:
        transformed = self.tm.transform_cell(source)
        if "get_ipython" not in transformed:
            return source
        try:
            tree = ast.parse(transformed)
        except SyntaxError as exc:
            raise ExportError(f"{where} is not valid Python after magics: {exc.msg}") from None
        lines = transformed.splitlines(keepends=True)
        offsets = [0]
        for ln in lines:
            offsets.append(offsets[-1] + len(ln))
        edits: list[tuple[int, int, str]] = []
        handled: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Expr) and self._is_magic_call(node.value):
                call = node.value
                assert isinstance(call, ast.Call)
                code = self._statement(call, where)
                indent = " " * node.col_offset
                start = offsets[node.lineno - 1] + node.col_offset
                end = offsets[(node.end_lineno or node.lineno) - 1] + (node.end_col_offset or 0)
                body = textwrap.indent(code.rstrip("\n"), indent)[len(indent):]
                edits.append((start, end, body))
                handled.add(id(call))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and self._is_magic_call(node) and id(node) not in handled:
                expr = self._expression(node, where)
                start = offsets[node.lineno - 1] + node.col_offset
                end = offsets[(node.end_lineno or node.lineno) - 1] + (node.end_col_offset or 0)
                edits.append((start, end, f"({expr})"))
                handled.add(id(node))
        text = transformed
        for start, end, new in sorted(edits, reverse=True):
            text = text[:start] + new + text[end:]
        if "get_ipython" in _code_names(text):
            raise ExportError(
                f"{where} calls get_ipython(), which does not exist in a plain Python script",
                hint="export with --mode notebook",
            )
        return text

    @staticmethod
    def _is_magic_call(node: ast.AST) -> bool:
        return (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("run_line_magic", "run_cell_magic", "system", "getoutput")
            and isinstance(node.func.value, ast.Call)
            and isinstance(node.func.value.func, ast.Name)
            and node.func.value.func.id == "get_ipython"
            and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args)
        )

    def _parts(self, call: ast.Call) -> tuple[str, str, str, str | None]:
        assert isinstance(call.func, ast.Attribute)
        args = [str(a.value) for a in call.args if isinstance(a, ast.Constant)]
        kind = call.func.attr
        if kind in ("system", "getoutput"):
            return kind, "", args[0], None
        if kind == "run_line_magic":
            return kind, args[0], args[1] if len(args) > 1 else "", None
        return kind, args[0], args[1], args[2] if len(args) > 2 else ""

    def _statement(self, call: ast.Call, where: str) -> str:
        kind, name, line, body = self._parts(call)
        if kind == "system":
            self.used_helpers = True
            return f"_mj_system(_mj_expand({line!r}, globals()))"
        if kind == "getoutput":
            self.used_helpers = True
            return f"_mj_getoutput(_mj_expand({line!r}, globals()))"
        if kind == "run_cell_magic":
            return self._cell_magic(name, line, body or "", where)
        return self._line_magic(name, line, where)

    def _expression(self, call: ast.Call, where: str) -> str:
        kind, name, line, _body = self._parts(call)
        if kind in ("system", "getoutput"):
            self.used_helpers = True
            fn = "_mj_system" if kind == "system" else "_mj_getoutput"
            return f"{fn}(_mj_expand({line!r}, globals()))"
        if kind == "run_line_magic" and name in ("time", "timeit"):
            return line
        code = self._statement(call, where)
        try:
            tree = ast.parse(code)
        except SyntaxError:
            tree = None
        if tree is not None and len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr):
            return code.strip()
        raise ExportError(
            f"{where}: the value of %{name} is used in an expression, but its script form is not one expression",
            hint="call the mj API directly in this cell, or export with --mode notebook",
        )

    def _line_magic(self, name: str, line: str, where: str) -> str:
        if name in self.exports:
            return _check_source(_call_export(self.exports[name], name, line, None, where), name, where)
        if name in DROPPED:
            return f"pass  # %{name} {_comment(line)} (not needed in a script)".rstrip()
        if name in NOT_IN_JOBS:
            return f"pass  # %{name} {_comment(line)} dropped: the job installs the pinned environment"
        if name in WRAPPERS_LINE:
            return self.convert(line, where) if line.strip() else "pass"
        if name == "env":
            return _env_magic(line)
        if name == "cd":
            return f"__import__('os').chdir(__import__('os').path.expanduser({line.strip()!r}))"
        raise _no_export(name, where, registered=bool(self.exports))

    def _cell_magic(self, name: str, line: str, body: str, where: str) -> str:
        if name in self.exports:
            return _check_source(_call_export(self.exports[name], name, line, body, where), name, where)
        if name in WRAPPERS_CELL:
            return self.convert(body, where) or "pass"
        if name in SHELL_CELLS:
            words = shlex.split(line)
            program = SHELL_CELLS[name] or (words[0] if words else "")
            if not program:
                raise ExportError(f"{where}: %%script needs a program name")
            self.used_helpers = True
            raise_error = "--no-raise-error" not in words
            return f"_mj_shell_cell({program!r}, {body!r}, raise_error={raise_error})"
        if name == "writefile":
            words = shlex.split(line)
            append = any(w in ("-a", "--append") for w in words)
            target = [w for w in words if not w.startswith("-")]
            if not target:
                raise ExportError(f"{where}: %%writefile needs a file name")
            mode = "a" if append else "w"
            return (
                f"with open({target[0]!r}, {mode!r}, encoding='utf-8') as _mj_out:\n"
                f"    _mj_out.write({body!r})"
            )
        if name in ("html", "HTML", "markdown", "latex", "svg", "javascript", "js"):
            return f"pass  # %%{name} cell: display only"
        raise _no_export(name, where, cell=True, registered=bool(self.exports))


def _no_export(name: str, where: str, cell: bool = False, registered: bool = True) -> ExportError:
    sigil = "%%" if cell else "%"
    if not registered:  # not even our own magics registered: stale package metadata
        return ExportError(
            f"{where} uses {sigil}{name}, but no magic registered a script form",
            hint="the entry points of mlops_jupyter are missing: reinstall it (pip install -e . in a checkout)",
        )
    return ExportError(
        f"{where} uses {sigil}{name}, which has no script form",
        hint="export with --mode notebook (papermill runs every magic), or call the API directly",
    )


def _call_export(fn: ScriptExport, name: str, line: str, body: str | None, where: str) -> str:
    try:
        return fn(line, body)
    except ExportError:
        raise
    except Exception as exc:  # the topic's own parser refused the arguments
        sigil = "%%" if body is not None else "%"
        raise ExportError(f"{where}: {sigil}{name} {_comment(line)}: {exc}",
                          hint="fix the magic's arguments (it would fail in the notebook too)") from None


def _check_source(code: str, name: str, where: str) -> str:
    try:
        ast.parse(code)
    except SyntaxError as exc:
        raise ExportError(f"{where}: the script form of %{name} is not valid Python ({exc.msg})") from None
    return code if code.strip() else "pass"


def _comment(text: str) -> str:
    return " ".join(text.split())[:80]


def _env_magic(line: str) -> str:
    text = line.strip()
    if not text:
        return "pass  # %env (show) has nothing to do in a script"
    if "=" in text.split(" ", 1)[0] or (" " not in text and "=" in text):
        key, _, value = text.partition("=")
    else:
        key, _, value = text.partition(" ")
    if not key.strip():
        return "pass"
    return f"__import__('os').environ[{key.strip()!r}] = {value.strip()!r}"


def _code_names(text: str) -> set[str]:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def notebook_to_script(info: NotebookInfo, exports: dict[str, ScriptExport] | None = None) -> str:
    """The job script for ``info``: a header, the parameter overrides, every cell in order."""
    conv = _Converter(exports if exports is not None else collect_exports())
    name = info.path.name if info.path else "notebook"
    chunks: list[str] = []
    for i, cell in enumerate(info.nb.cells):
        src = _source(cell)
        if cell.get("cell_type") == "markdown":
            text = "\n".join("# " + ln if ln else "#" for ln in src.splitlines())
            chunks.append(f"# %% [markdown] cell {i}\n{text}\n")
            continue
        if cell.get("cell_type") != "code":
            continue
        code = conv.convert(src, f"cell {i} (id {cell.get('id')})")
        header = f"# %% cell {i} (id {cell.get('id')})"
        if i == info.parameters_cell:
            chunks.append(f"{header} parameters\n{code.rstrip()}\n\n{PARAMS_OVERRIDE}")
        else:
            chunks.append(f"{header}\n{code.rstrip()}\n")
    if info.parameters_cell is None:
        chunks.insert(0, PARAMS_OVERRIDE)
    body = "\n".join(chunks)
    head = [
        "#!/usr/bin/env python",
        f"# Job script generated by mlops_jupyter from {_comment(name)!r} ({info.digest}).",
        "# Do not edit: change the notebook and export again. Runs under plain python.",
        "import mlops_jupyter as mj  # noqa: F401",
        "",
    ]
    if conv.used_helpers:
        head.append(HELPERS)
    if "display" in _code_names(body):
        head.append(DISPLAY_SHIM)
    return "\n".join(head) + "\n" + body


__all__: list[str] = ["collect_exports", "notebook_to_script"]
