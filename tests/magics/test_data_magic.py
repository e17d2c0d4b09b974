"""%mlops_data in a real IPython shell, its script export, and the `mlops-jupyter data` CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from IPython.core.error import UsageError

from mlops_jupyter.cli import main as cli_main
from mlops_jupyter.magics.data import SCRIPT_EXPORTS, DataMagics
from tests.conftest import make_dvc_project

DVC = str(Path(sys.executable).with_name("dvc"))


def sh(root: Path, *cmd: str) -> str:
    return subprocess.run(list(cmd), cwd=root, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def dvc_project(git_project: Path) -> Path:
    """git + DVC repo with a default local-folder remote and one small CSV (not pinned)."""
    root = make_dvc_project(git_project, default_remote=True)
    pd.DataFrame({"x": [1, 2], "y": ["a", "b"]}).to_csv(root / "data" / "t.csv", index=False)
    return root


@pytest.mark.parametrize(("line", "expected"), [
    ("load data/t.csv --as df", "df = mj.load('data/t.csv')"),
    ("load data/t.csv --rev v1 --as old", "old = mj.load('data/t.csv', rev='v1')"),
    ("load data/imgs --path", "mj.load('data/imgs', as_frame=False)"),
    ("pin data/t.csv", "mj.pin('data/t.csv')"),
    ('pin a.csv b.csv --push -m "new data"', "mj.pin(['a.csv', 'b.csv'], push=True, message='new data')"),
    ("pin x --remote s3 --init", "mj.pin('x', remote='s3', init=True)"),
    ("status", "print(mj.data_status(None))"),
    ("diff data/t.csv --rev A --rev B --key id",
     "print(mj.data_diff('data/t.csv', 'A', rev_b='B', key='id'))"),
    ("load \"it's here.csv\" --as df", "df = mj.load(\"it's here.csv\")"),
    ("push", "mj.push_pinned(None)"),
    ("push data/t.csv --remote s3", "mj.push_pinned(['data/t.csv'], remote='s3')"),
    ('commit -m "data v2"', "mj.commit_pinned(None, 'data v2')"),
    ('commit a.csv -m "m"', "mj.commit_pinned(['a.csv'], 'm')"),
])
def test_script_export(line: str, expected: str) -> None:
    src = SCRIPT_EXPORTS["mlops_data"](line, None)
    assert src == expected
    compile(src, "<export>", "exec")


def test_script_export_uses_the_magic_parser() -> None:
    assert DataMagics.mlops_data.parser is not None  # type: ignore[attr-defined]
    with pytest.raises(UsageError):
        SCRIPT_EXPORTS["mlops_data"]("frobnicate x", None)
    with pytest.raises(UsageError, match="does not take --push"):
        SCRIPT_EXPORTS["mlops_data"]("load x --push", None)


@pytest.mark.parametrize("line", [
    "", "pin", "load", "load a b", "diff a", "diff a --rev 1 --rev 2 --rev 3", "load a --as 1x",
    "status --push", "pin a --rev x", "commit", "push -m x", "commit --push -m x",
])
def test_bad_arguments_are_usage_errors(ip: Any, line: str) -> None:
    with pytest.raises(UsageError):
        ip.run_line_magic("mlops_data", line)


def test_magic_pin_load_status_diff(ip: Any, dvc_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pin = ip.run_line_magic("mlops_data", 'pin data/t.csv --push -m "v1"')
    assert pin.state == "clean" and "data/t.csv" in pin._repr_html_()
    rev1 = sh(dvc_project, "git", "rev-parse", "HEAD")
    pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "c"]}).to_csv(dvc_project / "data" / "t.csv", index=False)
    ip.run_line_magic("mlops_data", 'pin data/t.csv -m "v2"')
    assert ip.run_line_magic("mlops_data", f"load data/t.csv --rev {rev1} --as old") is None
    assert ip.user_ns["old"].shape == (2, 2)
    assert "old = DataFrame 2 rows" in capsys.readouterr().out
    st = ip.run_line_magic("mlops_data", "status")
    assert [r.state for r in st.rows] == ["not pushed"]
    d = ip.run_line_magic("mlops_data", f"diff data/t.csv --rev {rev1} --rev HEAD")
    assert d.rows_added == 1 and d.rows_removed == 0


def test_magic_push_and_commit_every_pin_that_needs_it(ip: Any, dvc_project: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    # Given two pins, neither committed nor pushed, and unrelated staged work
    (dvc_project / "data" / "u.csv").write_text("x\n1\n")
    ip.run_line_magic("mlops_data", "pin data/t.csv data/u.csv")
    (dvc_project / "notes.txt").write_text("mine\n")
    sh(dvc_project, "git", "add", "notes.txt")
    assert {r.state for r in ip.run_line_magic("mlops_data", "status").rows} == {"not committed"}
    # When they are committed and pushed with no paths named
    ip.run_line_magic("mlops_data", 'commit -m "data: t and u"')
    ip.run_line_magic("mlops_data", "push")
    out = capsys.readouterr().out
    assert "committed the pins as " in out and "pushed 2 pin(s) to remote 'local'" in out
    # Then exactly the .dvc files went into the commit, and every pin is clean
    assert sh(dvc_project, "git", "log", "-1", "--format=%s") == "data: t and u"
    assert sh(dvc_project, "git", "show", "--name-only", "--format=", "HEAD").splitlines() == [
        "data/.gitignore", "data/t.csv.dvc", "data/u.csv.dvc"]
    assert sh(dvc_project, "git", "diff", "--cached", "--name-only") == "notes.txt"
    assert ip.run_line_magic("mlops_data", "status").ok
    # And a second time there is nothing to do
    ip.run_line_magic("mlops_data", 'commit -m "again"')
    ip.run_line_magic("mlops_data", "push")
    out = capsys.readouterr().out
    assert "nothing to commit" in out and "nothing to push" in out


def test_errors_render_as_one_line(ip: Any, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "x.csv").write_text("a\n1\n")
    result = ip.run_cell("%mlops_data pin x.csv")
    out = capsys.readouterr()
    text = out.out + out.err
    assert result.error_in_exec is not None
    assert "DataError:" in text and "not inside a git repository" in text and "hint:" in text
    assert "Traceback" not in text


def test_cli(dvc_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["data", "pin", "data/t.csv", "-m", "v1", "--push"]) == 0
    assert "pinned data/t.csv" in capsys.readouterr().out
    assert cli_main(["data", "status", "--check"]) == 0
    (dvc_project / "data" / "t.csv").write_text("x,y\n9,z\n")
    assert cli_main(["data", "status", "--check"]) == 1
    assert "modified" in capsys.readouterr().out
    out = dvc_project / "old.csv"
    assert cli_main(["data", "load", "data/t.csv", "--rev", "HEAD", "-o", str(out)]) == 0
    assert out.read_text() == "x,y\n1,a\n2,b\n"
    assert cli_main(["data", "diff", "data/t.csv", "--rev", "HEAD", "--json"]) == 0
    assert '"rows_added": 1' in capsys.readouterr().out
    capsys.readouterr()
    assert cli_main(["fingerprint", "data/t.csv", "--table"]) == 0
    assert capsys.readouterr().out.startswith("xxh3_128:")
    assert cli_main(["fingerprint", "data/t.csv"]) == 0
    assert len(capsys.readouterr().out.split()[0]) == 32
    (dvc_project / "data" / "t.csv").write_text("x,y\n1,a\n2,b\n")
    (dvc_project / "data" / "u.csv").write_text("x\n1\n")
    assert cli_main(["data", "pin", "data/u.csv"]) == 0
    capsys.readouterr()
    assert cli_main(["data", "commit", "-m", "u"]) == 0 and cli_main(["data", "push"]) == 0
    out = capsys.readouterr().out
    assert "committed the pins as " in out and "pushed 1 pin(s)" in out and "data/u.csv" in out
    assert cli_main(["data", "status", "--check"]) == 0
    assert cli_main(["data", "load", "nope.csv"]) == 2
    assert "nope.csv is not pinned" in capsys.readouterr().err


def test_importing_magics_is_light() -> None:
    code = ("import sys, mlops_jupyter.magics.data, mlops_jupyter.cli.data, mlops_jupyter.data\n"
            "bad = [m for m in ('dvc', 'mlflow', 'scipy', 'plotly', 'sqlalchemy', 'pandas') if m in sys.modules]\n"
            "print(bad)")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "[]"
