"""The online A/B gate (``mj.promote(..., ab="online:SERVICE")``): the service's live
experiment, read from its inference log and feedback, through the mSPRT of :mod:`.sequential`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import MlopsUsageError
from .sequential import msprt

PREFIX = "online:"


def service_of(ab: str) -> str:
    """``"online:SERVICE"`` → ``SERVICE`` (a usage error for anything else)."""
    if not isinstance(ab, str) or not ab.startswith(PREFIX) or not ab[len(PREFIX):].strip():
        raise MlopsUsageError(f"ab={ab!r} is not an online experiment", hint="write ab='online:SERVICE' (a service name)")
    return ab[len(PREFIX):].strip()


def arm_outcomes(folder: Path, versions: dict[str, str]) -> dict[str, tuple[int, int]]:
    """Per arm ``(correct, labelled)`` over requests served by that arm's current version."""
    from ..serving.log import read_log
    from .api import quality_frame

    log = read_log(folder, "requests")
    if len(log):
        keep = [str(v) == versions.get(str(a), str(v)) for a, v in zip(log["arm"], log["model_version"], strict=True)]
        log = log[keep]
    q = quality_frame(log, read_log(folder, "feedback"))
    out: dict[str, tuple[int, int]] = {}
    for arm in ("champion", "challenger"):
        rows = q[(q["arm"] == arm) & q["correct"].notna()] if len(q) else q
        out[arm] = (int(rows["correct"].sum()) if len(rows) else 0, len(rows))
    return out


def gate_online(service: str, cand: Any, champ: Any, ab: dict[str, Any]) -> Any:
    """A :class:`~mlops_jupyter.release.decision.GateResult` for the ``ab`` gate."""
    from ..release.decision import FAILED, PASSED, GateResult
    from ..serving.service import find_service

    state = find_service(service)
    assert state is not None
    arms = state.get("arms") or {}
    if "challenger" not in arms:
        return GateResult("ab", FAILED, f"service {service} has no challenger arm: no online experiment to read")
    versions = {a: str(v.get("version") or "") for a, v in arms.items()}
    served = arms["challenger"]
    if served.get("name") != cand.name or versions["challenger"] != str(cand.version):
        return GateResult("ab", FAILED, f"the candidate ({cand.name} v{cand.version}) is not the challenger of service "
                                        f"{service} (it serves {served.get('name')} v{versions['challenger']})")
    if champ is not None and versions["champion"] != str(champ.version):
        return GateResult("ab", FAILED, f"service {service}'s champion arm serves v{versions['champion']} but "
                                        f"the alias holds v{champ.version}: the experiment is not against the champion")
    counts = arm_outcomes(Path(state["folder"]), versions)
    (s_a, n_a), (s_b, n_b) = counts["champion"], counts["challenger"]
    res = msprt(s_a, n_a, s_b, n_b, alpha=1 - float(ab["confidence"]), delta=float(ab["delta"]), rule=str(ab["rule"]))
    numbers = {"source": f"online:{service}", "test": "msprt", "metric": "accuracy", "n": n_a + n_b,
               "champion": res.rate_a, "challenger": res.rate_b, "improvement": res.difference,
               "p_value": res.p_value, "details": res.to_dict()}
    rates = (f"accuracy {res.rate_b:.3f} vs {res.rate_a:.3f} on {n_b}+{n_a} labelled requests"
             if res.rate_a is not None and res.rate_b is not None else f"{n_b}+{n_a} labelled requests")
    if res.decision in ("better", "not-worse"):
        return GateResult("ab", PASSED, f"{res.decision} online (mSPRT, always valid, p={res.p_value:.3g}): {rates}", numbers)
    if res.decision == "worse":
        return GateResult("ab", FAILED, f"worse online (mSPRT, p={res.p_value:.3g}): {rates}", numbers)
    need = f"need ≈ {res.need_more} more labelled requests" if res.need_more else "no difference visible yet"
    return GateResult("ab", FAILED, f"insufficient evidence online: {need} (mSPRT Λ={res.lr:.2g} < {res.threshold:.0f}; {rates})",
                      numbers)
