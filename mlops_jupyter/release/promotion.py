"""``promote()``: run the gates, record the decision, and only then move the alias.

Order of writes (crash safety): register the candidate version → evaluate every gate →
store the decision record (a "promotion" run with ``decision.json`` + tags on the model
version) → move the alias (one registry call, the commit point) → confirm the record
(tags + ``decision.json`` rewritten with ``promoted: true``) → webhook. A process that dies
before the alias call leaves the alias where it was; the record then says ``approved``.
"""

from __future__ import annotations

import json
import time
import uuid
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import GateFailed, MlopsError, MlopsUsageError, TrackingError
from ..session import session
from . import registry
from .decision import FAILED, Decision, GateResult
from .evaluation import Predictions, evaluate, load_frame, logged_metrics, split_eval
from .gates import (
    GateConfig,
    choose_ab,
    gate_ab,
    gate_data,
    gate_drift,
    gate_metrics,
    parse_ab,
    resolve_config,
    skipped,
)

if TYPE_CHECKING:
    from ..webhook import WebhookSettings

PROMOTION_RUN_TAG = "mlops.kind"
MAX_TAG_JSON = 4500


def _before_alias_move(decision: Decision) -> None:
    """Called after the record is stored and right before the alias moves.

    A seam for tests (the crash-safety test replaces it with ``os._exit``) and for
    embedding code that wants a last look; it does nothing by default.
    """


def promote(
    model: str,
    candidate: str | int,
    alias: str | None = None,
    gates: Sequence[str] | str | None = None,
    *,
    eval_data: Any = None,
    target: str | None = None,
    suite: str | None = None,
    current: Any = None,
    reference: Any = None,
    drift_method: str | None = None,
    drift_threshold: float | None = None,
    max_drift_share: float | None = None,
    metrics: Mapping[str, Mapping[str, Any]] | None = None,
    ab: Mapping[str, Any] | bool | str | None = None,
    metric_fns: Mapping[str, Callable[[Any, Any], float]] | None = None,
    model_path: str | None = None,
    webhook: str | None = None,
    dry_run: bool = False,
    raise_on_fail: bool = False,
    require_tests: bool | None = None,
) -> Decision:
    """Promote ``candidate`` to ``model@alias`` only if every configured gate passes.

    ``candidate``: a run id (``RUN_ID`` or ``runs:/RUN_ID/NAME``; its logged model is
    registered as a new version of ``model``), ``models:/NAME/VERSION``,
    ``models:/NAME@ALIAS`` or a version number. Gates (see :mod:`.gates`) come from
    ``[release]`` in mlops.toml, overridden by the arguments: ``suite`` (data gate on
    ``eval_data``), ``current``/``reference``/``drift_method``/``drift_threshold``/
    ``max_drift_share`` (drift gate), ``metrics`` (thresholds, e.g.
    ``{"accuracy": {"min": 0.9, "min_delta": 0.0}}``), ``ab`` (``True`` or settings
    ``metric, test, rule, delta, confidence, n_boot, seed, midp``; ``"online:SERVICE"`` or
    ``online="SERVICE"`` tests the service's live A/B experiment with an always-valid mSPRT). ``gates`` restricts
    which gates run (a gate named but not configured fails). With nothing configured and
    ``eval_data`` given, the A/B gate runs with its defaults (superiority, δ = 0, 95 %).

    Returns the :class:`Decision` (refusals too: ``decision.ok`` is False, the alias did not
    move); ``raise_on_fail=True`` raises :class:`~mlops_jupyter.errors.GateFailed` instead.
    ``dry_run=True`` evaluates without registering, recording or moving anything.
    ``require_tests=True`` adds the ``tests`` gate: notebook tests passed on the candidate's run.
    Interactive kernels in a read-only profile refuse (headless runs may promote).
    """
    profile = session.profile() if dry_run else session.require_write("promote a model")
    if not model or not isinstance(model, str):
        raise MlopsUsageError("name the registered model to promote (model='churn-classifier')")
    config = session.config()
    section = config.section("release")
    alias = alias or str(section.get("alias") or "champion")
    cfg = resolve_config(
        section, config.describe_source(), gates=gates, target=target, suite=suite, current=current,
        reference=reference, drift_method=drift_method, drift_threshold=drift_threshold,
        max_drift_share=max_drift_share, metrics=metrics, ab=ab, webhook=webhook, model_path=model_path,
        require_tests=require_tests or None,
    )
    hook_settings = _webhook_settings(cfg, config)
    if eval_data is None and section.get("eval"):
        eval_data = section["eval"]
    wanted = _wanted_gates(cfg, eval_data)
    eval_parts = _read_inputs(cfg, eval_data, config.root)

    c = registry.client()
    cand = registry.resolve_candidate(c, model, candidate, cfg.model_path, register=not dry_run)
    decision, champ = _open_decision(c, model, alias, cand, dry_run, profile.name)
    if decision.already_champion:
        return decision
    decision.gates = _run_gates(c, cfg, wanted, cand, champ, eval_parts, metric_fns)
    if dry_run:
        _record_check(decision)
        return _finish(decision, raise_on_fail)
    _store_record(c, decision, cand, profile.experiment)
    _record_check(decision)
    if decision.ok:
        _move_alias(c, decision, cand)
        if cfg.webhook and hook_settings is not None:  # settings are read iff a webhook is set
            _notify(decision, cfg.webhook, hook_settings)
    return _finish(decision, raise_on_fail)


