"""The MLflow model registry side of a release: candidates, champions, records, aliases.

Every MLflow error is translated into a :class:`~mlops_jupyter.errors.TrackingError` or a
usage error with a hint; no raw ``MlflowException`` reaches a user.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..errors import MlopsUsageError, TrackingError
from ..session import session

_PROGRESS_VAR = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"
ALIAS_LOCK_TIMEOUT_S = 300.0  # a promotion holds the lock for seconds: re-check, move, confirm
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
TAG_PREFIX = "mlops.release"


@dataclass
class ModelRef:
    """One model: a registry version (``version`` set) or a run's logged model not yet registered."""

    name: str
    uri: str
    version: str | None = None
    run_id: str | None = None
    model_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the decision record."""
        return {"name": self.name, "version": self.version, "uri": self.uri,
                "run_id": self.run_id, "model_id": self.model_id}


def client() -> Any:
    """An MlflowClient on the active profile's store and registry (:func:`..tracking.store.client_for`)."""
    from ..tracking.store import client_for

    return client_for(session.profile())


def _error_code(exc: BaseException) -> str:
    return str(getattr(exc, "error_code", "") or "")


def _mlflow_error(what: str, exc: BaseException) -> TrackingError:
    from ..tracking.store import translate_error

    return translate_error(exc, what, session.profile().tracking_uri)


def parse_candidate(model: str, candidate: str | int) -> tuple[str, str]:
    """Classify ``candidate``: ("version", "3"), ("alias", "staging") or ("run", RUN_ID[/path])."""
    text = str(candidate).strip()
    if text.startswith("models:/"):
        rest = text[len("models:/"):]
        if "@" in rest:
            name, alias = rest.split("@", 1)
            kind, value = "alias", alias
        else:
            name, _, value = rest.partition("/")
            kind = "version"
        if name != model:
            raise MlopsUsageError(f"candidate {text} belongs to model '{name}', not '{model}'")
        if kind == "version" and not value.isdigit():
            raise MlopsUsageError(f"candidate {text} does not name a version", hint="use models:/NAME/VERSION")
        return kind, value
    if text.isdigit():
        return "version", text
    if text.startswith("runs:/"):
        text = text[len("runs:/"):]
    run_id = text.split("/", 1)[0]
    if not _RUN_ID.match(run_id):
        raise MlopsUsageError(
            f"candidate '{candidate}' is neither a run id nor a model version",
            hint="use RUN_ID, runs:/RUN_ID/MODEL_NAME, models:/NAME/VERSION or a version number",
        )
    return "run", text


def get_version(c: Any, name: str, version: str) -> ModelRef:
    """A registered version as a :class:`ModelRef`."""
    try:
        mv = c.get_model_version(name, version)
    except Exception as exc:
        if _error_code(exc) in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            raise MlopsUsageError(f"model '{name}' has no version {version}") from None
        raise _mlflow_error(f"cannot read {name} v{version}", exc) from None
    return _ref(name, mv)


def _ref(name: str, mv: Any) -> ModelRef:
    return ModelRef(name=name, uri=f"models:/{name}/{mv.version}", version=str(mv.version),
                    run_id=mv.run_id or None, model_id=getattr(mv, "model_id", None) or None,
                    tags=dict(mv.tags or {}))


def get_alias(c: Any, name: str, alias: str) -> ModelRef | None:
    """The version holding ``alias`` (None when the model or the alias does not exist)."""
    try:
        mv = c.get_model_version_by_alias(name, alias)
    except Exception as exc:
        if _error_code(exc) in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"):
            return None
        raise _mlflow_error(f"cannot read alias '{alias}' of '{name}'", exc) from None
    return _ref(name, mv)


def logged_model_of_run(c: Any, run_id: str, model_path: str | None) -> tuple[Any, Any]:
    """The run and its logged model (by name ``model_path`` when the run logged several)."""
    try:
        run = c.get_run(run_id)
    except Exception as exc:
        if _error_code(exc) in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"):
            raise MlopsUsageError(f"no run {run_id} in the tracking store",
                                  hint="check the run id and the environment (%mlops_env)") from None
        raise _mlflow_error(f"cannot read run {run_id}", exc) from None
    try:
        models = list(c.search_logged_models(
            experiment_ids=[run.info.experiment_id], filter_string=f"source_run_id='{run_id}'"))
    except Exception as exc:
        raise _mlflow_error(f"cannot list the models of run {run_id}", exc) from None
    if model_path:
        models = [m for m in models if m.name == model_path]
    if not models:
        what = f" named '{model_path}'" if model_path else ""
        raise MlopsUsageError(f"run {run_id} has no logged model{what}",
                              hint="log one with mlflow.<flavor>.log_model(model, name='model')")
    if len(models) > 1:
        names = ", ".join(sorted(m.name for m in models))
        raise MlopsUsageError(f"run {run_id} logged several models ({names})",
                              hint="name one: runs:/RUN_ID/NAME or model_path=NAME")
    return run, models[0]


