"""Reading a notebook for export: normalisation, parameters, execution order, digests.

Only the standard library is used here (no nbformat, mlflow or dvc): exporting must
stay fast.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ExportError

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PARAM_TYPES = ("int", "float", "str", "bool", "list", "dict", "null")


@dataclass
class Parameter:
    """One parameter of the job: a name from the papermill ``parameters`` cell."""

    name: str
    type: str
    default: Any
    help: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "default": self.default}
        if self.help:
            out["help"] = self.help
        return out


@dataclass
class OrderIssue:
    """A cell whose stored execution count says it ran out of document order."""

    index: int
    cell_id: str
    execution_count: int
    after: int
    preview: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "cell": self.index,
            "cell_id": self.cell_id,
            "execution_count": self.execution_count,
            "ran_after_count": self.after,
            "preview": self.preview,
        }


@dataclass
class NotebookInfo:
    """A normalised notebook plus what export needs to know about it."""

    nb: Any
    path: Path | None
    digest: str
    parameters: list[Parameter] = field(default_factory=list)
    parameters_cell: int | None = None
    out_of_order: list[OrderIssue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def code_cells(self) -> list[tuple[int, Any]]:
        return [(i, c) for i, c in enumerate(self.nb.cells) if c.get("cell_type") == "code"]


def check_identifier(name: str, what: str = "parameter") -> str:
    """Return ``name`` if it is a plain Python identifier; raise ExportError otherwise."""
    if not isinstance(name, str) or not IDENTIFIER.match(name) or name in _KEYWORDS:
        raise ExportError(
            f"{what} name {name!r} is not a Python identifier",
            hint="names must match [A-Za-z_][A-Za-z0-9_]* and not be a keyword",
        )
    return name


_KEYWORDS = frozenset(__import__("keyword").kwlist)


def read_notebook(source: Path | str | Any) -> NotebookInfo:
    """Read (path or NotebookNode) and normalise: v4, cell ids present and unique.

    Invalid JSON or a non-notebook raises :class:`ExportError`; missing or duplicate
    cell ids are repaired (and noted) rather than refused, as nbformat itself does.
    """
    path: Path | None = None
    data: Any
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ExportError(f"cannot read notebook {path}: {exc.strerror}") from None
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ExportError(
                f"{path.name} is not valid notebook JSON (line {exc.lineno}: {exc.msg})",
                hint="open it in Jupyter and save it again, or fix the file",
            ) from None
    else:
        data = json.loads(json.dumps(source))
    if not isinstance(data, dict):
        raise ExportError("the file is not a notebook (no JSON object)", hint="is this a Jupyter notebook?")
    if data.get("nbformat") != 4:
        # older formats (v3 keeps its cells in "worksheets"): let nbformat upgrade them
        # first, then check (its import is slow, so only here)
        import nbformat

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                data = json.loads(nbformat.writes(nbformat.reads(json.dumps(data), as_version=4)))
        except Exception as exc:
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            raise ExportError(f"not a Jupyter notebook: {first[:200]}") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise ExportError("the file has no notebook cell list", hint="is this a Jupyter notebook?")
    notes = _normalise_ids(data)
    nb = Notebook(data)
    info = NotebookInfo(nb=nb, path=path, digest=content_digest(nb), notes=notes)
    info.parameters_cell, info.parameters = find_parameters(nb)
    info.out_of_order = execution_order_issues(nb)
    return info


class Notebook(dict):
    """A v4 notebook as plain JSON data with ``nb.cells`` / ``nb.metadata`` access.

    Export reads and writes notebooks as JSON itself: importing nbformat pulls in
    jsonschema's format checkers, which cost seconds on a loaded machine.
    """

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


def notebook_json(nb: dict[str, Any]) -> str:
    """Notebook JSON exactly as nbformat writes it (sorted keys, indent 1)."""
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def _normalise_ids(nb: dict[str, Any]) -> list[str]:
    """Make the notebook v4.5-shaped: unique cell ids, metadata, outputs fields."""
    notes: list[str] = []
    seen: set[str] = set()
    nb.setdefault("metadata", {})
    if not isinstance(nb["metadata"], dict):
        raise ExportError("the notebook's metadata is not a mapping", hint="is this a Jupyter notebook?")
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise ExportError(f"cell {i} is not a notebook cell", hint="is this a Jupyter notebook?")
        if not isinstance(cell.get("metadata", {}), dict):
            raise ExportError(f"cell {i} has metadata that is not a mapping", hint="is this a Jupyter notebook?")
        if not isinstance(cell.get("source", ""), (str, list)):
            raise ExportError(f"cell {i} has no text source", hint="is this a Jupyter notebook?")
        cell.setdefault("source", "")
        cell.setdefault("metadata", {})
        if cell["cell_type"] == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
        cid = cell.get("id")
        if not isinstance(cid, str) or not cid or cid in seen:
            new = f"cell-{i}"
            n = 0
            while new in seen:
                n += 1
                new = f"cell-{i}-{n}"
            notes.append(f"cell {i}: {'duplicate' if cid in seen else 'missing'} id replaced by {new}")
            cell["id"] = new
            cid = new
        seen.add(cid)
    if nb.get("nbformat_minor", 0) < 5:
        nb["nbformat_minor"] = 5
    return notes


def content_digest(nb: Any) -> str:
    """sha256 of what the notebook *does*: cell types and sources (outputs ignored)."""
    h = hashlib.sha256()
    for cell in nb.cells:
        h.update(str(cell.get("cell_type")).encode())
        h.update(b"\0")
        h.update(_source(cell).encode("utf-8"))
        h.update(b"\1")
    return "sha256:" + h.hexdigest()


def _source(cell: Any) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def find_parameters(nb: Any) -> tuple[int | None, list[Parameter]]:
    """The papermill ``parameters`` cell (tag) and its ``name = literal`` assignments."""
    for i, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags", []) or []
        if cell.get("cell_type") == "code" and isinstance(tags, list) and "parameters" in tags:
            return i, parse_parameters(_source(cell), i)
    return None, []


def parse_parameters(source: str, index: int = 0) -> list[Parameter]:
    """Parse ``name = literal`` (optionally annotated) lines; anything else is refused."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ExportError(f"parameters cell {index} is not valid Python: {exc.msg}") from None
    except (MemoryError, RecursionError):  # absurdly deep nesting
        raise ExportError(f"parameters cell {index} is nested too deeply to read") from None
    lines = source.splitlines()
    params: list[Parameter] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, value_node = node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name, value_node = node.target.id, node.value
        else:
            raise ExportError(
                f"parameters cell {index}, line {node.lineno}: only `name = literal` assignments are allowed",
                hint="move computations out of the cell tagged 'parameters'",
            )
        try:
            value = _literal(value_node)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise ExportError(
                f"parameter '{name}' (cell {index}, line {node.lineno}) is not a literal value",
                hint="use a number, string, bool, None, list or dict literal",
            ) from None
        value = carried_value(name, value, f"cell {index}, line {node.lineno}")
        comment = ""
        line = lines[node.lineno - 1] if node.lineno - 1 < len(lines) else ""
        if "#" in line:
            comment = line.split("#", 1)[1].strip()
        params.append(Parameter(check_identifier(name), type_of(value), value, comment))
    return params


