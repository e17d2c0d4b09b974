"""What a drift test returns, and the two ways it can decline to give a verdict."""

from __future__ import annotations

from dataclasses import dataclass


class TestUndefined(Exception):
    """The test is undefined on these values (too few values, zero variance...): the
    column is reported as *undefined* with this reason, never as drift or no drift."""


class NotApplicable(TestUndefined):
    """The test does not apply to this kind of column (a numeric test on categories, a
    binary test on three values): the column is *skipped* with this reason."""


@dataclass
class TestResult:
    """The statistic, the p-value (tests that have one) and the score compared with the
    threshold; ``note`` says how the p-value was obtained when it is not the textbook
    asymptotic one (e.g. a permutation p-value for small expected counts)."""

    statistic: float
    p_value: float | None
    score: float
    note: str | None = None
