"""``mj.log_model``: store a trained model in the active run (and optionally register it).

MLflow picks the flavour: scikit-learn estimators go through ``mlflow.sklearn`` (which also
adds the pyfunc flavour), ``mlflow.pyfunc.PythonModel`` subclasses through
``mlflow.pyfunc``; anything else is refused with the way out. The model is logged with
``run_id=`` of our run, so MLflow's fluent active run is never started or ended (ending it
would mark our run FINISHED while it still runs).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .._views import Viewable
from ..errors import MlopsUsageError, NoActiveRun, TrackingError
from ..session import session
from .run import check_key

_UNTRUSTED = re.compile(r"Untrusted types found in the file: \[(?P<types>[^\]]*)\]")


class ModelRefused(TrackingError):
    """MLflow refused to serialise the model (no flavour, or skops' untrusted types)."""

    http_status = 400


@dataclass(repr=False)
class LoggedModel(Viewable):
    """A model stored in a run: its ``models:/`` URI and, if registered, name and version."""

    run_id: str
    name: str
    flavor: str
    model_uri: str
    model_id: str | None = None
    registered_name: str | None = None
    version: str | None = None
    trusted_types: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return True

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "ok": True, "run_id": self.run_id, "name": self.name, "flavor": self.flavor,
            "model_uri": self.model_uri, "model_id": self.model_id,
            "registered_name": self.registered_name, "version": self.version,
            "trusted_types": list(self.trusted_types),
        }

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([self.to_dict()])


def flavor_of(model: Any) -> str:
    """``sklearn`` or ``pyfunc`` for ``model``; :class:`ModelRefused` for anything else."""
    with contextlib.suppress(ImportError):
        from sklearn.base import BaseEstimator

        if isinstance(model, BaseEstimator):
            return "sklearn"
    from mlflow.pyfunc import PythonModel

    if isinstance(model, PythonModel):
        return "pyfunc"
    raise ModelRefused(
        f"cannot log a {type(model).__module__}.{type(model).__qualname__}: no MLflow flavour is detected for it",
        hint="pass a scikit-learn estimator or an mlflow.pyfunc.PythonModel, or use the "
        "flavour's own mlflow.<flavour>.log_model(..., run_id=mj.active_run().run_id)",
    )


@contextlib.contextmanager
def _fluent_target(uri: str, experiment_id: str, run: Any) -> Iterator[None]:
    """MLflow's global tracking URI, experiment and active run set to ours for the block,
    then restored exactly.

    The flavours' ``log_model`` write into MLflow's fluent active run (``mlflow.pyfunc``
    takes no ``run_id``) and create the model in the fluent experiment (else MLflow's Default
    experiment, under ./mlruns). ``mlflow.start_run``/``end_run`` would end our run FINISHED,
    so the run is put on (and taken off) the fluent stack directly; ``set_tracking_uri``
    also exports ``MLFLOW_TRACKING_URI``, which would otherwise override every profile of
    this process."""
    from mlflow.tracking import fluent
    from mlflow.tracking._tracking_service import utils

    old_env = os.environ.get("MLFLOW_TRACKING_URI")
    old_uri = utils._tracking_uri
    old_exp = fluent._active_experiment_id
    utils.set_tracking_uri(uri)
    fluent._active_experiment_id = experiment_id  # type: ignore[assignment]
    stack = fluent._active_run_stack.get()
    pushed = not (stack and stack[-1].info.run_id == run.info.run_id)  # --autolog: already there
    if pushed:
        stack.append(fluent.ActiveRun(run))
    try:
        yield
    finally:
        if pushed and stack and stack[-1].info.run_id == run.info.run_id:
            stack.pop()
        fluent._active_experiment_id = old_exp
        utils.set_tracking_uri(old_uri)  # type: ignore[arg-type]
        if old_env is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = old_env


def log_model(
    model: Any,
    name: str = "model",
    register: str | None = None,
    trusted_types: list[str] | None = None,
    **kwargs: Any,
) -> LoggedModel:
    """Store ``model`` in the active run under ``name``; ``register="NAME"`` also creates a
    version of registered model NAME.

    scikit-learn models are saved with skops (safe to load). skops refuses types it does not
    know (e.g. ``sklearn.tree._tree.Tree`` inside tree ensembles) unless they are listed as
    trusted: pass ``trusted_types=[...]`` with the names from the error once you trust the
    model's source. Other keyword arguments go to MLflow's ``log_model`` (``signature``,
    ``input_example``...).
    """
    from .api import active_run

    run = active_run()
    if run is None:
        raise NoActiveRun("no active run to log the model into", hint="start one with %mlops_track start or mj.start_run()")
    session.require_write("log a model")
    check_key(name, "model name")
    if register is not None:
        check_key(register, "registered model name")
    if run.client is None:
        raise TrackingError("this run was started offline: a model needs the tracking store", hint="end it, run %mlops_track sync, then log the model in a new run")
    flavor = flavor_of(model)
    run.flush()
    import mlflow

    options: dict[str, Any] = {"name": name, "registered_model_name": register, **kwargs}
    if flavor == "sklearn" and trusted_types:
        options["skops_trusted_types"] = list(trusted_types)
    with _fluent_target(run.uri, run.experiment_id, run.client.get_run(run.run_id)):
        try:
            if flavor == "sklearn":
                info = mlflow.sklearn.log_model(model, **options)
            else:
                info = mlflow.pyfunc.log_model(python_model=model, **options)
        except mlflow.exceptions.MlflowException as exc:
            raise _refused(exc, name) from None
        except (TypeError, ValueError) as exc:
            raise MlopsUsageError(f"cannot log model '{name}': {exc}") from None
    version = getattr(info, "registered_model_version", None)
    run.captured.setdefault("models", []).append(name)
    return LoggedModel(
        run_id=run.run_id, name=name, flavor=flavor, model_uri=str(info.model_uri),
        model_id=getattr(info, "model_id", None), registered_name=register if version is not None else None,
        version=str(version) if version is not None else None, trusted_types=tuple(trusted_types or ()),
    )


def _refused(exc: Exception, name: str) -> TrackingError:
    text = str(exc)
    m = _UNTRUSTED.search(text)
    if m:
        types = [t.strip().strip("'\"") for t in m.group("types").split(",") if t.strip()]
        listed = ", ".join(repr(t) for t in types)
        return ModelRefused(
            f"MLflow refused model '{name}': skops does not trust the types {listed}",
            hint=f"if you trust this model, log it with trusted_types=[{listed}] "
            f"(magic: --trust {' '.join(types)})",
        )
    first = " ".join(text.split())[:300]
    return ModelRefused(f"MLflow refused model '{name}': {first}")
