"""The side panel in a real JupyterLab, driven in Debian's Chromium by Playwright.

One JupyterLab server per module (start-up is the slow part); screenshots go to
``test-artifacts/ui/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.notebooks import make_notebook
from tests.ui.labserver import VENV_BIN, record_stopped_service, running_lab

pytestmark = [pytest.mark.ui, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
TOKEN = "mlops-ui-test-token"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"

TRACK_CELL = """import mlops_jupyter as mj
for lr, acc in [(0.1, 0.81), (0.2, 0.87)]:
    # a run name with markup plotly would otherwise draw as a link (issue 12)
    with mj.track(name=f"lr-{lr} <a href='https://example.com/'>x</a>"):
        mj.log(lr=str(lr))
        for step in range(3):
            mj.log(acc=acc - 0.1 * (2 - step), loss=1 - acc, step=step)"""

VALIDATE_CELL = """import pandas as pd
report = mj.validate(pd.DataFrame({"price": [1, 5, 2000]}), rules="price between 0 and 1000",
                     warn_only=True, name="prices")"""

TEST_CELL = """%%mlops_test --name features
def test_prices_are_positive():
    assert all(p > 0 for p in [1, 5, 2000])

def test_prices_are_capped():
    assert max([1, 5, 2000]) <= 1000"""


LIVE_CELLS = [
    "%load_ext mlops_jupyter",
    "%mlops_track start --name live",
    "import time\nimport mlops_jupyter as mj\nfor i in range(5):\n    mj.log(loss=1 / (i + 1), step=i)\n    time.sleep(0.4)",
    "%mlops_track end",
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """JupyterLab on a fresh project with one notebook that tracks two runs."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: run `make system-deps` (apt-get install chromium)")
    base = tmp_path_factory.mktemp("ui")
    proj = base / "proj"
    proj.mkdir()
    (proj / "mlops.toml").write_text(
        'experiment = "uitest"\n[env.dev]\ntracking_uri = "sqlite:///.mlops/mlflow.db"\n'
        'ui_url = "http://127.0.0.1:9/"\n'
    )
    make_notebook(
        [
            "print(__import__('mlops_jupyter').session.notebook_path)",
            TRACK_CELL,
            VALIDATE_CELL,
            "%load_ext mlops_jupyter",
            TEST_CELL,
        ],
        path=proj / "train.ipynb",
    )
    make_notebook(LIVE_CELLS, path=proj / "live.ipynb")
    record_stopped_service(proj)
    with running_lab(proj, base, TOKEN, {"MLFLOW_ENABLE_ASYNC_LOGGING": "false"}) as url:
        yield {"url": url, "proj": proj, "log": base / "lab.log"}


@pytest.fixture(scope="module")
def page(lab: dict[str, Any]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):  # no stale screenshot from an earlier session
        old.unlink()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        context = browser.new_context(viewport={"width": 1500, "height": 950})
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        try:
            yield pg
        finally:
            context.close()
            browser.close()


def run_command(page: Any, command: str) -> None:
    """Execute a JupyterLab command (the app is exposed as window.jupyterapp)."""
    page.evaluate("cmd => window.jupyterapp.commands.execute(cmd)", command)


def wait_kernel_ready(page: Any, label: str, timeout: int = 120_000) -> None:
    """Wait until the current notebook's kernel is connected and idle.

    The toolbar's execution indicator reads "idle" before a kernel exists, and a
    run-all issued then is dropped without a trace, so ask the session itself.
    """
    page.wait_for_function(
        """label => {
            const w = window.jupyterapp.shell.currentWidget;
            if (!w || w.title.label !== label || !w.sessionContext) return false;
            const k = w.sessionContext.session && w.sessionContext.session.kernel;
            return w.sessionContext.isReady && !!k && k.connectionStatus === 'connected' && k.status === 'idle';
        }""",
        arg=label,
        timeout=timeout,
    )


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