def _webhook_settings(cfg: GateConfig, config: Any) -> WebhookSettings | None:
    """The ``[webhook]`` settings when a webhook is set: a bad table is a usage error before
    anything is registered or moved."""
    if not cfg.webhook:
        return None
    from ..webhook import webhook_settings

    return webhook_settings(config)


def _wanted_gates(cfg: GateConfig, eval_data: Any) -> list[str]:
    """The gates to run; with none configured, evaluation data alone asks for the A/B gate."""
    wanted = cfg.wanted()
    if not wanted and eval_data is not None:
        wanted = ["ab"]
    if "ab" in wanted and cfg.ab is None:
        cfg.ab = parse_ab(True, "arguments")
    if not wanted:
        raise MlopsUsageError(
            "no release gates configured: nothing would stand between this model and production",
            hint="pass eval_data=... (A/B gate) or metrics=/suite=/current=, or set [release] in mlops.toml",
        )
    return wanted


def _read_inputs(cfg: GateConfig, eval_data: Any, root: Any) -> tuple[Any, Any, Any]:
    """Read every input before anything is registered: a wrong path or target column is a
    usage error (exit 2), never a recorded refusal. Returns the evaluation (frame, X, y)."""
    eval_parts = split_eval(eval_data, cfg.target, root)
    cfg.current = load_frame(cfg.current, root, "current dataset")
    cfg.reference = load_frame(cfg.reference, root, "reference dataset")
    return eval_parts


def _open_decision(c: Any, model: str, alias: str, cand: registry.ModelRef, dry_run: bool,
                   environment: str) -> tuple[Decision, registry.ModelRef | None]:
    """The decision, before any gate: the candidate against the champion read now (a
    candidate that already is the champion needs no gate)."""
    champ = registry.get_alias(c, model, alias)
    decision = Decision(
        id=uuid.uuid4().hex, time=time.time(), model=model, alias=alias, candidate=cand.to_dict(),
        champion=champ.to_dict() if champ else None, gates=[], first_champion=champ is None,
        dry_run=dry_run, environment=environment, headless=session.headless,
    )
    if champ is not None and cand.version is not None and champ.version == cand.version:
        decision.already_champion = True
    return decision, champ


def _move_alias(c: Any, decision: Decision, cand: registry.ModelRef) -> None:
    """Move the alias (the decision is recorded already), then confirm the record."""
    assert cand.version is not None
    _before_alias_move(decision)
    with registry.alias_lock(decision.model, decision.alias):  # re-check and move as one step on a local registry
        _check_champion_unchanged(c, decision)
        registry.move_alias(c, decision.model, decision.alias, cand.version)
    decision.promoted = True
    _confirm_record(c, decision, cand)


def _check_champion_unchanged(c: Any, decision: Decision) -> None:
    # The gates compared with the champion read at the start; if another promotion moved
    # the alias meanwhile, this decision is stale and must not overwrite that one.
    now = registry.get_alias(c, decision.model, decision.alias)
    before = decision.champion["version"] if decision.champion else None
    if (now.version if now else None) != before:
        raise TrackingError(
            f"alias '{decision.alias}' of '{decision.model}' moved to v{now.version if now else '-'} "
            f"during this decision (was {'v' + str(before) if before else 'unset'}); the alias did not move",
            hint="run the promotion again to compare with the new champion",
        )


def _finish(decision: Decision, raise_on_fail: bool) -> Decision:
    if raise_on_fail and not decision.ok:
        raise GateFailed(decision.summary, decision=decision,
                         hint="the alias did not move; see decision.gates for the numbers")
    return decision


