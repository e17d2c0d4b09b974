"""Suites are code: YAML files of rules under ``suites_dir`` (default ``mlops/suites/``).

A suite file is small and reviewable in git::

    name: iris
    description: inferred from iris (150 rows) on 2026-11-27
    rules:
      - sepal_length between 3.9 and 8.3
      - species in {"setosa", "versicolor", "virginica"}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._util import atomic_write_text
from .._views import Viewable
from ..errors import RuleError
from ..session import session
from .language import Rule, parse_rules

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


@dataclass(repr=False)
class Suite(Viewable):
    """A named list of rules in the rule language (one string per rule)."""

    name: str
    rules: list[str] = field(default_factory=list)
    description: str = ""

    def parsed(self) -> list[Rule]:
        """The rules parsed; errors name the suite and the rule's position."""
        try:
            return parse_rules(self.rules)
        except RuleError as exc:
            raise RuleError(f"suite '{self.name}': {exc.message}", hint=exc.hint) from None

    @property
    def text(self) -> str:
        """The rules as one text, the same as a ``%%validate`` cell body."""
        return "\n".join(self.rules)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "rules": list(self.rules)}

    def to_yaml(self) -> str:
        from .._util import dump_yaml

        return dump_yaml(self.to_dict())


def check_name(name: str) -> str:
    """Refuse suite names that are not plain file names (no folders, no ``..``)."""
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
        raise RuleError(f"'{name}' is not a valid suite name",
                        hint="use letters, digits, '_', '-' and '.', e.g. customers_v2")
    return name


def suite_path(name: str) -> Path:
    """Where suite ``name`` lives: ``<suites_dir>/<name>.yaml``."""
    return session.config().suites_dir / f"{check_name(name)}.yaml"


def load_suite(name: str | Path) -> Suite:
    """Read a suite by name (from ``suites_dir``) or from a YAML file path."""
    import yaml

    path = Path(name) if str(name).endswith((".yaml", ".yml")) else suite_path(str(name))
    if not path.is_file():
        folder = session.config().suites_dir
        known = sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []
        raise RuleError(f"no suite '{name}' in {folder}",
                        hint=f"known suites: {', '.join(known)}" if known else
                        "create one with %validate DF --infer NAME or %%validate DF --save NAME")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleError(f"suite file {path} is not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict) or not isinstance(data.get("rules", []), list):
        raise RuleError(f"suite file {path} must be a mapping with a 'rules' list")
    extra = set(data) - {"name", "description", "rules"}
    if extra:
        raise RuleError(f"suite file {path}: unknown key '{sorted(extra)[0]}'",
                        hint="a suite has name, description and rules")
    rules = [str(r) for r in data.get("rules") or []]
    suite = Suite(name=str(data.get("name") or path.stem), rules=rules,
                  description=str(data.get("description") or ""))
    suite.parsed()  # fail early, naming the suite
    return suite


def save_suite(suite: Suite | str | list[str], name: str | None = None) -> Path:
    """Write ``suite`` (a Suite or rules text) to ``<suites_dir>/<name>.yaml``; returns the path.

    A write: refused in a read-only profile from an interactive kernel. The rules are
    parsed first, so a broken suite never replaces a good one.
    """
    session.require_write("save a suite")
    if not isinstance(suite, Suite):
        rules = suite.splitlines() if isinstance(suite, str) else list(suite)
        rules = [r.strip() for r in rules if r.strip() and not r.strip().startswith("#")]
        suite = Suite(name=name or "suite", rules=rules)
    target_name = check_name(name if name is not None else suite.name)
    if target_name != suite.name:
        suite = Suite(name=target_name, rules=list(suite.rules), description=suite.description)
    suite.parsed()
    path = suite_path(target_name)
    atomic_write_text(path, suite.to_yaml())
    return path
