"""Why a job's numbers can differ from the notebook's: causes a rehearsal names.

Static analysis of the cells (``ast``, no execution): randomness without a seed (numpy's
``default_rng()`` and legacy ``np.random.*`` without ``np.random.seed``, scikit-learn
estimators and splitters called without ``random_state``, the ``random`` module without
``random.seed``, torch without ``manual_seed``) and network fetches (HTTP clients,
``fetch_*`` dataset loaders, URLs passed to readers, ``!wget``/``!curl``). From the runs:
package versions that differ between the source run and the job, and datasets whose
digest differs. Every cause names the cell, the line and the call.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from typing import Any

from .lock import _strip_magics

NUMPY_LEGACY = {"rand", "randn", "randint", "random", "random_sample", "ranf", "sample", "choice", "shuffle",
                "permutation", "normal", "uniform", "binomial", "poisson", "exponential", "beta", "gamma",
                "multivariate_normal", "standard_normal", "random_integers", "lognormal", "laplace", "bytes"}
RANDOM_FUNCS = {"random", "randint", "randrange", "choice", "choices", "shuffle", "sample", "uniform", "gauss",
                "normalvariate", "triangular", "betavariate", "expovariate", "getrandbits", "randbytes"}
TORCH_FUNCS = {"rand", "randn", "randint", "randperm", "rand_like", "randn_like", "normal", "bernoulli", "multinomial"}
NETWORK = {"requests.get", "requests.post", "requests.put", "requests.request", "requests.head", "requests.Session",
           "httpx.get", "httpx.post", "httpx.request", "httpx.Client", "httpx.AsyncClient",
           "urllib.request.urlopen", "urllib.request.urlretrieve", "urllib.request.Request",
           "socket.create_connection", "ftplib.FTP", "http.client.HTTPConnection", "http.client.HTTPSConnection"}
URL_PREFIXES = ("http://", "https://", "ftp://", "s3://", "gs://", "gcs://", "az://", "abfs://", "hf://")


def _cause(kind: str, cell: int | None, line: int | None, call: str, detail: str) -> dict[str, Any]:
    return {"kind": kind, "cell": cell, "line": line, "call": call[:200], "detail": detail}


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _aliases(trees: list[ast.AST]) -> dict[str, str]:
    """Local name -> full dotted name, from every import of the notebook."""
    out: dict[str, str] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    out[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for a in node.names:
                    out[a.asname or a.name] = f"{node.module}.{a.name}"
    return out


def _resolve(name: str, aliases: dict[str, str]) -> str:
    head, _, rest = name.partition(".")
    full = aliases.get(head, head)
    return f"{full}.{rest}" if rest else full


def _has_random_state_param(full: str) -> bool:
    """Does the scikit-learn callable ``full`` accept ``random_state``?"""
    module, _, attr = full.rpartition(".")
    try:
        obj = getattr(importlib.import_module(module), attr)
        return "random_state" in inspect.signature(obj).parameters
    except Exception:  # not importable here, or no signature: say nothing rather than guess
        return False


def _parse(sources: list[str]) -> list[tuple[int, ast.AST | None]]:
    out: list[tuple[int, ast.AST | None]] = []
    for i, src in enumerate(sources):
        try:
            out.append((i, ast.parse(_strip_magics(src))))
        except SyntaxError:
            out.append((i, None))
    return out


def static_causes(sources: list[str], cells: list[int] | None = None) -> list[dict[str, Any]]:
    """Unseeded randomness and network fetches in the code cells ``sources``.

    ``cells``: the notebook cell index of each source (default: their positions).
    """
    index = cells or list(range(len(sources)))
    parsed = _parse(sources)
    trees = [t for _, t in parsed if t is not None]
    aliases = _aliases(trees)
    calls: list[tuple[int, ast.Call, str]] = []
    for i, tree in parsed:
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = _dotted(node.func)
                if name:
                    calls.append((i, node, _resolve(name, aliases)))
    seeded = {full for _, node, full in calls if full in ("numpy.random.seed", "random.seed", "torch.manual_seed")
              and (node.args or node.keywords)}
    out: list[dict[str, Any]] = []
    for i, node, full in sorted(calls, key=lambda c: (c[0], c[1].lineno, c[1].col_offset)):
        text = ast.get_source_segment(_strip_magics(sources[i]), node) or full
        where = (index[i], node.lineno)
        no_args = not node.args and not any(k.arg in ("seed", "random_state") for k in node.keywords)
        first_none = bool(node.args) and isinstance(node.args[0], ast.Constant) and node.args[0].value is None
        if full in ("numpy.random.default_rng", "numpy.random.RandomState", "numpy.random.Generator",
                    "random.Random") and (no_args or first_none):
            out.append(_cause("unseeded", *where, text, f"{full}() without a seed draws different numbers each run"))
        elif full.startswith("numpy.random.") and full.rsplit(".", 1)[1] in NUMPY_LEGACY and \
                "numpy.random.seed" not in seeded:
            out.append(_cause("unseeded", *where, text, "numpy's global random state is never seeded (np.random.seed)"))
        elif full.startswith("random.") and full.rsplit(".", 1)[1] in RANDOM_FUNCS and "random.seed" not in seeded:
            out.append(_cause("unseeded", *where, text, "the random module is never seeded (random.seed)"))
        elif full.startswith("torch.") and full.rsplit(".", 1)[1] in TORCH_FUNCS and "torch.manual_seed" not in seeded:
            out.append(_cause("unseeded", *where, text, "torch is never seeded (torch.manual_seed)"))
        elif full.startswith("sklearn.") and not any(k.arg == "random_state" or k.arg is None for k in node.keywords) \
                and _has_random_state_param(full):
            out.append(_cause("unseeded", *where, text,
                              f"{full.rsplit('.', 1)[1]} without random_state: its randomness differs each run"))
        elif full in NETWORK or (full.startswith("sklearn.datasets.fetch_")) or _url_arg(node):
            out.append(_cause("network", *where, text, "fetches over the network: the remote data can change"))
    for i, src in enumerate(sources):
        for n, line in enumerate(src.splitlines(), start=1):
            stripped = line.strip()
            if stripped.startswith("!") and stripped[1:].split(" ", 1)[0] in ("wget", "curl"):
                out.append(_cause("network", index[i], n, stripped, "downloads in a shell command"))
    return out


def _url_arg(node: ast.Call) -> bool:
    return any(isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value.startswith(URL_PREFIXES)
               for a in [*node.args, *(k.value for k in node.keywords)])


def package_causes(packages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A cause per package whose version differs between the source run and the job."""
    return [_cause("package", None, None, p["package"], f"version {p['source']} in the source run, {p['job']} in the job")
            for p in packages]


def dataset_digests(profile: Any, run_id: str | None) -> dict[str, str]:
    """Dataset name -> digest of the inputs a run logged (empty when unknown)."""
    if not run_id:
        return {}
    try:
        from ..tracking.store import read_client

        client = read_client(str(profile.tracking_uri))
        if client is None:
            return {}
        run = client.get_run(run_id)
        inputs = run.inputs.dataset_inputs if run.inputs is not None else []
        return {d.dataset.name: d.dataset.digest for d in (inputs or [])}
    except Exception:
        return {}


def data_causes(source: dict[str, str], job: dict[str, str]) -> list[dict[str, Any]]:
    """A cause per dataset that both runs read with different digests."""
    return [_cause("data", None, None, name, f"fingerprint {source[name]} in the source run, {job[name]} in the job")
            for name in sorted(set(source) & set(job)) if source[name] != job[name]]


def describe(cause: dict[str, Any]) -> str:
    """One line: where, what, why."""
    where = f"cell {cause['cell']} line {cause['line']}: " if cause.get("cell") is not None else ""
    return f"{cause['kind']}: {where}{cause['call']} - {cause['detail']}"