def resolve_candidate(c: Any, model: str, candidate: str | int, model_path: str | None,
                      register: bool) -> ModelRef:
    """The candidate as a registry version; a run's model is registered when ``register``.

    A run whose model is already registered under ``model`` reuses that version, so
    retrying a refused promotion does not pile up versions.
    """
    kind, value = parse_candidate(model, candidate)
    if kind == "version":
        return get_version(c, model, value)
    if kind == "alias":
        ref = get_alias(c, model, value)
        if ref is None:
            raise MlopsUsageError(f"model '{model}' has no alias '{value}'")
        return ref
    run_id, _, path = value.partition("/")
    _run, logged = logged_model_of_run(c, run_id, path or model_path)
    source = f"models:/{logged.model_id}"
    try:
        existing = list(c.search_model_versions(f"name='{model}' and run_id='{run_id}'"))
    except Exception:
        existing = []
    for mv in existing:
        if mv.source == source or getattr(mv, "model_id", None) == logged.model_id:
            return _ref(model, mv)
    if not register:
        return ModelRef(name=model, uri=source, run_id=run_id, model_id=logged.model_id)
    try:
        try:
            c.get_registered_model(model)
        except Exception as exc:
            if _error_code(exc) != "RESOURCE_DOES_NOT_EXIST":
                raise
            c.create_registered_model(model)
        mv = c.create_model_version(model, source=source, run_id=run_id, model_id=logged.model_id)
    except Exception as exc:
        raise _mlflow_error(f"cannot register the model of run {run_id} as '{model}'", exc) from None
    return _ref(model, mv)


def run_info(c: Any, run_id: str | None) -> Any:
    """The MLflow run (None when unknown or unreadable)."""
    if not run_id:
        return None
    try:
        return c.get_run(run_id)
    except Exception:
        return None


def load_predictor(c: Any, uri: str) -> Any:
    """Load a model for predictions: the native scikit-learn object when it has that flavor
    (so ``predict_proba`` is available), else the pyfunc wrapper.

    The model is downloaded through ``c``'s store explicitly (no global MLflow URI).
    """
    import tempfile
    from pathlib import Path

    import mlflow
    from mlflow.models import Model

    tmp = tempfile.TemporaryDirectory(prefix="mlops-release-")
    bar = os.environ.get(_PROGRESS_VAR)
    os.environ[_PROGRESS_VAR] = "false"  # no download progress bars in the cell output
    try:
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=uri, dst_path=tmp.name, tracking_uri=c.tracking_uri,
            registry_uri=getattr(c, "_registry_uri", None) or c.tracking_uri)
        flavors = Model.load(str(Path(local) / "MLmodel")).flavors
    except Exception as exc:
        tmp.cleanup()
        raise _mlflow_error(f"cannot read model {uri}", exc) from None
    finally:
        if bar is None:
            os.environ.pop(_PROGRESS_VAR, None)
        else:
            os.environ[_PROGRESS_VAR] = bar
    try:
        if "sklearn" in flavors:
            import mlflow.sklearn

            model = mlflow.sklearn.load_model(local)
            tmp.cleanup()  # fully in memory now
            return model
        model = mlflow.pyfunc.load_model(local)
        model._mlops_tmp = tmp  # pyfunc flavors may read files lazily: keep them alive
        return model
    except Exception as exc:
        tmp.cleanup()
        raise _mlflow_error(f"cannot load model {uri}", exc) from None


def set_version_tags(c: Any, name: str, version: str, tags: dict[str, str]) -> None:
    """Set several tags on a model version."""
    for key, value in tags.items():
        c.set_model_version_tag(name, version, key, value)


@contextmanager
def alias_lock(name: str, alias: str) -> Iterator[None]:
    """Serialise "re-check the champion, move the alias" between processes on one machine.

    MLflow's registry has no compare-and-set, so two promotions that both passed their gates
    could both re-check an unchanged champion and both move the alias (the last wins). For
    a registry in a SQLite file every process on the machine shares, a file lock next to
    the database makes the re-check and the move one step: the second promotion waits,
    then sees the first one's champion and stops. Registries on a server get no lock
    (the re-check alone narrows the window; see docs/release.md).
    """
    from filelock import FileLock, Timeout

    from ..tracking.store import sqlite_path

    profile = session.profile()
    db = sqlite_path(profile.registry_uri or profile.tracking_uri)
    if db is None:
        yield
        return
    key = hashlib.sha256(f"{name}\0{alias}".encode()).hexdigest()[:16]
    lock = FileLock(f"{db}.alias-{key}.lock", timeout=ALIAS_LOCK_TIMEOUT_S)
    try:
        lock.acquire()
    except Timeout:
        raise TrackingError(
            f"another promotion of '{name}' (alias '{alias}') held the registry lock for "
            f"{ALIAS_LOCK_TIMEOUT_S:.0f} s; the alias did not move",
            hint=f"if no promotion is running, remove {lock.lock_file}",
        ) from None
    try:
        yield
    finally:
        lock.release()


def move_alias(c: Any, name: str, alias: str, version: str) -> None:
    """Point ``alias`` at ``version`` (one registry call: the commit point of a promotion)."""
    try:
        c.set_registered_model_alias(name, alias, version)
    except Exception as exc:
        raise _mlflow_error(f"cannot move alias '{alias}' of '{name}'", exc) from None
