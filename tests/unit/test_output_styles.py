"""The style an output carries reaches nothing outside that output (no browser needed).

The browser test (tests/ui/test_outputs_a11y.py) checks the effect in JupyterLab; this
checks the rule itself on every card: each selector starts with the output's own scope
class, which only that output's wrapper has.
"""

from __future__ import annotations

import re

from mlops_jupyter.display.html import BADGE_COLOURS, badge, card, table


def _selectors(html: str) -> list[str]:
    css = re.search(r"<style>(.*?)</style>", html, re.S)
    assert css is not None
    rules = [r for r in css.group(1).split("}") if r.strip()]
    return [sel.strip() for r in rules for sel in r.split("{")[0].split(",")]


def test_every_selector_is_prefixed_with_the_outputs_own_scope() -> None:
    html = card("drift: weekly", badge("drift") + table(["column", "why"], [["x", "y"]]))
    scope = re.search(r'class="mlops-card (mlops-out-[0-9a-f]{12})"', html)
    assert scope is not None
    selectors = _selectors(html)
    assert selectors and all(s.startswith("." + scope.group(1)) for s in selectors), selectors
    # the old unscoped names of the panel's elements never appear at the start of a selector
    assert not any(re.match(r"\.mlops-(muted|badge|table)\b", s) for s in selectors)


def test_two_outputs_have_two_scopes_and_one_output_is_stable() -> None:
    a, b = card("a", "one"), card("b", "two")
    scope = re.compile(r"mlops-out-[0-9a-f]{12}")
    assert scope.findall(a)[0] != scope.findall(b)[0]
    assert card("a", "one") == a  # same content, same HTML (saved notebooks do not churn)


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_badges_keep_aa_contrast_with_their_white_text() -> None:
    for kind, colour in BADGE_COLOURS.items():
        ratio = 1.05 / (_luminance(colour) + 0.05)
        assert ratio >= 4.5, f"{kind} {colour}: {ratio:.2f}"
