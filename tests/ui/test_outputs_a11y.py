"""Every kind of cell output and the side panel together, in the light and the dark theme.

A real JupyterLab in Debian's Chromium (Playwright): a notebook shows a run card, a
comparison, a validation report, a drift report, a data pin and status, an export, the
environment, and an unscoped ``<style>`` as older versions saved it in notebooks. Then:

- axe-core (WCAG 2.1 A/AA rules) finds no violation in the panel nor in any output;
- the panel's computed styles are what they were before any output was shown;
- output tables wrap (no cell spills into the next; the validation table fits its card);
- a run with metrics named ``constructor``, ``toString`` and ``__proto__`` breaks nothing:
  the panel lists every run;
- the panel opened before any notebook asks the server instead of saying "not reachable".

Screenshots of the panel and of each output kind go to ``test-artifacts/ui/`` (``a11y-``).
One JupyterLab for the module; two tests.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import git, make_dvc_project
from tests.notebooks import make_notebook
from tests.ui.labserver import record_stopped_service, running_lab
from tests.ui.test_side_panel import ARTIFACTS, CHROMIUM, FLAGS, run_command, wait_kernel_ready

pytestmark = [pytest.mark.ui, pytest.mark.slow]

TOKEN = "mlops-ui-a11y-token"
AXE = Path(__file__).resolve().parents[2] / "labextension" / "node_modules" / "axe-core" / "axe.min.js"
WCAG21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# What an output of mlops_jupyter <= 0.1 carried: unscoped rules on the panel's old class names.
LEGACY_STYLE = (
    "<style>.mlops-table{border-collapse:collapse;font-size:12px}"
    ".mlops-badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:11px;font-weight:600;color:#fff}"
    ".mlops-muted{background:#6e7781}.mlops-muted-text{color:#6e7781}</style>"
)

LONG = "a_rather_long_column_name_of_a_feature_store_export"
CELLS = [
    ("%load_ext mlops_jupyter", "setup"),
    ("from IPython.display import HTML\n"
     f"HTML({LEGACY_STYLE!r} + '<div class=\"mlops-muted\">an output saved by an older version</div>')", "legacy"),
    ("import mlops_jupyter as mj\nimport numpy as np\nimport pandas as pd\n"
     "for i, acc in enumerate([0.71, 0.78]):\n"
     "    with mj.track(name=f'plain-{i}'):\n"
     "        mj.log(acc=acc, loss=1 - acc)\n", "setup"),
    ("%mlops_track start --name prototype-names", "setup"),
    ("mj.log(**{'constructor': 1.5, 'toString': 2.5, '__proto__': 3.5, 'acc': 0.74, 'loss': 0.3})", "setup"),
    ("%mlops_track end", "run card"),
    ("mj.compare('acc')", "compare"),
    ("df = pd.DataFrame({'price': [1.0, 5.0, 2000.0, None], 'city': ['a', 'b', 'c', 'd']})\n"
     "mj.validate(df, rules='price between 0 and 1000\\nprice is not null\\n"
     "city in [\"a\", \"b\"]\\nrows >= 100', warn_only=True, name='prices')", "validation"),
    ("rng = np.random.default_rng(0)\n"
     f"ref = pd.DataFrame({{'{LONG}': rng.normal(0, 1, 500), 'age': rng.integers(18, 90, 500).astype(float),"
     " 'plan': rng.choice(['a', 'b', 'c'], 500)})\n"
     f"cur = pd.DataFrame({{'{LONG}': rng.normal(0.8, 1, 500), 'age': rng.integers(18, 90, 500).astype(float),"
     " 'plan': rng.choice(['a', 'b', 'c'], 500, p=[0.6, 0.3, 0.1])})\n"
     "cur.loc[:40, 'age'] = None\n"
     "mj.drift(ref, cur, name='weekly')", "drift"),
    ("open('data/train.csv', 'w').write('x,y\\n1,2\\n3,4\\n')\nmj.pin('data/train.csv', message='v1')", "pin"),
    ("mj.data_status()", "data status"),
    ("mj.export_notebook('outputs.ipynb')", "export"),
    ("%mlops_env", "environment"),
]


def _axe(page: Any, selector: str) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations inside ``selector`` (plotly's SVG internals excluded)."""
    return page.evaluate(
        """async ([selector, tags]) => {
            const result = await axe.run({include: [[selector]], exclude: [['.js-plotly-plot .main-svg']]},
                                         {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => ({target: n.target, summary: n.failureSummary}))}));
        }""",
        [selector, WCAG21_AA],
    )


# Computed properties of panel elements that an output's stylesheet could change.
PROBE_PROPS = ["color", "background-color", "opacity", "font-size", "font-weight", "padding-left",
               "border-top-left-radius", "display", "white-space"]
