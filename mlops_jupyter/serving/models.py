"""Which model an arm serves: ``models:/NAME@ALIAS`` (pinned to its version at start),
``models:/NAME/VERSION`` or ``runs:/RUN_ID/PATH``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import MlopsUsageError

ALIAS_RE = re.compile(r"^models:/([^/@]+)@([A-Za-z0-9_-]+)$")
VERSION_RE = re.compile(r"^models:/([^/@]+)/(\d+)$")
RUN_RE = re.compile(r"^runs:/([0-9a-fA-F]{8,64})/(.+)$")
FORMS = "models:/NAME@ALIAS, models:/NAME/VERSION or runs:/RUN_ID/PATH"


@dataclass
class ModelSpec:
    """One arm: the model it serves (pinned URI), where that came from, and its port."""

    arm: str
    requested: str
    uri: str
    name: str
    version: str | None = None
    run_id: str | None = None
    port: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"arm": self.arm, "requested": self.requested, "uri": self.uri, "name": self.name,
                "version": self.version, "run_id": self.run_id, "port": self.port}

    def gateway_dict(self) -> dict[str, Any]:
        return {"name": self.arm, "url": f"http://127.0.0.1:{self.port}", "model_uri": self.uri,
                "version": self.version or (f"run {self.run_id[:8]}" if self.run_id else "")}


def parse_model(text: Any) -> tuple[str, str, str]:
    """``(form, a, b)``: ``("alias", name, alias)``, ``("version", name, v)`` or ``("run", id, path)``."""
    if not isinstance(text, str):
        raise MlopsUsageError(f"a model to serve is a URI string ({FORMS}), not {type(text).__name__}")
    for form, rx in (("alias", ALIAS_RE), ("version", VERSION_RE), ("run", RUN_RE)):
        m = rx.match(text.strip())
        if m:
            return form, m.group(1), m.group(2)
    raise MlopsUsageError(f"cannot serve {text!r}: not a model URI ({FORMS})",
                          hint="a registered version, an alias or a run's logged model")


def resolve_model(text: str, arm: str, tracking_uri: str, registry_uri: str | None) -> ModelSpec:
    """Check the model exists in the profile's store; pin an alias to its version."""
    form, a, b = parse_model(text)
    from ..tracking.store import get_client, store_errors

    client = get_client(tracking_uri, registry_uri or tracking_uri)
    with store_errors(f"cannot serve {text}", tracking_uri,
                      hint="check the name/alias/version in the registry of the active profile (%mlops_env)"):
        if form == "alias":
            mv = client.get_model_version_by_alias(a, b)
            return ModelSpec(arm, text, f"models:/{a}/{mv.version}", a, str(mv.version), mv.run_id)
        if form == "version":
            mv = client.get_model_version(a, b)
            return ModelSpec(arm, text, text, a, str(mv.version), mv.run_id)
        run = client.get_run(a)
        name = b.strip("/").split("/")[-1]
        return ModelSpec(arm, text, text, name if name != "model" else run.info.run_name or a[:8], None, a)