def _run_gates(c: Any, cfg: GateConfig, wanted: list[str], cand: registry.ModelRef,
               champ: registry.ModelRef | None, eval_parts: tuple[Any, Any, Any],
               metric_fns: Mapping[str, Callable[[Any, Any], float]] | None) -> list[GateResult]:
    results: list[GateResult] = []
    state: dict[str, Predictions] = {}
    frame, x, y = eval_parts
    have_eval = frame is not None

    def predictions(ref: registry.ModelRef) -> Predictions:
        if ref.uri not in state:
            state[ref.uri] = Predictions(registry.load_predictor(c, ref.uri), x)
        return state[ref.uri]

    for name in wanted:
        try:
            if name == "data":
                result = gate_data(frame, cfg.suite)
            elif name == "drift":
                result = _drift_gate(c, cfg, cand)
            elif name == "tests":
                from ..testing.gate import gate_tests

                result = gate_tests(registry.run_info(c, cand.run_id))
            elif name == "metrics":
                result = _metrics_gate(c, cfg, cand, champ, y if have_eval else None, predictions, metric_fns)
            else:
                result = _ab_gate(cfg, cand, champ, have_eval, y, predictions, metric_fns)
        except MlopsError as exc:
            result = GateResult(name, FAILED, exc.one_line())
        except Exception as exc:  # a gate that crashes refuses; it never passes silently
            result = GateResult(name, FAILED, f"{type(exc).__name__}: {exc}")
        results.append(result)
    return results


def _ab_gate(cfg: GateConfig, cand: registry.ModelRef, champ: registry.ModelRef | None, have_eval: bool, y: Any,
             predictions: Callable[[registry.ModelRef], Predictions],
             metric_fns: Mapping[str, Callable[[Any, Any], float]] | None) -> GateResult:
    """Candidate against champion: the service's live experiment (``online``), else a paired
    offline test on the evaluation data."""
    if champ is None:
        return skipped("ab", "no champion yet: nothing to compare with")
    if cfg.ab is not None and cfg.ab.get("online"):  # a live experiment of a service
        from ..monitoring.online_ab import gate_online

        online: GateResult = gate_online(cfg.ab["online"], cand, champ, cfg.ab)
        return online
    if not have_eval:
        return GateResult("ab", FAILED, "the A/B comparison needs evaluation data (eval_data=...)")
    assert cfg.ab is not None
    metric, test = choose_ab(cfg.ab, y)
    from .metrics import get_metric

    needs_proba = get_metric(metric, dict(metric_fns or {})).needs_proba
    y_ab = predictions(cand).encode(y, needs_proba)
    result, _ = gate_ab(cfg.ab, y_ab, predictions(champ).for_metric(needs_proba),
                        predictions(cand).for_metric(needs_proba), metric, test, metric_fns)
    return result


def _metrics_gate(c: Any, cfg: GateConfig, cand: registry.ModelRef, champ: registry.ModelRef | None,
                  y: Any, predictions: Callable[[registry.ModelRef], Predictions],
                  metric_fns: Mapping[str, Callable[[Any, Any], float]] | None) -> GateResult:
    names = list(cfg.metrics)
    relative = any(s.relative for s in cfg.metrics.values())
    if y is not None:
        cand_values = evaluate(names, y, predictions(cand), metric_fns)
        champ_values = evaluate(names, y, predictions(champ), metric_fns) if champ and relative else None
        source = "evaluation data"
    else:
        cand_values = logged_metrics(registry.run_info(c, cand.run_id), names)
        champ_values = logged_metrics(registry.run_info(c, champ.run_id), names) if champ and relative else None
        source = "logged run metrics"
    return gate_metrics(cfg.metrics, cand_values, champ_values, source)


def _drift_gate(c: Any, cfg: GateConfig, cand: registry.ModelRef) -> GateResult:
    reference = cfg.reference if cfg.reference is not None \
        else training_data_of_run(registry.run_info(c, cand.run_id))
    return gate_drift(reference, cfg.current, cfg)


def training_data_of_run(run: Any) -> Any:
    """The candidate's training data, when its run logged a local file as a dataset input
    (the "training" one if several); None otherwise."""
    from pathlib import Path

    if run is None or not getattr(run, "inputs", None):
        return None
    inputs = list(run.inputs.dataset_inputs or [])

    def context(inp: Any) -> str:
        return next((t.value for t in inp.tags if t.key == "mlflow.data.context"), "")

    inputs.sort(key=lambda i: context(i) not in ("training", "train"))
    for inp in inputs:
        try:
            uri = json.loads(inp.dataset.source).get("uri", "")
        except (ValueError, AttributeError):
            continue
        path = Path(uri[len("file://"):] if uri.startswith("file://") else uri)
        if uri and path.is_file():
            try:
                return load_frame(path, None, "training data")
            except MlopsError:
                continue
    return None