PROBE_JS = """props => {
    const panel = document.getElementById('mlops-jupyter-panel');
    const probes = {
        dim: '<span class="mlops-dim">x</span>',
        pill: '<span class="mlops-pill mlops-status-finished">x</span>',
        grid: '<table class="mlops-grid"><tbody><tr><td>x</td></tr></tbody></table>',
        title: '<h3 class="mlops-section-title">x</h3>',
    };
    const out = {};
    for (const [name, html] of Object.entries(probes)) {
        const box = document.createElement('div');
        box.innerHTML = html;
        panel.appendChild(box);
        const el = name === 'grid' ? box.querySelector('td') : box.firstElementChild;
        const cs = getComputedStyle(el);
        out[name] = Object.fromEntries(props.map(p => [p, cs.getPropertyValue(p)]));
        box.remove();
    }
    return out;
}"""

# Cells of output tables that spill over their box or overlap their right-hand neighbour.
SPILL_JS = """() => {
    const bad = [];
    for (const table of document.querySelectorAll('.jp-OutputArea-output .mlops-card table.mlops-table')) {
        for (const row of table.rows) {
            const cells = [...row.cells];
            cells.forEach((cell, i) => {
                if (cell.scrollWidth > cell.clientWidth + 1) bad.push('spills: ' + cell.textContent.slice(0, 60));
                const next = cells[i + 1];
                if (next && cell.getBoundingClientRect().right > next.getBoundingClientRect().left + 1)
                    bad.push('overlaps: ' + cell.textContent.slice(0, 60));
            });
        }
    }
    return bad;
}"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """JupyterLab on a git + DVC project with the notebook of every output kind."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: run `make system-deps` (apt-get install chromium)")
    if not AXE.exists():
        pytest.fail(f"axe-core is missing ({AXE}): run `make labextension` (jlpm install)")
    base = tmp_path_factory.mktemp("a11y")
    proj = base / "proj"
    proj.mkdir()
    git(proj, "init", "-q")
    git(proj, "config", "user.email", "t@example.com")
    git(proj, "config", "user.name", "t")
    (proj / "README.md").write_text("demo\n")
    git(proj, "add", "README.md")
    git(proj, "commit", "-q", "-m", "init")
    make_dvc_project(proj, 'experiment = "a11y"\n[env.dev]\ntracking_uri = "sqlite:///.mlops/mlflow.db"\n'
                           'dvc_remote = "local"\n[tracking]\nlive_chart = "off"\n')
    make_notebook([src for src, _ in CELLS], path=proj / "outputs.ipynb")
    git(proj, "add", "-A")
    git(proj, "commit", "-q", "-m", "notebook")
    record_stopped_service(proj)  # the Services section is checked too
    with running_lab(proj, base, TOKEN, {"MLFLOW_ENABLE_ASYNC_LOGGING": "false"}) as url:
        yield {"url": url, "proj": proj}


