"""The data status panel: a real git + DVC repo, a real IPython shell, real button clicks;
and a real kernel for the choice between the widget and the HTML table."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlops_jupyter.session import session
from tests.conftest import git, make_dvc_project
from tests.notebooks import execute, make_notebook

TOML = 'experiment = "t"\n[env.dev]\ndvc_remote = "local"\n[env.prod]\ninteractive = "read-only"\ndvc_remote = "local"\n'
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def write(root: Path, rel: str, text: str) -> str:
    (root / rel).write_text(text)
    return hashlib.md5(text.encode()).hexdigest()


def pinned_md5(root: Path, rel: str) -> str:
    return str(yaml.safe_load((root / f"{rel}.dvc").read_text())["outs"][0]["md5"])


def on_remote(root: Path, md5: str) -> bool:
    return (root.parent / "remote" / "files" / "md5" / md5[:2] / md5[2:]).is_file()


@pytest.fixture
def three_pins(ip: Any, git_project: Path) -> Path:
    """clean.csv (committed, pushed), modified.csv (changed after its pin), unpushed.csv."""
    root = make_dvc_project(git_project, TOML)
    write(root, "data/clean.csv", "x\n1\n")
    write(root, "data/modified.csv", "x\n2\n")
    ip.run_line_magic("mlops_data", 'pin data/clean.csv data/modified.csv --push -m "v1"')
    write(root, "data/unpushed.csv", "x\n3\n")
    ip.run_line_magic("mlops_data", 'pin data/unpushed.csv -m "v2"')
    write(root, "data/modified.csv", "x\n22\n")
    return root


def states(panel: Any) -> dict[str, str]:
    return {r.path: ", ".join(r.flags) or "clean" for r in panel.status.rows}


def test_panel_push_and_repin_fix_the_table(ip: Any, three_pins: Path) -> None:
    root = three_pins
    st = ip.run_line_magic("mlops_data", "status")
    # this shell has no kernel, so no widget front-end: the HTML and text views as before
    assert st._repr_mimebundle_() is None and "mlops-badge" in st._repr_html_()
    data, _ = ip.display_formatter.format(st)
    assert WIDGET_MIME not in data and "not pushed" in data["text/plain"]

    panel = st.widget()
    assert {k: b.description for k, b in panel.actions.items()} == {
        "push": "Push 1 not-pushed", "repin": "Re-pin 1 modified", "refresh": "Refresh"}
    assert not any(b.disabled for b in panel.actions.values())
    assert "data/unpushed.csv" in panel.actions["push"].tooltip
    assert "2 need attention" in panel.summary.value
    bundle = panel._repr_mimebundle_()
    assert WIDGET_MIME in bundle and "data/unpushed.csv  not pushed" in bundle["text/plain"]
    panel.filter.value = "attention"
    shown = panel.table.value.replace("<wbr>", "")  # long names may break after '/' and '.'
    assert "data/modified.csv" in shown and "data/clean.csv" not in shown
    panel.filter.value = "all"
    assert "data/clean.csv" in panel.table.value.replace("<wbr>", "")

    unpushed_md5 = pinned_md5(root, "data/unpushed.csv")
    assert not on_remote(root, unpushed_md5)
    panel.actions["push"].click()
    assert on_remote(root, unpushed_md5)
    assert "✓ pushed 1 pin(s) to remote" in panel.message.value
    assert states(panel) == {"data/clean.csv": "clean", "data/modified.csv": "modified", "data/unpushed.csv": "clean"}
    assert set(panel.actions) == {"repin", "refresh"}  # nothing left to push: the button is gone

    new_md5 = hashlib.md5(b"x\n22\n").hexdigest()
    panel.actions["repin"].click()
    assert pinned_md5(root, "data/modified.csv") == new_md5
    assert "✓ re-pinned 1: data/modified.csv" in panel.message.value
    assert states(panel)["data/modified.csv"] == "not committed, not pushed"
    assert {k: b.description for k, b in panel.actions.items()} == {
        "push": "Push 1 not-pushed", "commit": "Commit 1 not-committed", "refresh": "Refresh"}

    panel.actions["push"].click()
    assert on_remote(root, new_md5)
    # commit from the panel: exactly the .dvc file, with the user's message
    (root / "notes.txt").write_text("staged, not part of the pin\n")
    git(root, "add", "notes.txt")
    panel.commit_message.value = "data: modified v3"
    panel.actions["commit"].click()
    assert "✓ committed 1 pin(s) as " in panel.message.value and panel.commit_message.value == ""
    assert git(root, "log", "-1", "--format=%s") == "data: modified v3"
    assert git(root, "show", "--name-only", "--format=", "HEAD").splitlines() == ["data/modified.csv.dvc"]
    assert git(root, "diff", "--cached", "--name-only") == "notes.txt"  # other staged work left alone
    panel.actions["refresh"].click()
    assert set(states(panel).values()) == {"clean"} and panel.status.ok
    assert "all clean" in panel.summary.value and set(panel.actions) == {"refresh"}
    panel.filter.value = "attention"
    assert "every pin is clean (3 in" in panel.table.value


def test_read_only_profile_disables_the_actions(ip: Any, three_pins: Path) -> None:
    root = three_pins
    ip.run_line_magic("mlops_env", "prod")
    panel = ip.run_line_magic("mlops_data", "status").widget()
    (root / "data/new.csv").write_text("x\n4\n")
    ip.run_line_magic("mlops_env", "dev")
    ip.run_line_magic("mlops_data", "pin data/new.csv")  # not committed
    ip.run_line_magic("mlops_env", "prod")
    panel = ip.run_line_magic("mlops_data", "status").widget()
    assert panel.commit_message.disabled
    for key in ("push", "repin", "commit"):
        button = panel.actions[key]
        assert button.disabled
        assert "read-only from interactive kernels" in button.tooltip and "%mlops_env dev" in button.tooltip
    assert not panel.actions["refresh"].disabled
    # a click that reaches the kernel anyway is refused by the API itself
    before = (root / "data/modified.csv.dvc").read_text()
    panel.actions["repin"].click()
    assert "✗ ReadOnlyEnvironment: cannot pin data" in panel.message.value
    assert (root / "data/modified.csv.dvc").read_text() == before
    assert not on_remote(root, pinned_md5(root, "data/unpushed.csv"))


def test_no_remote_disables_push(ip: Any, git_project: Path) -> None:
    root = make_dvc_project(git_project)  # remote 'local' exists but is neither default nor in a profile
    write(root, "data/t.csv", "x\n1\n")
    ip.run_line_magic("mlops_data", 'pin data/t.csv -m "v1"')
    panel = ip.run_line_magic("mlops_data", "status").widget()
    push = panel.actions["push"]
    assert push.description == "Push: no remote" and push.disabled
    assert "no DVC remote to push to" in push.tooltip and "dvc_remote" in push.tooltip


def test_a_failing_push_is_one_line_and_loses_nothing(ip: Any, three_pins: Path) -> None:
    root = three_pins
    remote = root.parent / "remote"
    shutil.rmtree(remote)
    remote.write_text("not a folder\n")  # even root cannot create objects under a file
    data_before = {p.name: p.read_bytes() for p in (root / "data").iterdir()}
    md5 = pinned_md5(root, "data/unpushed.csv")
    panel = ip.run_line_magic("mlops_data", "status").widget()
    panel.actions["push"].click()
    msg = panel.message.value
    assert "✗ DataError: dvc push to &#x27;local&#x27; failed" in msg
    assert "\n" not in msg and "Traceback" not in msg
    assert {p.name: p.read_bytes() for p in (root / "data").iterdir()} == data_before
    assert (root / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]).read_bytes() == b"x\n3\n"
    assert states(panel)["data/unpushed.csv"] == "not pushed"
    assert not panel.actions["push"].disabled  # refreshed, ready to try again once the remote is back
    remote.unlink()
    remote.mkdir()
    panel.actions["push"].click()
    assert "✓ pushed" in panel.message.value and on_remote(root, md5)


@pytest.mark.slow
def test_kernel_shows_the_widget_and_headless_gets_html(git_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_dvc_project(git_project, TOML)
    write(root, "data/t.csv", "x\n1\n")
    # a kernel nobody watches (nbconvert --execute, papermill): HTML, never widget state
    plain = make_notebook(["%load_ext mlops_jupyter\nimport mlops_jupyter as mj\nmj.data_status()"])
    execute(plain, root, timeout=120)
    assert WIDGET_MIME not in plain.cells[0].outputs[-1]["data"]
    # a kernel started by a Jupyter server for a notebook (as JupyterLab does)
    monkeypatch.setenv("JPY_SESSION_NAME", str(root / "status.ipynb"))
    nb = make_notebook([
        "%load_ext mlops_jupyter\nimport os, sys\nimport mlops_jupyter as mj\nmj.pin('data/t.csv')",
        "os.environ['MLOPS_HEADLESS'] = '1'\nst = mj.data_status()\nst",
        "print('ipywidgets' in sys.modules)",
        "del os.environ['MLOPS_HEADLESS']\nst",
    ])
    execute(nb, root, timeout=120)
    headless, light, interactive = (c.outputs for c in nb.cells[1:])
    assert WIDGET_MIME not in headless[0]["data"] and "not committed" in headless[0]["data"]["text/html"]
    assert light[0]["text"].strip() == "False"
    data = interactive[0]["data"]
    assert WIDGET_MIME in data
    assert "mlops-badge" in data["text/html"] and data["text/plain"].startswith("data status of ")
    assert session.headless  # this process never became interactive


def test_commit_pinned_errors_are_one_line(ip: Any, three_pins: Path) -> None:
    from mlops_jupyter.data.status import commit_pinned
    from mlops_jupyter.errors import DataError

    with pytest.raises(DataError, match="needs a message"):
        commit_pinned(["data/clean.csv"], "  ")
    with pytest.raises(DataError, match="is not pinned"):
        commit_pinned(["data/nope.csv"], "m")
    with pytest.raises(DataError, match="already committed"):
        commit_pinned(["data/clean.csv"], "m")