# -- record -----------------------------------------------------------------------------------


def _status_tags(decision: Decision) -> dict[str, str]:
    p = registry.TAG_PREFIX
    tags = {
        f"{p}.decision_id": decision.id,
        f"{p}.alias": decision.alias,
        f"{p}.ok": str(decision.ok).lower(),
        f"{p}.status": decision.status,
        f"{p}.summary": decision.summary[:1000],
        f"{p}.gates": json.dumps({g.name: g.status for g in decision.gates}),
    }
    if decision.record.get("run_id"):
        tags[f"{p}.record_run"] = str(decision.record["run_id"])
    full = json.dumps(decision.to_dict(), separators=(",", ":"), sort_keys=True)
    if len(full) > MAX_TAG_JSON:  # tags have size limits; the artifact always has everything
        slim = decision.to_dict()
        slim["gates"] = [{k: g[k] for k in ("name", "status", "reason")} for g in slim["gates"]]
        full = json.dumps(slim, separators=(",", ":"), sort_keys=True)[:MAX_TAG_JSON]
    tags[f"{p}.decision"] = full
    return tags


def _store_record(c: Any, decision: Decision, cand: registry.ModelRef, experiment: str) -> None:
    """The promotion run (decision.json artifact + tags) and the model-version tags."""
    from ..tracking.store import ensure_experiment

    cand_run = registry.run_info(c, cand.run_id)
    exp_id = cand_run.info.experiment_id if cand_run is not None else ensure_experiment(c, experiment, session.profile().tracking_uri)
    p = registry.TAG_PREFIX
    try:
        run = c.create_run(exp_id, run_name=f"promote {decision.model} v{cand.version} to {decision.alias}", tags={
            PROMOTION_RUN_TAG: "promotion", f"{p}.model": decision.model, f"{p}.version": str(cand.version),
            f"{p}.alias": decision.alias, f"{p}.ok": str(decision.ok).lower(),
            f"{p}.decision_id": decision.id,
        })
        decision.record = {"run_id": run.info.run_id, "experiment_id": str(exp_id),
                           "artifact": f"runs:/{run.info.run_id}/decision.json"}
        c.log_dict(run.info.run_id, decision.to_dict(), "decision.json")
        c.set_terminated(run.info.run_id, "FINISHED")
        assert cand.version is not None
        registry.set_version_tags(c, decision.model, cand.version, _status_tags(decision))
    except MlopsError:
        raise
    except Exception as exc:
        raise registry._mlflow_error("cannot store the decision record (the alias did not move)", exc) from None


def _confirm_record(c: Any, decision: Decision, cand: registry.ModelRef) -> None:
    # The alias has moved: a failure here must not hide that, so it only warns.
    try:
        assert cand.version is not None
        registry.set_version_tags(c, decision.model, cand.version, _status_tags(decision))
        run_id = decision.record.get("run_id")
        if run_id:
            c.set_tag(run_id, f"{registry.TAG_PREFIX}.promoted", "true")
            c.log_dict(run_id, decision.to_dict(), "decision.json")
    except Exception as exc:
        warnings.warn(f"promoted, but confirming the decision record failed: {exc}", stacklevel=3)


def _record_check(decision: Decision) -> None:
    from ..checks import record_check

    summary = {"summary": decision.summary, "gates": {g.name: g.status for g in decision.gates},
               "candidate": decision.candidate.get("version"), "dry_run": decision.dry_run}
    try:
        record_check("gate", f"promote {decision.model}@{decision.alias}", decision.ok, summary)
    except Exception as exc:  # the check history is a convenience; the registry is the record
        warnings.warn(f"could not write the check history: {exc}", stacklevel=3)


def _notify(decision: Decision, url: str, settings: WebhookSettings) -> None:
    from ..webhook import WebhookError, deliver

    try:
        res = deliver(url, {"event": "promotion", **decision.to_dict()}, settings)
        decision.webhook = {"url": url, "ok": True, "status": res.status, "attempts": res.attempts}
    except WebhookError as exc:
        decision.webhook = {"url": url, "ok": False, "error": exc.message}
        warnings.warn(f"promoted, but the webhook was not delivered: {exc.message}", stacklevel=3)