@pytest.fixture(scope="module")
def page(lab: dict[str, Any]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        context = browser.new_context(viewport={"width": 1500, "height": 1000})
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        try:
            yield pg
        finally:
            context.close()
            browser.close()


def _shot(locator: Any, name: str) -> None:
    locator.screenshot(path=str(ARTIFACTS / f"a11y-{name}.png"))


def test_panel_before_any_notebook_asks_the_server(lab: dict[str, Any], page: Any) -> None:
    # Given JupyterLab with no notebook open (a fresh workspace)
    health: list[str] = []
    page.on("request", lambda r: health.append(r.url) if "/mlops-jupyter/health" in r.url else None)
    page.goto(f"{lab['url']}/lab?reset&token={TOKEN}")
    page.wait_for_selector("li.lm-TabBar-tab[data-id='mlops-jupyter-panel']")
    # When the user opens the side panel
    page.click("li.lm-TabBar-tab[data-id='mlops-jupyter-panel']")
    panel = page.locator("#mlops-jupyter-panel")
    # Then it asked the server and shows the store, not "not reachable"
    panel.locator(".mlops-store", has_text="Env dev").wait_for()
    assert health, "the panel never requested /mlops-jupyter/health"
    assert "not reachable" not in panel.inner_text()
    assert panel.locator(".mlops-notebook", has_text="Open a notebook").count() == 1


def test_outputs_and_panel_are_accessible_in_light_and_dark(lab: dict[str, Any], page: Any) -> None:
    # Given the notebook of every output kind, run in a live kernel
    page.goto(f"{lab['url']}/lab/tree/outputs.ipynb?token={TOKEN}")
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    wait_kernel_ready(page, "outputs.ipynb")
    page.click("li.lm-TabBar-tab[data-id='mlops-jupyter-panel']")
    panel = page.locator("#mlops-jupyter-panel")
    panel.locator(".mlops-notebook", has_text="outputs.ipynb").wait_for()
    before = page.evaluate(PROBE_JS, PROBE_PROPS)  # the panel's styles with no output shown
    run_command(page, "notebook:run-all-cells")
    cells = page.locator(".jp-Notebook .jp-Cell.jp-CodeCell")
    kinds = {i: kind for i, (_, kind) in enumerate(CELLS) if kind != "setup"}
    for i, kind in kinds.items():
        target = ".mlops-card" if kind != "legacy" else ".mlops-muted"
        try:
            cells.nth(i).locator(f".jp-OutputArea-output {target}").first.wait_for(timeout=180_000)
        except Exception:
            _shot(page, f"failed-{kind.replace(' ', '-')}")
            raise AssertionError(f"cell {i} ({kind}) shows no output: {cells.nth(i).inner_text()[:2000]}") from None
    # The panel lists every run, the one with prototype-named metrics included
    panel.locator(".mlops-run-row").nth(2).wait_for(timeout=60_000)
    page.locator("#mlops-jupyter-panel .mlops-data-row").first.wait_for(timeout=60_000)
    panel.locator(".mlops-check", has_text="validation: prices").wait_for(timeout=60_000)
    names = panel.locator("a.mlops-run-link").all_inner_texts()
    assert sorted(names) == ["plain-0", "plain-1", "prototype-names"], names
    assert panel.locator(".mlops-run-broken, .mlops-error-note").count() == 0
    proto_row = panel.locator(".mlops-run-row", has=page.locator("a", has_text="prototype-names"))
    shown = {m: proto_row.locator(f"td.mlops-metric[data-metric='{m}']") for m in ("__proto__", "acc", "constructor")}
    assert shown["acc"].inner_text() == "0.7400"
    assert shown["constructor"].inner_text() == "1.5000" and shown["__proto__"].inner_text() == "3.5000"
    plain_row = panel.locator(".mlops-run-row", has=page.locator("a", has_text="plain-0"))
    assert plain_row.locator("td.mlops-metric[data-metric='constructor']").inner_text() == "–"
    # One pill per dataset state: "not pushed" once, not twice
    data_row = panel.locator(".mlops-data-row", has_text="data/train.csv")
    assert data_row.inner_text().count("not pushed") == 1, data_row.inner_text()
    # The panel looks as it did before any output (an old unscoped style included)
    assert page.evaluate(PROBE_JS, PROBE_PROPS) == before
    dim = page.evaluate("() => getComputedStyle(document.querySelector('#mlops-jupyter-panel .mlops-dim')).backgroundColor")
    assert dim == "rgba(0, 0, 0, 0)"
    # Output tables wrap their text: nothing spills, nothing overlaps, the validation fits its card
    assert page.evaluate(SPILL_JS) == []
    fits = page.evaluate("""() => [...document.querySelectorAll('.jp-OutputArea-output .mlops-card')]
        .filter(c => c.textContent.includes('validation: prices'))
        .map(c => c.scrollWidth <= c.clientWidth + 1)""")
    assert fits == [True]
    page.add_script_tag(path=str(AXE))
    problems: dict[str, Any] = {}
    for theme, light in (("JupyterLab Light", "true"), ("JupyterLab Dark", "false")):
        page.evaluate("theme => window.jupyterapp.commands.execute('apputils:change-theme', {theme})", theme)
        page.wait_for_selector(f"body[data-jp-theme-light='{light}']", state="attached")
        page.wait_for_timeout(500)  # the theme's stylesheet applied
        tag = "light" if light == "true" else "dark"
        problems[f"{tag}/panel"] = _axe(page, "#mlops-jupyter-panel")
        _shot(panel, f"{tag}-panel")
        for i, kind in kinds.items():
            out = cells.nth(i).locator(".jp-Cell-outputArea")
            out.scroll_into_view_if_needed()
            out_id = f"mlops-a11y-{i}"
            out.evaluate("(el, id) => { el.id = id; }", out_id)
            problems[f"{tag}/{kind}"] = _axe(page, f"#{out_id}")
            _shot(out, f"{tag}-{kind.replace(' ', '-')}")
    # the outputs were real results: the pin wrote its .dvc file, the export its job folder
    assert (lab["proj"] / "data" / "train.csv.dvc").exists()
    assert any(p.is_dir() for p in (lab["proj"] / "jobs").iterdir())
    found = {k: v for k, v in problems.items() if v}
    assert not found, json.dumps(found, indent=1)[:6000]
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")
