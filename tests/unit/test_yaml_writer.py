"""The one YAML writer: every string comes back as the same string from a YAML 1.1 reader
(PyYAML) and a YAML 1.2 reader (ruamel.yaml, 'safe' and 'rt'), whatever it looks like."""

from __future__ import annotations

import io
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from mlops_jupyter._util import dump_yaml

TRICKY = [
    "yes", "no", "on", "off", "y", "n", "Y", "N", "Yes", "NO", "On", "OFF", "true", "False", "TRUE",
    "~", "null", "Null", "NULL", "", " ", ".inf", "-.inf", "+.INF", ".nan", ".NaN", "0x1f", "0X1F",
    "0o17", "0b1", "017", "1_000", "1e3", "1E3", "1e-3", "1.0e3", "+1", "-1", "-.5", ".5", "1.", "+.5e+3",
    "2026-11-29", "2026-11-29T12:30:00Z", "2026-11-29 12:30:00.5 +01:00", "12:30:00", "190:20:30.15",
    "1:2", "=", "<<", "-", "--- x", "...", "- a", "? a", ": a", "a: b", "# c", "a #c", "!tag", "&a", "*a",
    "|", ">", "%YAML", "@x", "`x", "'", '"', "'quoted'", '"dq"', "a\nb", "trailing ", "\ttab", "\x00",
    "\x85", "\u2028", "\ufeffbom", "é", "日本", "\U0001f600", "0", "-0", "00", "0.0", "1,000", "$1", "10%",
]

# Shapes of the implicit resolvers of YAML 1.1 and 1.2 (ints, floats, bases, sexagesimal,
# timestamps, bools, nulls, special floats): Hypothesis builds strings near all of them.
SHAPES = [
    r"[-+]?[0-9_]{1,6}", r"[-+]?0[bB][01_]{1,5}", r"[-+]?0[oO]?[0-7_]{1,5}", r"[-+]?0[xX][0-9a-fA-F_]{1,5}",
    r"[-+]?[0-9]{0,3}\.?[0-9_]{0,3}([eE][-+]?[0-9]{1,3})?", r"[-+]?\.(inf|Inf|INF|nan|NaN|NAN)",
    r"[-+]?[1-9][0-9]?(:[0-5]?[0-9]){1,3}(\.[0-9]*)?",
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)? ?(Z|[-+][0-9]{1,2}(:[0-9]{2})?)?)?",
    r"(y|n|yes|no|on|off|true|false|null|~)", r"[<=~][<=]?",
]


def _case_mix(word: str, flips: list[bool]) -> str:
    return "".join(c.upper() if f else c for c, f in zip(word, flips + [False] * len(word), strict=False))


scalars = st.one_of(
    st.sampled_from(TRICKY),
    st.one_of([st.from_regex(s, fullmatch=True) for s in SHAPES]),
    st.builds(_case_mix, st.from_regex(SHAPES[-2], fullmatch=True), st.lists(st.booleans(), max_size=5)),
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=[]), max_size=10),
)


def _loaders() -> list[tuple[str, Any]]:
    def ruamel(typ: str) -> Any:
        def load(text: str) -> Any:
            return YAML(typ=typ, pure=True).load(io.StringIO(text))
        return load

    return [("pyyaml 1.1", yaml.safe_load), ("ruamel 1.2 safe", ruamel("safe")), ("ruamel 1.2 rt", ruamel("rt"))]


LOADERS = _loaders()


def _round_trips(value: str) -> None:
    doc = {"key": value, "list": [value, {"nested": value}], value: "as a key"}
    text = dump_yaml(doc)
    for name, load in LOADERS:
        got = load(text)
        assert got["key"] == value and isinstance(got["key"], str), (name, value, text)
        assert got["list"][0] == value and got["list"][1]["nested"] == value, (name, value, text)
        assert value in got and got[value] == "as a key", (name, value, text)
        assert all(isinstance(k, str) for k in got), (name, value, text)


@pytest.mark.parametrize("value", TRICKY)
def test_tricky_strings_round_trip_in_yaml_1_1_and_1_2(value: str) -> None:
    _round_trips(value)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scalars)
def test_generated_strings_round_trip_in_yaml_1_1_and_1_2(value: str) -> None:
    _round_trips(value)


def test_other_scalars_and_order_are_kept() -> None:
    doc = {"on": {"workflow_dispatch": None}, "int": 10**30, "float": 0.1, "inf": float("-inf"), "t": True,
           "none": None, "tuple": (1, "2"), "z": 1, "a": 2}
    text = dump_yaml(doc)
    assert text.splitlines()[0] == "'on':"
    for _name, load in LOADERS:
        got = load(text)
        assert list(got) == list(doc)
        assert got["int"] == 10**30 and got["float"] == 0.1 and got["inf"] == float("-inf")
        assert got["t"] is True and got["none"] is None and list(got["tuple"]) == [1, "2"]


def test_plain_strings_stay_plain() -> None:
    # readable output: only what needs quotes gets them
    assert dump_yaml({"name": "train", "path": "data/wine.csv"}) == "name: train\npath: data/wine.csv\n"


def test_suite_files_and_yaml_artifacts_use_the_writer() -> None:
    from mlops_jupyter.validation.suites import Suite

    text = Suite(name="2026-11-29", rules=["x > 0"], description="1e3").to_yaml()
    for _name, load in LOADERS:
        assert load(text) == {"name": "2026-11-29", "description": "1e3", "rules": ["x > 0"]}
