"""Export never overwrites what it did not write, and never ends in a raw exception:
occupied output folders, parameter values a job cannot carry, nbformat 3, file modes."""

from __future__ import annotations

import json
import os
import shutil
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import mlops_jupyter as mj
from mlops_jupyter.errors import ExportConflict, ExportError
from mlops_jupyter.export import jobdir
from tests.notebooks import make_notebook

DATA = Path(__file__).with_name("data")


@pytest.fixture
def train(job_project: Path) -> Path:
    path = job_project / "train.ipynb"
    make_notebook([("alpha = 0.5", ["parameters"]), "print(alpha)"], path)
    return path


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}."))


# -- where export may write ----------------------------------------------------------


def test_out_dot_is_refused_and_the_projects_dvc_yaml_is_kept(train: Path, job_project: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a project with its own dvc.yaml, and the user in the project folder
    (job_project / "dvc.yaml").write_text("stages:\n  prepare:\n    cmd: python prepare.py\n")
    before = _tree(job_project)
    monkeypatch.chdir(job_project)
    # When the notebook is exported into "."
    with pytest.raises(ExportConflict) as err:
        mj.export_notebook(train, out=".")
    # Then nothing of the project was touched, and the error says why in one line
    assert _tree(job_project) == before
    assert "project's folder" in err.value.one_line() and err.value.http_status == 409
    assert len(err.value.lines()) == 2  # the line and a hint


def test_out_naming_an_existing_file_is_refused(train: Path, job_project: Path) -> None:
    (job_project / "notes.txt").write_text("mine")
    with pytest.raises(ExportConflict, match="is not a folder"):
        mj.export_notebook(train, out=job_project / "notes.txt")
    assert (job_project / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("content", [
    {"data.csv": "a,b\n1,2\n"},                                              # any user folder
    {"dvc.yaml": "stages: {}\n"},                                            # a file export also writes
    {"job.yaml": "version: 1\nsource: {notebook: other.ipynb}\n"},           # another notebook's job
    {"job.yaml": "[not, a, spec"},                                           # not a job spec
    {"mlops.toml": "", "job.yaml": "version: 1\nsource: {notebook: train.ipynb}\n"},  # a project
])
def test_foreign_non_empty_folder_is_refused(train: Path, job_project: Path, content: dict[str, str]) -> None:
    folder = job_project / "target"
    folder.mkdir()
    for name, text in content.items():
        (folder / name).write_text(text)
    before = _tree(folder)
    with pytest.raises(ExportConflict):
        mj.export_notebook(train, out=folder)
    assert _tree(folder) == before and _siblings(folder) == []


def test_folder_that_holds_the_notebook_is_refused(job_project: Path) -> None:
    (job_project / "nbs").mkdir()
    make_notebook(["x = 1"], job_project / "nbs" / "a.ipynb")
    with pytest.raises(ExportConflict, match="holds the notebook"):
        mj.export_notebook(job_project / "nbs" / "a.ipynb", out=job_project / "nbs")


def test_empty_folder_and_new_folder_are_written(train: Path, job_project: Path) -> None:
    (job_project / "empty").mkdir()
    res = mj.export_notebook(train, target="generic", out=job_project / "empty")
    assert (res.job_dir / "job.yaml").is_file() and _siblings(res.job_dir) == []
    res = mj.export_notebook(train, target="generic", out=job_project / "deep" / "new")
    assert (res.job_dir / "job.yaml").is_file()


def test_reexport_replaces_own_files_and_keeps_the_rest(train: Path, job_project: Path) -> None:
    # Given a job folder of this notebook (script mode, GitLab) with a past run's output and a README
    first = mj.export_notebook(train, target="gitlab", mode="script")
    (first.job_dir / "out").mkdir()
    (first.job_dir / "out" / "report.json").write_text('{"ok": true}')
    (first.job_dir / "README.md").write_text("my notes")
    # When it is exported again in notebook mode for GitHub
    make_notebook([("alpha = 0.7", ["parameters"]), "print(alpha)"], train)
    second = mj.export_notebook(train, target="github", mode="notebook")
    # Then the folder holds the new export, the files export did not write, and no stale job file
    names = set(os.listdir(second.job_dir))
    assert {"job.yaml", "notebook.ipynb", "github-workflow.yml", "README.md", "out"} <= names
    assert "job.py" not in names and "gitlab-ci.yml" not in names
    assert yaml.safe_load((second.job_dir / "job.yaml").read_text())["parameters"]["alpha"]["default"] == 0.7
    assert (second.job_dir / "out" / "report.json").read_text() == '{"ok": true}'
    assert (second.job_dir / "README.md").read_text() == "my notes"
    assert _siblings(second.job_dir) == []


def test_failed_export_leaves_the_previous_folder_intact(train: Path, job_project: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an exported job folder
    first = mj.export_notebook(train, target="github")
    before = _tree(first.job_dir)
    # When the next export fails half-way through writing (the disk fills up at the 3rd file)
    real_write = jobdir._write
    calls: list[Path] = []

    def failing(path: Path, data: bytes) -> None:
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(jobdir, "_write", failing)
    make_notebook([("alpha = 0.9", ["parameters"]), "print(alpha)"], train)
    with pytest.raises(ExportError, match="No space left"):
        mj.export_notebook(train, target="github")
    # Then the previous folder is exactly as it was, and no half-built folder is left behind
    assert _tree(first.job_dir) == before
    assert _siblings(first.job_dir) == []


def test_readers_never_see_a_missing_or_partial_job_folder(train: Path, job_project: Path) -> None:
    # Given a job folder, and a reader that keeps loading its spec
    res = mj.export_notebook(train, target="generic")
    spec_file = res.job_dir / "job.yaml"
    stop = threading.Event()
    seen: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            try:
                spec = yaml.safe_load(spec_file.read_text())
                lock = (res.job_dir / "requirements.lock").is_file()
                seen.append("ok" if spec["name"] == "train" and lock else "partial")
                time.sleep(0.001)
            except (OSError, TypeError, yaml.YAMLError):
                seen.append("missing")

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        # When the notebook is exported again and again
        for _ in range(2):
            mj.export_notebook(train, target="generic")
    finally:
        stop.set()
        thread.join()
    # Then the reader always saw a complete folder
    assert seen and set(seen) == {"ok"}


def test_cli_refuses_an_occupied_folder_with_one_line(train: Path, job_project: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from mlops_jupyter.cli import main

    monkeypatch.chdir(job_project)
    code = main(["export", "train.ipynb", "--out", "."])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[0].startswith("ExportConflict: ") and err[1].startswith("hint: ")
    assert not (job_project / "job.yaml").exists()


def test_nbconvert_refuses_a_foreign_jobs_folder(job_project: Path) -> None:
    from nbconvert.exporters import get_exporter

    (job_project / "jobs" / "train").mkdir(parents=True)
    (job_project / "jobs" / "train" / "keep.txt").write_text("not a job")
    nb = make_notebook([("n = 1", ["parameters"]), "print(n)"])
    with pytest.raises(ExportConflict):
        get_exporter("mlops_job")(target="generic").from_notebook_node(
            nb, resources={"metadata": {"name": "train", "path": str(job_project)}})


# -- file modes ----------------------------------------------------------------------


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def test_job_files_get_the_users_umask(train: Path, job_project: Path, umask: None) -> None:
    res = mj.export_notebook(train, target="github")
    for name in res.files:
        assert stat.S_IMODE((res.job_dir / name).stat().st_mode) == 0o640, name
    assert stat.S_IMODE(res.job_dir.stat().st_mode) == 0o750
    # re-exported (swapped in) files too
    res = mj.export_notebook(train, target="github")
    assert stat.S_IMODE((res.job_dir / "job.yaml").stat().st_mode) == 0o640


def test_atomic_write_uses_umask_and_keeps_an_existing_mode(tmp_path: Path, umask: None) -> None:
    from mlops_jupyter._util import atomic_write_text

    atomic_write_text(tmp_path / "new.txt", "x")
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    atomic_write_text(script, "#!/bin/sh\necho hi\n")
    assert stat.S_IMODE(script.stat().st_mode) == 0o755
    assert script.read_text().endswith("echo hi\n")


# -- parameter values ----------------------------------------------------------------


@pytest.mark.parametrize(("literal", "what"), [
    ("b'abc'", "bytes"),
    ("{1, 2}", "set"),
    ("1+2j", "complex"),
    ("{None: 1}", "dict key of type NoneType"),
    ("{1: 'a'}", "dict key of type int"),
    ("{(1, 2): 3}", "dict key of type tuple"),
    ("[1, b'x']", "bytes value at alpha[1]"),
    ("{'a': {'b': frozenset()}}", "not a literal"),
    ("{'a': {'b': {2j}}}", "set value at alpha['a']['b']"),
    ("{'a': [1, {2}]}", "set value at alpha['a'][1]"),
    ("[" * 150 + "]" * 150, "nested more than 50 levels"),
    ("[" * 5000 + "]" * 5000, "parameters cell 0"),
])
def test_parameter_values_a_job_cannot_carry_are_refused(job_project: Path, literal: str, what: str) -> None:
    path = job_project / "p.ipynb"
    make_notebook([(f"alpha = {literal}", ["parameters"]), "print(alpha)"], path)
    with pytest.raises(ExportError) as err:
        mj.export_notebook(path, target="generic")
    line = err.value.one_line()
    assert what in line and "\n" not in line
    if "cell 0" not in what:  # the parser's own refusal names the cell, not the parameter
        assert "'alpha'" in line
    if what.split()[0] in ("bytes", "set", "complex", "dict"):
        assert "supported values: int, float, str, bool, None" in (err.value.hint or "")
    assert not (job_project / "jobs" / "p").exists()


def test_tuples_travel_as_lists(job_project: Path) -> None:
    path = job_project / "t.ipynb"
    make_notebook([("alpha = (1, (2, 3))\nbeta = {'k': ('x',)}", ["parameters"]), "print(alpha)"], path)
    spec = yaml.safe_load((mj.export_notebook(path, target="generic").job_dir / "job.yaml").read_text())
    assert spec["parameters"]["alpha"] == {"type": "list", "default": [1, [2, 3]]}
    assert spec["parameters"]["beta"]["default"] == {"k": ["x"]}


# -- nbformat 3 ----------------------------------------------------------------------


def test_nbformat_3_notebook_is_upgraded_and_exported(job_project: Path) -> None:
    # Given a notebook saved in nbformat 3 (cells inside "worksheets", a heading cell)
    path = job_project / "train_v3.ipynb"
    shutil.copy(DATA / "train_v3.ipynb", path)
    assert json.loads(path.read_text())["nbformat"] == 3
    # When it is exported
    res = mj.export_notebook(path, target="generic")
    # Then its parameters are found and the job's notebook is v4 with every cell
    assert res.spec["parameters"]["alpha"] == {"type": "float", "default": 0.5}
    assert res.spec["parameters"]["label"]["default"] == "1e3"
    code = json.loads((res.job_dir / "notebook.ipynb").read_text())
    assert code["nbformat"] == 4 and len(code["cells"]) == 4
    assert "print(alpha * epochs)" in "".join(code["cells"][3]["source"])


@pytest.mark.parametrize("text", [
    '{"nbformat": 3, "worksheets": "nope"}',
    '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}',
    '{"cells": [], "metadata": [], "nbformat": 4, "nbformat_minor": 5}',
    '{"cells": [{"cell_type": "code", "source": "", "metadata": 3, "outputs": []}], "metadata": {}, '
    '"nbformat": 4, "nbformat_minor": 5}',
    "[]",
    "{}",
])
def test_broken_notebooks_are_one_line_errors(job_project: Path, text: str) -> None:
    path = job_project / "bad.ipynb"
    path.write_text(text)
    with pytest.raises(ExportError) as err:
        mj.export_notebook(path)
    assert "\n" not in err.value.one_line()


# -- YAML 1.1 and 1.2 readers ----------------------------------------------------------


@pytest.mark.parametrize("target", ["github", "gitlab"])
def test_every_yaml_file_of_a_job_reads_the_same_in_yaml_1_1_and_1_2(job_project: Path, target: str) -> None:
    from ruamel.yaml import YAML

    # Given string parameters that look like numbers, bools and dates to some YAML reader
    values = {"sci": "1e3", "octal": "0o17", "flag": "yes", "day": "2026-11-29", "clock": "12:30:00",
              "hexa": "0x1f", "under": "1_000", "nul": "~", "y": "n"}
    params = "\n".join(f"{k} = {v!r}" for k, v in values.items())
    path = job_project / "tricky.ipynb"
    make_notebook([(params, ["parameters"]), "print(sci)"], path)
    res = mj.export_notebook(path, target=target)
    # Then a YAML 1.2 reader (ruamel, as GitHub/GitLab-style tools) and PyYAML (1.1) agree on
    # every YAML file of the job, and the parameters are the strings that were written
    files = [n for n in res.files if n.endswith((".yaml", ".yml"))]
    assert len(files) >= 3
    for name in files:
        text = (res.job_dir / name).read_text()
        assert YAML(typ="safe", pure=True).load(text) == yaml.safe_load(text), name
        assert YAML(typ="rt").load(text) == yaml.safe_load(text), name
    spec = YAML(typ="safe", pure=True).load((res.job_dir / "job.yaml").read_text())
    assert {k: spec["parameters"][k]["default"] for k in values} == values


def test_reexport_drops_the_wheel_the_earlier_spec_named_and_keeps_others(train: Path, job_project: Path) -> None:
    # Given a job folder whose spec names the tool's wheel (as issue 11's export does), and a
    # wheel the user put there that the spec does not name
    first = mj.export_notebook(train, target="generic")
    spec_file = first.job_dir / "job.yaml"
    spec = yaml.safe_load(spec_file.read_text())
    spec["environment"]["tool_wheel"] = "mlops_jupyter-0.1-py3-none-any.whl"  # how it names it does not matter
    spec_file.write_text(yaml.safe_dump(spec))
    (first.job_dir / "mlops_jupyter-0.1-py3-none-any.whl").write_bytes(b"old tool")
    (first.job_dir / "users_own-1.0-py3-none-any.whl").write_bytes(b"mine")
    # When it is exported again
    second = mj.export_notebook(train, target="generic")
    # Then the earlier export's wheel is gone and the user's stays
    names = set(os.listdir(second.job_dir))
    assert "mlops_jupyter-0.1-py3-none-any.whl" not in names
    assert (second.job_dir / "users_own-1.0-py3-none-any.whl").read_bytes() == b"mine"
