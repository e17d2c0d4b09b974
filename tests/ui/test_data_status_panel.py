"""The data status panel in a real JupyterLab (Chromium via Playwright): clicks reach the
kernel through the widget comm, the action runs, the panel redraws.

Screenshots go to ``test-artifacts/ui/`` (prefix ``data-``).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_dvc_project
from tests.notebooks import make_notebook
from tests.ui.labserver import running_lab
from tests.ui.test_side_panel import ARTIFACTS, CHROMIUM, FLAGS, run_command, wait_kernel_ready

pytestmark = [pytest.mark.ui, pytest.mark.slow]

TOKEN = "mlops-ui-data-token"
SETUP = """import mlops_jupyter as mj
mj.pin(['data/clean.csv', 'data/modified.csv'], push=True, message='v1')
open('data/unpushed.csv', 'w').write('x\\n3\\n')
mj.pin('data/unpushed.csv', message='v2')
open('data/modified.csv', 'w').write('x\\n22\\n')
"""


@pytest.fixture
def lab(git_project: Path, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """JupyterLab on a DVC project with a clean, a modified and a not-pushed pin."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: run `make system-deps` (apt-get install chromium)")
    proj = make_dvc_project(git_project, 'experiment = "t"\n[env.dev]\ndvc_remote = "local"\n')
    (proj / "data/clean.csv").write_text("x\n1\n")
    (proj / "data/modified.csv").write_text("x\n2\n")
    subprocess.run([sys.executable, "-c", SETUP], cwd=proj, check=True, capture_output=True)
    make_notebook(["%load_ext mlops_jupyter", "%mlops_data status"], path=proj / "status.ipynb")
    with running_lab(proj, tmp_path, TOKEN) as url:
        yield {"url": url, "proj": proj}


def test_status_panel_push_and_repin_from_the_browser(lab: dict[str, Any]) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    proj: Path = lab["proj"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_context(viewport={"width": 1400, "height": 800}).new_page()
        page.set_default_timeout(60_000)
        try:
            # Given the notebook with `%mlops_data status` run in a live kernel
            page.goto(f"{lab['url']}/lab/tree/status.ipynb?token={TOKEN}")
            page.wait_for_selector(".jp-Notebook .jp-Cell")
            wait_kernel_ready(page, "status.ipynb")
            run_command(page, "notebook:run-all-cells")
            out = page.locator(".jp-OutputArea-output").filter(has_text="data status (remote: local)")
            out.locator("text=3 pin(s), 2 need attention").wait_for()
            page.screenshot(path=str(ARTIFACTS / "data-01-status-panel.png"))
            # When the user pushes the not-pushed pin
            out.locator("button", has_text="Push 1 not-pushed").click()
            # Then the outcome shows in the panel and the table is clean for that row
            out.locator("text=pushed 1 pin(s) to remote 'local'").wait_for()
            out.locator("text=3 pin(s), 1 needs attention: 2 clean, 1 modified").wait_for()
            assert out.locator("button", has_text="not-pushed").count() == 0
            # When the user re-pins the modified file and filters to what needs attention
            out.locator("button", has_text="Re-pin 1 modified").click()
            out.locator("text=re-pinned 1: data/modified.csv").wait_for()
            out.locator("button", has_text="needs attention").click()
            out.locator("tr", has_text="data/modified.csv").locator("text=not committed").wait_for()
            # the filtered table replaces the full one: the clean row goes (waited for, not raced)
            out.locator("tr", has_text="data/clean.csv").wait_for(state="detached", timeout=15_000)
            page.screenshot(path=str(ARTIFACTS / "data-02-after-actions.png"))
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "data-failed.png"))
            raise
        finally:
            browser.close()
    # the pin on disk is the new content's (the panel did not just redraw)
    assert hashlib.md5(b"x\n22\n").hexdigest() in (proj / "data/modified.csv.dvc").read_text()