@pytest.fixture
def failure_shot(page: Any, request: pytest.FixtureRequest) -> Iterator[None]:
    """A screenshot of the page as it was when a test failed."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        shot(page, f"failed-{request.node.name}")


def test_panel_tracks_compares_and_exports(lab: dict[str, Any], page: Any, failure_shot: None) -> None:
    proj: Path = lab["proj"]
    # Given JupyterLab with the notebook open and its kernel ready
    page.goto(f"{lab['url']}/lab/tree/train.ipynb?token={TOKEN}")
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    wait_kernel_ready(page, "train.ipynb")
    # When the user opens the side panel
    page.click("li.lm-TabBar-tab[data-id='mlops-jupyter-panel']")
    panel = page.locator("#mlops-jupyter-panel")
    panel.locator(".mlops-notebook").filter(has_text="train.ipynb").wait_for()
    panel.locator(".mlops-empty").wait_for()
    shot(page, "01-panel-empty")
    # And runs every cell of the notebook
    run_command(page, "notebook:run-all-cells")
    # Then the kernel was told its notebook by the frontend (absolute path)
    page.locator(".jp-OutputArea-output", has_text=str(proj / "train.ipynb")).wait_for(timeout=120_000)
    # And both runs appear in the panel with their metrics (refresh after the cell ran)
    rows = panel.locator(".mlops-run-row")
    rows.nth(1).wait_for(timeout=120_000)
    assert rows.count() == 2
    acc_cells = panel.locator("td.mlops-metric[data-metric='acc']").all_inner_texts()
    assert sorted(acc_cells) == ["0.8100", "0.8700"]
    assert panel.locator(".mlops-status-finished").count() == 2
    shot(page, "02-runs")
    # When the user sorts by acc (descending) the best run comes first
    panel.locator("th.mlops-metric-col[data-metric='acc']").click()
    panel.locator("th.mlops-metric-col[data-metric='acc']", has_text="▼").wait_for()
    page.wait_for_function(
        "() => document.querySelector('#mlops-jupyter-panel td.mlops-metric[data-metric=\"acc\"]').textContent === '0.8700'"
    )
    # When two runs are selected, a comparison chart is drawn
    boxes = panel.locator("input.mlops-run-select")
    boxes.nth(0).check()
    boxes.nth(1).check()
    panel.locator(".mlops-compare-chart[data-plotted='2']").wait_for()
    assert panel.locator(".mlops-compare-chart.js-plotly-plot .main-svg").count() >= 1
    # and run names are drawn as plain text: no link in the legend, the markup shown as written
    assert panel.locator(".mlops-compare-chart a").count() == 0
    assert "<a href='https://example.com/'>x</a>" in (panel.locator(".mlops-compare-chart .legend").first.text_content() or "")
    shot(page, "03-compare")
    # When a run is opened, its details show params, history chart and artifacts
    panel.locator("a.mlops-run-link").first.click()
    card = panel.locator(".mlops-details-card")
    card.wait_for()
    card.locator(".mlops-history-chart[data-plotted]").wait_for()
    assert "lr" in card.locator(".mlops-params").inner_text()
    shot(page, "04-details")
    # Data and Checks say plainly what is (not) configured
    assert panel.locator(".mlops-section-data").inner_text().strip() != ""
    # the failed validation of the last cell is the notebook's latest check
    panel.locator(".mlops-check-failed", has_text="validation: prices").wait_for()
    assert "1 of 1 rules failed on 3 rows" in panel.locator(".mlops-check-failed", has_text="validation: prices").inner_text()
    # and the notebook's tests sit next to it, with their counts and the failing test's name
    tests_entry = panel.locator(".mlops-check-failed", has_text="test: features")
    tests_entry.wait_for()
    assert "1 passed, 1 failed — test_prices_are_capped" in tests_entry.inner_text()
    assert panel.locator(".mlops-open-ui").count() == 1
    # Services: the project's stopped service, each arm's model and its last five minutes
    service = panel.locator(".mlops-service[data-service='churn']")
    service.wait_for()
    assert "stopped" in service.inner_text()
    champion = service.locator("li.mlops-service-arm[data-arm='champion']").inner_text()
    assert champion.startswith("champion v3\n9 requests · 1 error · p95 "), champion
    assert champion.endswith(" ms")
    # a narrow panel wraps the section instead of cutting it off
    assert service.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
    # When the user exports the notebook as a job
    panel.locator("button.mlops-export").click()
    panel.locator(".mlops-export-file").first.wait_for(timeout=120_000)
    shot(page, "05-export")
    files = panel.locator(".mlops-export-file").all_inner_texts()
    # Then the job folder with those files exists in the project
    job_dirs = [p for p in (proj / "jobs").iterdir() if p.is_dir()]
    assert len(job_dirs) == 1
    assert files and all((job_dirs[0] / f).exists() for f in files)
    # When the kernel restarts, the panel tells the new kernel its notebook again
    run_command(page, "notebook:clear-all-cell-outputs")
    assert page.locator(".jp-OutputArea-output", has_text=str(proj / "train.ipynb")).count() == 0
    page.evaluate("""() => {
        window.__mlopsRestarted = false;
        const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
        kernel.statusChanged.connect((_, status) => {
            if (status === 'restarting' || status === 'autorestarting') window.__mlopsRestarted = true;
        });
    }""")
    page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Restart Kernel…").first.click()
    page.locator(".jp-Dialog-button.jp-mod-accept").click()
    page.wait_for_function("() => window.__mlopsRestarted === true")
    wait_kernel_ready(page, "train.ipynb")
    page.locator(".jp-Notebook .jp-Cell").first.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    page.locator(".jp-OutputArea-output", has_text=str(proj / "train.ipynb")).wait_for(timeout=60_000)
    shot(page, "06-after-restart")


def test_live_chart_renders_and_fills_in_lab(lab: dict[str, Any], page: Any, failure_shot: None) -> None:
    # Given a notebook that starts a run, logs five points over two seconds and ends it
    page.goto(f"{lab['url']}/lab/tree/live.ipynb?token={TOKEN}")
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)", has_text="%mlops_track start --name live")
    panel.locator(".jp-Notebook .jp-Cell").first.wait_for()
    wait_kernel_ready(page, "live.ipynb")
    # When every cell runs
    run_command(page, "notebook:run-all-cells")
    # Then the start cell shows the run card and a live plotly chart (a FigureWidget in an
    # interactive kernel) that fills in from later cells as the run logs
    start_cell = panel.locator(".jp-Notebook .jp-Cell").nth(1)
    start_cell.locator(".mlops-card").wait_for(timeout=120_000)
    start_cell.locator(".js-plotly-plot").wait_for(timeout=120_000)
    page.wait_for_function(
        """() => {
            const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
            const plot = nb && nb.querySelectorAll('.jp-Cell')[1].querySelector('.js-plotly-plot');
            return !!plot && Array.isArray(plot.data) && plot.data.length === 1 && plot.data[0].y.length === 5
                && plot.data[0].name === 'loss' && !!plot.querySelector('.legend');
        }""",
        timeout=120_000,
    )
    shot(page, "07-live-chart")


def test_labextension_list_shows_it_enabled() -> None:
    jupyter = shutil.which("jupyter", path=str(VENV_BIN)) or str(VENV_BIN / "jupyter")
    out = subprocess.run([jupyter, "labextension", "list"], capture_output=True, text=True, timeout=120)
    text = out.stdout + out.stderr
    line = next((ln for ln in text.splitlines() if "mlops-jupyter" in ln), "")
    assert "enabled" in line and "OK" in line, text
