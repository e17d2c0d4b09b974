"""Data versions against real git, real DVC and a local-folder DVC remote."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import mlops_jupyter as mj
from mlops_jupyter.data import pins as pins_mod
from mlops_jupyter.data.objects import read_dir_listing
from mlops_jupyter.data.repo import DataRepo
from mlops_jupyter.errors import DataError, DataIntegrityError, ReadOnlyEnvironment
from mlops_jupyter.session import session
from tests.conftest import make_dvc_project

DVC = str(Path(sys.executable).with_name("dvc"))
TOML = 'experiment = "t"\n[env.dev]\ndvc_remote = "local"\n[env.prod]\ninteractive = "read-only"\ndvc_remote = "local"\n'


def sh(root: Path, *cmd: str) -> str:
    return subprocess.run(list(cmd), cwd=root, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def dvc_project(git_project: Path) -> Path:
    """git + DVC repo with a local-folder remote 'local'."""
    return make_dvc_project(git_project, TOML)


def write_csv(root: Path, rows: list[tuple[int, str]], name: str = "data/t.csv") -> Path:
    path = root / name
    pd.DataFrame(rows, columns=["id", "name"]).to_csv(path, index=False)
    return path


def dvc_md5(root: Path, rel: str) -> str:
    return str(yaml.safe_load((root / f"{rel}.dvc").read_text())["outs"][0]["md5"])


def test_pin_commit_change_pin_load_old_revision(dvc_project: Path) -> None:
    root = dvc_project
    write_csv(root, [(1, "a"), (2, "b")])
    v1 = mj.pin("data/t.csv", message="data v1", push=True)
    assert v1.ok and v1.state == "clean" and v1.changed and v1.pushed is True
    assert v1.md5 == dvc_md5(root, "data/t.csv") and v1.size == (root / "data/t.csv").stat().st_size
    rev1 = sh(root, "git", "rev-parse", "HEAD")
    assert v1.revision == rev1
    old_bytes = (root / "data/t.csv").read_bytes()
    write_csv(root, [(1, "a"), (2, "B"), (3, "c")])
    v2 = mj.pin("data/t.csv", message="data v2")
    assert v2.md5 != v1.md5 and v2.state == "not pushed"
    old = mj.load("data/t.csv", rev=rev1)
    assert old.to_dict("list") == {"id": [1, 2], "name": ["a", "b"]}
    assert mj.load("data/t.csv").shape == (3, 2)
    # the raw bytes of the old revision, from a cache that lost them: fetched from the remote
    obj = DataRepo(root).cache_path(v1.md5)
    obj.unlink()
    copy = mj.load("data/t.csv", rev=rev1, as_frame=False)
    assert Path(copy).read_bytes() == old_bytes and obj.is_file()
    # re-pinning unchanged content skips dvc add
    again = mj.pin("data/t.csv")
    assert not again.changed and again.md5 == v2.md5
    # diff the revisions
    d = mj.data_diff("data/t.csv", rev1, key="id")
    assert (d.rows_added, d.rows_removed, d.rows_changed) == (1, 0, 1)
    assert not d.ok and "added 1" in str(d) and d.to_dict()["md5_a"] == v1.md5
    d2 = mj.data_diff("data/t.csv", rev1, "HEAD")
    assert (d2.rows_added, d2.rows_removed) == (2, 1)
    assert mj.data_diff("data/t.csv", "HEAD").identical


def _corrupt_keep_size_and_mtime(path: Path) -> None:
    st = path.stat()
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[0] ^= 0x01
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns


def test_dvc_5978_same_size_same_mtime_corruption_is_refused(dvc_project: Path) -> None:
    root = dvc_project
    write_csv(root, [(1, "a"), (2, "b")])
    pin = mj.pin("data/t.csv", message="v1")
    obj = DataRepo(root).cache_path(pin.md5)
    _corrupt_keep_size_and_mtime(obj)
    with pytest.raises(DataIntegrityError) as err:
        mj.load("data/t.csv", rev="HEAD")
    text = str(err.value)
    assert "data/t.csv" in text and pin.md5 in text and err.value.data["actual"] in text
    assert err.value.data["actual"] != pin.md5
    # the workspace file with the same trick is still seen as modified (ctime is in the state key)
    mj.fingerprint("data/t.csv")
    _corrupt_keep_size_and_mtime(root / "data/t.csv")
    assert mj.data_status(check_remote=False).rows[0].state == "modified"


@pytest.mark.parametrize("change", ["truncate", "append"])
def test_truncated_or_appended_cache_object_is_detected(dvc_project: Path, change: str) -> None:
    root = dvc_project
    write_csv(root, [(i, "x" * 5) for i in range(50)])
    pin = mj.pin("data/t.csv", message="v1")
    obj = DataRepo(root).cache_path(pin.md5)
    os.chmod(obj, 0o644)
    data = obj.read_bytes()
    obj.write_bytes(data[:-7] if change == "truncate" else data + b"9,zz\n")
    with pytest.raises(DataIntegrityError, match=pin.md5):
        mj.load("data/t.csv", as_frame=False)


def test_corrupted_remote_object_is_refused_and_not_cached(dvc_project: Path) -> None:
    root = dvc_project
    write_csv(root, [(1, "a")])
    pin = mj.pin("data/t.csv", message="v1", push=True)
    repo = DataRepo(root)
    remote_obj = root.parent / "remote" / "files" / "md5" / pin.md5[:2] / pin.md5[2:]
    _corrupt_keep_size_and_mtime(remote_obj)
    repo.cache_path(pin.md5).unlink()
    write_csv(root, [(2, "b")])  # the working tree no longer has the pinned bytes either
    with pytest.raises(DataIntegrityError, match="remote 'local'"):
        mj.load("data/t.csv", rev="HEAD")
    assert not repo.cache_path(pin.md5).exists()


def test_push_with_missing_cache_object_is_a_failure(dvc_project: Path) -> None:
    root = dvc_project
    write_csv(root, [(1, "a")])
    pin = mj.pin("data/t.csv", message="v1")
    repo = DataRepo(root)
    repo.cache_path(pin.md5).unlink()
    with pytest.raises(DataError, match="missing from the local cache"):
        pins_mod.push_pins(repo, [pin], "local")
    # DVC itself exits 0 with a warning here; the raw push step still reports failure
    with pytest.raises(DataError, match="missing from the local cache and the remote"):
        pins_mod.dvc_push(repo, [pin], "local")
    assert pin.pushed is False


def test_status_of_every_state(dvc_project: Path) -> None:
    root = dvc_project
    for name in ("clean ü", "modified", "missing", "unpushed"):  # spaces and non-ASCII in paths too
        write_csv(root, [(1, name)], f"data/{name}.csv")
    mj.pin(["data/clean ü.csv", "data/modified.csv", "data/missing.csv"], message="pins", push=True)
    mj.pin("data/unpushed.csv", message="unpushed")
    write_csv(root, [(1, "new")], "data/uncommitted.csv")
    mj.pin("data/uncommitted.csv", push=True)
    write_csv(root, [(2, "changed")], "data/modified.csv")
    (root / "data/missing.csv").unlink()
    st = mj.data_status()
    states = {r.path: r.state for r in st.rows}
    assert states == {
        "data/clean ü.csv": "clean", "data/modified.csv": "modified", "data/missing.csv": "missing",
        "data/unpushed.csv": "not pushed", "data/uncommitted.csv": "not committed",
    }
    assert not st.ok
    frame = st.to_frame()
    assert list(frame["path"]) == sorted(states)
    html = st._repr_html_()
    assert "not pushed" in html and "mlops-badge" in html
    assert "data/missing.csv" in str(st)
    assert mj.data_status(["data/clean ü.csv"]).ok
    assert mj.load("data/clean ü.csv").iloc[0, 1] == "clean ü"


def test_folder_pin_matches_dvc_and_loads_verified(dvc_project: Path) -> None:
    root = dvc_project
    folder = root / "data" / "images"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_bytes(b"line1\r\nline2\r\n")  # CRLF: DVC 3 hashes raw bytes
    (folder / "sub" / "b.bin").write_bytes(bytes(range(256)))
    (folder / "a-b.txt").write_text("sorting by path parts\n")
    pin = mj.pin("data/images", message="images")
    assert pin.md5.endswith(".dir") and pin.files == 3
    assert pin.md5 == dvc_md5(root, "data/images") == mj.fingerprint("data/images")
    got = Path(mj.load("data/images", rev="HEAD"))
    assert (got / "sub" / "b.bin").read_bytes() == bytes(range(256))
    (folder / "a.txt").write_text("changed\n")
    (folder / "new.txt").write_text("new\n")
    d = mj.data_diff("data/images", "HEAD")
    assert d.kind == "files" and d.files_changed == ["a.txt"] and d.files_added == ["new.txt"]
    # corrupt one file's object: the folder load refuses it
    sub_md5 = next(m for rel, m in read_dir_listing(DataRepo(root), pin.md5, "x", None) if rel == "sub/b.bin")
    _corrupt_keep_size_and_mtime(DataRepo(root).cache_path(sub_md5))
    with pytest.raises(DataIntegrityError, match=r"data/images/sub/b\.bin"):
        mj.load("data/images", rev="HEAD")


def test_file_fingerprint_equals_dvc_md5_and_state_cache_skips_rehash(
    dvc_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = dvc_project
    (root / "data" / "crlf.csv").write_bytes(b"a,b\r\n1,2\r\n")
    sh(root, DVC, "add", "-q", "data/crlf.csv")
    assert mj.fingerprint("data/crlf.csv") == dvc_md5(root, "data/crlf.csv")
    from mlops_jupyter.data import hashing

    calls: list[Path] = []
    real = hashing.md5_file
    monkeypatch.setattr(hashing, "md5_file", lambda p, progress=None: calls.append(p) or real(p, progress))
    mj.fingerprint("data/crlf.csv")
    assert calls == []
    (root / "data" / "crlf.csv").write_bytes(b"a,b\r\n1,3\r\n")
    assert mj.fingerprint("data/crlf.csv") != dvc_md5(root, "data/crlf.csv") and len(calls) == 1


def test_clear_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, git_project: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "x.csv").write_text("a\n1\n")
    monkeypatch.chdir(plain)
    with pytest.raises(DataError, match="not inside a git repository") as err:
        mj.pin("x.csv")
    assert "git init" in (err.value.hint or "") and "--init" in (err.value.hint or "")
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "z.csv").write_text("a\n1\n")
    monkeypatch.chdir(fresh)
    assert mj.pin("z.csv", init=True, message="first pin").state == "clean"  # git init + dvc init
    assert (fresh / ".git").is_dir() and (fresh / ".dvc").is_dir()
    monkeypatch.chdir(git_project)
    (git_project / "y.csv").write_text("a\n1\n")
    with pytest.raises(DataError, match="not a DVC repository") as err:
        mj.pin("y.csv")
    assert "dvc init" in (err.value.hint or "")
    with pytest.raises(DataError, match="no DVC remote to push to"):
        mj.pin("y.csv", init=True, push=True)
    assert not (git_project / "y.csv.dvc").exists()
    pin = mj.pin("y.csv", init=True, message="init and pin")
    assert pin.state == "clean" and (git_project / ".dvc").is_dir()
    assert ".dvc/config" in sh(git_project, "git", "show", "--name-only", "--format=", "HEAD").splitlines()
    with pytest.raises(DataError, match="does not exist"):
        mj.pin("nope.csv")
    sh(git_project, "git", "add", "README.md")
    with pytest.raises(DataError, match="tracked by git itself") as err:
        mj.pin("README.md")
    assert "git rm -r --cached" in (err.value.hint or "")
    with pytest.raises(DataError, match="outside the repository"):
        mj.pin(str(plain / "x.csv"))
    with pytest.raises(DataError, match="outside the repository"):
        mj.load("../plain/x.csv")
    with pytest.raises(DataError, match="not pinned at revision"):
        mj.load("y.csv", rev="HEAD~1")
    with pytest.raises(DataError, match="unknown git revision"):
        mj.load("y.csv", rev="no-such-rev")
    # no remote, object gone from the cache: the working-tree file is used if its bytes match
    DataRepo(git_project).cache_path(pin.md5).unlink()
    assert mj.load("y.csv", rev="HEAD").to_dict("list") == {"a": [1]}
    (git_project / "y.csv").write_text("a\n2\n")
    with pytest.raises(DataError, match="no DVC remote is configured"):
        mj.load("y.csv", rev="HEAD")


def test_read_only_profile_refuses_pin_in_interactive_kernel(dvc_project: Path) -> None:
    write_csv(dvc_project, [(1, "a")])
    session.interactive = True
    session.use_env("prod")
    with pytest.raises(ReadOnlyEnvironment, match="pin data"):
        mj.pin("data/t.csv")
    assert not (dvc_project / "data" / "t.csv.dvc").exists()


def test_dvcignore_above_the_folder_is_honoured(dvc_project: Path) -> None:
    root = dvc_project
    imgs = root / "data" / "imgs"
    (imgs / "sub" / "build").mkdir(parents=True)
    for rel in ("a.txt", "b.tmp", "keep.tmp", "sub/c.txt", "sub/secret1", "sub/build/y.txt"):
        (imgs / rel).write_text(rel)
    (root / ".dvcignore").write_text("*.tmp\n!keep.tmp\n")
    (root / "data" / ".dvcignore").write_text("imgs/sub/secret*\nbuild/\n")
    pin = mj.pin("data/imgs")
    assert pin.md5 == dvc_md5(root, "data/imgs") and pin.files == 3
    assert mj.data_status(check_remote=False).rows[0].state == "not committed"  # not "modified"


def test_status_reports_a_deleted_staged_pin_file_as_a_state(dvc_project: Path) -> None:
    """Issue 12: a staged .dvc file deleted by the user raised a raw FileNotFoundError."""
    root = dvc_project
    write_csv(root, [(1, "a")], "data/staged.csv")
    write_csv(root, [(1, "b")], "data/kept.csv")
    pin = mj.pin(["data/staged.csv", "data/kept.csv"])[0]  # staged, not committed
    (root / "data/staged.csv.dvc").unlink()
    st = mj.data_status()
    row = {r.path: r for r in st.rows}["data/staged.csv"]
    assert row.state == "pin file missing" and row.flags == ["pin file missing", "not committed"]
    assert row.md5 == pin.md5  # what the git index says was pinned
    assert {r.path: r.state for r in st.rows}["data/kept.csv"] == "not committed"
    assert not st.ok and st.committable() == ["data/kept.csv"]
    assert "pin file missing" in str(st) and "pin file missing" in st._repr_html_()
    assert st.to_dict()["rows"][1]["state"] == "pin file missing"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    cli = str(Path(sys.executable).with_name("mlops-jupyter"))
    proc = subprocess.run([cli, "data", "status", "--check"], cwd=root, capture_output=True, text=True, env=env)
    assert proc.returncode == 1 and "pin file missing" in proc.stdout, proc.stderr
    (root / "data/staged.csv").unlink()  # the data gone too: both are reported
    assert mj.data_status().rows[1].flags == ["pin file missing", "missing", "not committed"]
