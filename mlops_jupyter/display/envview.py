"""View of the active environment profile (``%mlops_env``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import Profile
from ..session import session
from .html import badge, card, fit, table, text_table


@dataclass
class EnvView:
    """The active profile, how it was chosen, and the other profiles of the project."""

    profile: Profile
    chosen_by: str
    config_source: str
    headless: bool
    all_profiles: list[str]
    show_all: bool = False

    @classmethod
    def current(cls, show_all: bool = False) -> EnvView:
        name, chosen_by = session.env_name()
        cfg = session.config()
        return cls(
            profile=cfg.profile(name),
            chosen_by=chosen_by,
            config_source=cfg.describe_source(),
            headless=session.headless,
            all_profiles=cfg.profile_names,
            show_all=show_all,
        )

    @property
    def ok(self) -> bool:
        return True

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile.to_dict(),
            "chosen_by": self.chosen_by,
            "config": self.config_source,
            "kernel": "headless" if self.headless else "interactive",
            "profiles": self.all_profiles,
        }

    def _rows(self) -> list[tuple[str, Any, str]]:
        p = self.profile.to_dict()
        src = self.profile.sources
        return [
            (key, p[key], src.get(key, "default"))
            for key in ("tracking_uri", "experiment", "dvc_remote", "interactive", "registry_uri", "ui_url")
            if p.get(key) is not None
        ]

    def rights(self) -> str:
        if self.profile.read_only and not self.headless:
            return "read-only (interactive kernel)"
        return "read-write"

    def __str__(self) -> str:
        head = (
            f"environment: {self.profile.name} (chosen by {self.chosen_by}); rights: {self.rights()}\n"
            f"config: {self.config_source}\n"
        )
        body = text_table(["key", "value", "source"], self._rows())
        others = f"\nprofiles: {', '.join(self.all_profiles)}"
        return fit(head + body + others)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        kind = "mlops-warn" if "read-only" in self.rights() else "mlops-ok"
        top = (
            f"<div>{badge(self.profile.name, 'mlops-info')} {badge(self.rights(), kind)} "
            f"<span class='mlops-muted-text'>chosen by {self.chosen_by}; config: {self.config_source}</span></div>"
        )
        profiles = ", ".join(
            f"<b>{p}</b>" if p == self.profile.name else p for p in self.all_profiles
        )
        return card(
            "mlops environment",
            top + table(["key", "value", "source"], self._rows()) + f"<div>profiles: {profiles}</div>",
        )
