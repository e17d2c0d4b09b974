"""Small pieces of the data topic: progress bars, state cache, .dvc parsing, result views."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlops_jupyter.data import DataDiff, DatasetPin, DataStatus, StatusRow
from mlops_jupyter.data.hashing import PROGRESS_MIN_BYTES, StateCache, digest_path, progress_bar
from mlops_jupyter.data.repo import parse_dvc_file
from mlops_jupyter.errors import DataError


def test_progress_only_for_long_work(monkeypatch: pytest.MonkeyPatch) -> None:
    assert progress_bar(1024, "small") is None
    bar = progress_bar(PROGRESS_MIN_BYTES, "big")
    assert bar is not None
    bar.close()  # type: ignore[attr-defined]
    monkeypatch.setenv("MLOPS_PROGRESS", "0")
    assert progress_bar(PROGRESS_MIN_BYTES, "big") is None


def test_state_cache_keys_on_inode_size_mtime_ctime(tmp_path: Path) -> None:
    cache = StateCache(tmp_path / "state.db")
    f = tmp_path / "x.bin"
    f.write_bytes(b"abc")
    first = digest_path(f, cache).md5
    assert cache.get(f, f.stat()) == first
    st = f.stat()
    f.write_bytes(b"abd")  # same size; restore mtime: ctime still moves
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert cache.get(f, f.stat()) is None
    assert digest_path(f, cache).md5 != first
    cache.close()


def test_state_cache_in_unwritable_place_only_costs_speed(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = StateCache(blocker / "state.db")
    f = tmp_path / "y.bin"
    f.write_bytes(b"y")
    assert digest_path(f, cache).md5 == "415290769594460e2e485922904f345d"


def test_invalid_dvc_file_is_a_clear_error() -> None:
    with pytest.raises(DataError, match=r"not a valid \.dvc file"):
        parse_dvc_file("outs: nope", "x.dvc")
    assert parse_dvc_file("outs:\n- md5: abc\n  size: 3\n  path: x\n", "x.dvc")["md5"] == "abc"


def test_result_views() -> None:
    pin = DatasetPin(path="data/t.csv", md5="a" * 32, size=2048, files=1, revision=None, remote="local",
                     state="not committed", flags=["not committed"])
    assert not pin.ok and "2.0 KiB" in str(pin) and "not committed" in pin._repr_html_()
    assert pin.to_frame().loc[0, "path"] == "data/t.csv"
    rows = [StatusRow("a.csv", "clean", [], "b" * 32, 10, 1, "c" * 40, "local", ["r" * 32])]
    st = DataStatus(root="/p", remote="local", rows=rows)
    assert st.ok and st.to_dict()["rows"][0]["state"] == "clean" and "rrrrrrrr" in str(st)
    empty = DataStatus(root="/p", remote=None, rows=[])
    assert "no pinned datasets" in str(empty) and "no pinned datasets" in empty._repr_html_()
    d = DataDiff(path="a.csv", rev_a="v1", rev_b="workspace", md5_a="1", md5_b="1", kind="table")
    assert d.ok and "identical" in str(d) and "identical" in d._repr_html_()
    files = DataDiff(path="imgs", rev_a="v1", rev_b="v2", md5_a="1", md5_b="2", kind="files",
                     files_added=["n.png"], files_changed=["a.png"])
    assert list(files.to_frame()["change"]) == ["added", "changed"]
    assert "files added: n.png" in str(files)


def test_busy_indicator_for_long_subprocesses(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import time

    from mlops_jupyter.data import hashing

    with hashing.busy(10, "small"):
        pass
    assert "small" not in capsys.readouterr().err
    monkeypatch.setattr(hashing, "PROGRESS_MIN_BYTES", 0)
    with hashing.busy(10, "dvc add big"):
        time.sleep(0.7)
    assert "dvc add big: running for" in capsys.readouterr().err
