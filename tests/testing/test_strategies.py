"""mj.strategy(suite): frames always pass their suite, and they find a planted bug."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

import mlops_jupyter as mj
from mlops_jupyter.errors import MlopsUsageError

RULES = [
    "order_id is unique", "order_id is integer", "order_id > 0",
    "price between 0 and 1000", "price is float",
    'country in {"FR", "DE", "IT"}', "country is not null",
    "qty is integer", "qty strictly between 0 and 100", "null fraction of qty <= 0.2",
    r'email matches "^[a-z]{1,8}@[a-z]{1,5}\.com$"',
    'channel in {"web", "shop"}', "channel is category",
    'type of code is "object"', "code != \"x\"",
    "ok is boolean",
    "rows between 1 and 25",
]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def test_every_generated_frame_passes_its_suite(project: Path) -> None:
    s = mj.strategy(RULES)
    assert s.unsupported == []
    seen = {"rows": set(), "null_qty": 0}

    @FAST
    @given(s.strategy)
    def check(df: pd.DataFrame) -> None:
        report = mj.validate(df, rules=RULES, warn_only=True)
        assert report.ok, str(report)
        seen["rows"].add(len(df))
        seen["null_qty"] += int(df["qty"].isna().any())

    check()
    # the examples explore the allowed shapes: several sizes, and missing qty values
    assert len(seen["rows"]) > 5 and seen["null_qty"] > 0


def test_saved_suite_by_name_and_unsupported_rules_are_named(project: Path) -> None:
    mj.save_suite(["price > 0", "price * qty == total", "price < 10 where qty > 1"], "orders")
    with pytest.warns(UserWarning, match="cannot honour 2 rule"):
        s = mj.strategy("orders")
    assert s.unsupported == ["price * qty == total", "price < 10 where qty > 1"]
    assert "price" in s.columns and s.columns["price"].low == 0 and s.columns["price"].low_open


def test_contradictions_are_usage_errors() -> None:
    with pytest.raises(MlopsUsageError, match="no possible frame"):
        mj.strategy(['c in {"a", "b"}', "c is unique", "rows >= 3"])


def band(df: pd.DataFrame) -> pd.DataFrame:
    """A planted bug: bins (0, 100] and (100, 1000] leave out price 0, which the suite allows."""
    return df.assign(band=pd.cut(df["price"], bins=[0, 100, 1000], labels=["low", "high"]))


def band_fixed(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(band=pd.cut(df["price"], bins=[0, 100, 1000], labels=["low", "high"], include_lowest=True))


def test_finds_a_planted_bug_in_a_prep_function() -> None:
    s = mj.strategy(["price between 0 and 1000", "price is not null", "rows >= 1"])

    def prop(fn):  # type: ignore[no-untyped-def]
        @FAST
        @given(s.strategy)
        def check(df: pd.DataFrame) -> None:
            assert fn(df)["band"].notna().all()
        return check

    with pytest.raises(AssertionError):
        prop(band)()
    prop(band_fixed)()