SUPPORTED_VALUES = "int, float, str, bool, None, and lists and dicts of them (dict keys must be strings)"
MAX_DEPTH = 50


def carried_value(name: str, value: Any, where: str = "") -> Any:
    """``value`` as the job carries it (tuples become lists), or an ExportError naming the
    parameter when job.yaml, the parameters file or the CI variables cannot carry it exactly:
    bytes, sets, complex numbers, dicts with non-string keys, ..."""

    def walk(v: Any, path: str, depth: int) -> Any:
        at = "" if path == name else f" at {path}"
        if depth > MAX_DEPTH:
            raise _unsupported(name, where, f"values nested more than {MAX_DEPTH} levels deep{at}")
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, (list, tuple)):
            return [walk(x, f"{path}[{i}]", depth + 1) for i, x in enumerate(v)]
        if isinstance(v, dict):
            out: dict[str, Any] = {}
            for k, x in v.items():
                if not isinstance(k, str):
                    raise _unsupported(name, where, f"a dict key of type {type(k).__name__} ({k!r}){at}")
                out[k] = walk(x, f"{path}[{k!r}]", depth + 1)
            return out
        raise _unsupported(name, where, f"a {type(v).__name__} value{at}")

    return walk(value, name, 0)


def _unsupported(name: str, where: str, what: str) -> ExportError:
    at = f" ({where})" if where else ""
    return ExportError(f"parameter '{name}'{at} holds {what[:200]}, which a job cannot carry",
                       hint=f"supported values: {SUPPORTED_VALUES}")


def _literal(node: ast.expr) -> Any:
    # float('nan') / float('inf') are how papermill writes non-finite floats.
    if (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "float"
        and len(node.args) == 1 and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return float(node.args[0].value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Call):
        return -_literal(node.operand)
    return ast.literal_eval(node)


def type_of(value: Any) -> str:
    """The parameter type name of a default value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "dict"
    raise ValueError(f"unsupported parameter type {type(value).__name__}")


def coerce(name: str, type_name: str, value: Any) -> Any:
    """Convert an override (text from the CLI/env, or a typed value) to the parameter type.

    Raises ``ValueError`` with a readable message when the value does not fit.
    """
    if isinstance(value, str) and type_name != "str":
        text = value.strip()
        if type_name == "int":
            try:
                return int(text)
            except ValueError:
                raise ValueError(f"parameter '{name}' expects int, got {value!r}") from None
        if type_name == "float":
            try:
                return float(text)
            except ValueError:
                raise ValueError(f"parameter '{name}' expects float, got {value!r}") from None
        if type_name == "bool":
            if text.lower() in ("true", "1", "yes"):
                return True
            if text.lower() in ("false", "0", "no"):
                return False
            raise ValueError(f"parameter '{name}' expects bool (true/false), got {value!r}")
        if type_name in ("list", "dict"):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                raise ValueError(f"parameter '{name}' expects a JSON {type_name}, got {value!r}") from None
        if type_name == "null":
            return None if text.lower() in ("none", "null", "") else value
    if type_name == "null":
        return value  # no default type to check against
    if type_name == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    expected: Any = {"int": int, "float": float, "str": str, "bool": bool, "list": (list, tuple), "dict": dict}[type_name]
    if not isinstance(value, expected) or (type_name == "int" and isinstance(value, bool)):
        raise ValueError(f"parameter '{name}' expects {type_name}, got {type(value).__name__} {value!r}")
    return list(value) if type_name == "list" else value


def execution_order_issues(nb: Any) -> list[OrderIssue]:
    """Cells whose execution count is lower than a cell above them: they ran out of order."""
    issues: list[OrderIssue] = []
    highest = 0
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        count = cell.get("execution_count")
        if not isinstance(count, int):
            continue
        if count < highest:
            preview = _source(cell).strip().splitlines()[0][:60] if _source(cell).strip() else ""
            issues.append(OrderIssue(i, str(cell.get("id", "")), count, highest, preview))
        highest = max(highest, count)
    return issues
