"""User text in plotly figures is drawn literally: no link, no bold, no line break from a
run, model, metric or column name (plotly reads pseudo-HTML in names, titles and ticks)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter.display.figtext import plotly_text
from tests.integration.servers import use_store_template

HOSTILE = '<a href="https://evil.example/x">click</a> <b>b</b><br><i>i</i><sub>s</sub><sup>t</sup>' \
          '<span style="color:red">r</span> & &lt;kept&gt;'
_ENTITY = re.compile(r"&(amp|lt|gt);")


def plotly_decoded(text: str) -> str:
    """What plotly draws for ``text`` that holds no tag: its entities turned back into characters."""
    return _ENTITY.sub(lambda m: {"amp": "&", "lt": "<", "gt": ">"}[m.group(1)], text)


def assert_literal(drawn: Any, original: str) -> None:
    text = str(drawn)
    assert "<" not in text and ">" not in text, text  # nothing plotly could read as a tag
    assert plotly_decoded(text) == original


def _texts(fig: Any) -> list[str]:
    """Every text of a figure that plotly reads markup in: names, titles, category values."""
    out = [str(t.name) for t in fig.data if t.name is not None]
    title = fig.layout.title.text
    if title:
        out.append(str(title))
    for t in fig.data:
        for attr in ("x", "y"):
            values = getattr(t, attr, None)
            if values is not None:
                out += [v for v in values if isinstance(v, str)]
    return out


def test_plotly_text_round_trips_through_plotlys_entities() -> None:
    for value in (HOSTILE, "plain", "a&b", "&amp;", "<<>>", ""):
        assert_literal(plotly_text(value), value)


def test_run_names_in_the_compare_figure_are_not_markup(project: Path,
                                                          tmp_path_factory: pytest.TempPathFactory) -> None:
    # Given two real runs whose names hold plotly markup (a link among others)
    use_store_template(project, tmp_path_factory.getbasetemp())
    for name, acc in ((HOSTILE, 0.9), ("plain <br> run", 0.8)):
        with mj.track(name=name):
            mj.log(acc=acc)
    # When they are compared
    fig = mj.compare().figure()
    # Then the legend shows the names as text: no link, no tags
    names = [t.name for t in fig.data]
    assert_literal(names[0], "this run (plain <br> run)")
    assert_literal(names[1], f"best other run ({HOSTILE})")
    assert all("<" not in t for t in _texts(fig))


def test_live_chart_title_and_metric_names_are_not_markup() -> None:
    from mlops_jupyter.display.runchart import LiveChart

    chart = LiveChart(f"metrics of {HOSTILE}", min_interval=0, live=False)
    chart.on_points([("<b>loss</b>", 1.0, 0, 0)])
    chart.on_points([("<b>loss</b>", 0.5, 0, 1)])
    fig = chart.figure
    assert len(fig.data) == 1 and list(fig.data[0].y) == [1.0, 0.5]  # one trace, updated in place
    assert_literal(fig.data[0].name, "<b>loss</b>")
    assert_literal(fig.layout.title.text, f"metrics of {HOSTILE}")


def test_column_and_category_names_in_drift_figures_are_not_markup() -> None:
    col = '<a href="https://evil.example">col</a>'
    ref = pd.DataFrame({col: ["<b>A</b>"] * 50 + ["B"] * 50, "x": range(100)})
    cur = pd.DataFrame({col: ["<b>A</b>"] * 10 + ["B"] * 90, "x": range(100)})
    report = mj.drift(ref, cur)
    from mlops_jupyter.display.drift import distribution_figure, scores_figure

    figs = [scores_figure(report), distribution_figure(report, col)]
    for fig in figs:
        texts = _texts(fig)
        assert texts and all("<" not in t and ">" not in t for t in texts), texts
    assert plotly_text(col) in _texts(figs[-2])
    assert plotly_text("<b>A</b>") in _texts(figs[-1])


def test_model_and_metric_names_in_the_release_figure_are_not_markup() -> None:
    from mlops_jupyter.display.release import comparison_figure
    from mlops_jupyter.release.compare import ModelComparison

    comp = ModelComparison(model=HOSTILE, challenger={}, champion=None, confidence=0.95, metrics=[
        {"metric": "<sub>f1</sub>", "challenger": 0.9, "challenger_ci_low": 0.8, "challenger_ci_high": 0.95}])
    fig = comparison_figure(comp)
    assert_literal(fig.data[0].y[0], "<sub>f1</sub>")
    assert_literal(fig.layout.title.text, f"{HOSTILE}: challenger vs champion (95% CI)")
