"""A pin killed at any moment never loses the user's file (real subprocesses, real SIGKILL).

``dvc add`` moves the file into the cache before linking it back: a kill in between left
no workspace file, no ``.dvc`` file and a re-pin failing "does not exist". These tests kill
a real ``mj.pin`` subprocess at many times spread over its whole run, at every named step
of the pin (the pin kills itself there), and the moment anything appears on disk; after
each kill the file must hold its original bytes and a re-pin must succeed.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import mlops_jupyter as mj
from mlops_jupyter.data.adding import CRASH_POINTS, TMP_DIR
from mlops_jupyter.data.repo import DataRepo
from tests.conftest import make_dvc_project

pytestmark = pytest.mark.slow

WORKTREE = str(Path(__file__).resolve().parents[2])
SCRIPT = (
    "import sys, mlops_jupyter as mj, mlops_jupyter.data.pins, mlops_jupyter.data.adding, yaml\n"
    "print('READY', flush=True)\n"
    "mj.pin(sys.argv[1])\n"
    "print('DONE', flush=True)\n"
)
MB = 1024 * 1024


@pytest.fixture
def repo_root(git_project: Path) -> Path:
    return make_dvc_project(git_project, 'experiment = "t"\n')


def _spawn(root: Path, rel: str, crash_at: str | None = None) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=WORKTREE + os.pathsep + os.environ.get("PYTHONPATH", ""), MLOPS_PROGRESS="0")
    env.pop("MLOPS_PIN_CRASH_AT", None)
    if crash_at:
        env["MLOPS_PIN_CRASH_AT"] = crash_at
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, rel], cwd=root, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "READY"
    return proc


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _check_after_kill(root: Path, rel: str, expected: str, what: str, status: bool = True) -> None:
    """The file is there with its bytes; a re-pin succeeds and the pin is consistent."""
    full = root / rel
    assert full.exists(), f"{rel} lost after a kill {what}"
    assert _md5(full) == expected, f"{rel} changed by a kill {what}"
    pin = mj.pin(rel)
    assert pin.md5 == expected
    assert yaml.safe_load((root / f"{rel}.dvc").read_text())["outs"][0]["md5"] == expected
    obj = DataRepo(root).cache_path(expected)
    assert _md5(obj) == expected and obj.stat().st_mode & 0o222 == 0  # read-only, like DVC's
    if status:
        assert {r.path: r.state for r in mj.data_status(check_remote=False).rows}[rel] == "not committed"


def _pinned_run_time(root: Path, rel: str) -> float:
    proc = _spawn(root, rel)
    t0 = time.perf_counter()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "DONE" in out, err
    return time.perf_counter() - t0


def test_kills_spread_over_the_whole_pin_never_lose_the_file(repo_root: Path) -> None:
    root, rel = repo_root, "data/big.bin"
    full = root / rel
    rng = random.Random(12)
    full.write_bytes(rng.randbytes(20 * MB))
    duration = _pinned_run_time(root, rel)  # a whole pin after start-up, for the sweep
    kills = 20
    died = 0
    for i in range(kills):
        with full.open("r+b") as fh:  # new content each round, so every round is a real pin
            fh.write(rng.randbytes(64))
        expected = _md5(full)
        proc = _spawn(root, rel)
        delay = duration * 1.1 * (i + rng.random()) / kills  # one kill in each slice of the pin
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        died += proc.returncode == -signal.SIGKILL
        _check_after_kill(root, rel, expected, f"{delay:.3f} s into the pin", status=i % 5 == 0)
    assert died >= kills // 2  # most kills landed while the pin was running
    assert not os.listdir(DataRepo(root).cache_dir() / TMP_DIR)  # stale temp files were cleaned up


def test_kill_at_every_step_of_the_pin(repo_root: Path) -> None:
    root = repo_root
    for i, point in enumerate(CRASH_POINTS):
        name = f"step{i}"  # a fresh path each time: its .gitignore entry is new too
        rel = f"data/{name}"
        if point.startswith("listing"):
            (root / rel / "sub").mkdir(parents=True)
            (root / rel / "a.bin").write_bytes(os.urandom(2 * MB))
            (root / rel / "sub" / "b.txt").write_text(f"b{i}\n")
        else:
            (root / rel).write_bytes(os.urandom(8 * MB))
        before = _tree_md5(root / rel)
        proc = _spawn(root, rel, crash_at=point)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL, f"the pin never reached {point}: {err[-500:]}"
        assert _tree_md5(root / rel) == before, f"{rel} changed by a kill at {point}"
        if point.startswith("listing"):
            pin = mj.pin(rel)
            assert pin.files == 2 and pin.md5.endswith(".dir")
        else:
            _check_after_kill(root, rel, before[""], f"at {point}")
        assert (root / "data" / ".gitignore").read_text().splitlines().count(f"/{name}") == 1
        # nothing half-written is left next to the data once a pin ran again
        assert [p.name for p in (root / "data").iterdir() if "mlops-tmp" in p.name] == [], point


def _tree_md5(path: Path) -> dict[str, str]:
    if path.is_file():
        return {"": _md5(path)}
    return {p.relative_to(path).as_posix(): _md5(p) for p in path.rglob("*") if p.is_file()}


def _first_trace(root: Path, rel: str, ino: int, trigger: str) -> bool:
    full = root / rel
    if trigger == "data file gone or replaced":
        try:
            return full.stat().st_ino != ino
        except FileNotFoundError:
            return True
    if trigger == "a .dvc file":
        return (root / f"{rel}.dvc").exists()
    cache = DataRepo(root).cache_dir()
    return any(f for _, _, f in os.walk(cache))  # a cache object or a temp file


def test_kill_the_moment_the_pin_changes_the_disk(repo_root: Path) -> None:
    """Poll for a trace of the pin on disk and kill right then. With `dvc add` the data
    file vanished for a while (moved into the cache, then linked back): a kill then lost
    it. Here it must never vanish; a trigger that never fires lets the pin finish."""
    root, rel = repo_root, "data/poll.bin"
    full = root / rel
    for round_, trigger in enumerate(["data file gone or replaced", "a cache file", "a .dvc file"]):
        full.write_bytes(os.urandom(24 * MB))
        expected, ino = _md5(full), full.stat().st_ino
        proc = _spawn(root, rel)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if _first_trace(root, rel, ino, trigger):
                proc.send_signal(signal.SIGKILL)
                break
        proc.communicate(timeout=60)
        _check_after_kill(root, rel, expected, f"at the first {trigger} (round {round_})")
        assert trigger != "data file gone or replaced" or proc.returncode == 0, "the data file was moved"
        for f in DataRepo(root).cache_dir().rglob("*"):  # the next round starts from an empty cache
            if f.is_file():
                f.chmod(0o644)
                f.unlink()
        (root / f"{rel}.dvc").unlink()


def test_the_pin_is_what_dvc_add_writes_and_dvc_agrees(repo_root: Path) -> None:
    root = repo_root
    dvc = str(Path(sys.executable).with_name("dvc"))
    (root / "data" / "f.csv").write_text("a,b\n1,2\n")
    (root / "data" / "imgs" / "sub").mkdir(parents=True)
    (root / "data" / "imgs" / "x.bin").write_bytes(b"\0\1\2")
    (root / "data" / "imgs" / "sub" / "y[1] *.txt").write_text("y\n")  # glob characters in a name
    mj.pin(["data/f.csv", "data/imgs"])
    ours = {p: (root / f"{p}.dvc").read_text() for p in ("data/f.csv", "data/imgs")}
    status = subprocess.run([dvc, "status"], cwd=root, capture_output=True, text=True, check=True)
    assert "up to date" in status.stdout, status.stdout
    # dvc add of the same content changes nothing: same .dvc files, same .gitignore
    gitignore = (root / "data" / ".gitignore").read_text()
    subprocess.run([dvc, "add", "-q", "data/f.csv", "data/imgs"], cwd=root, check=True, capture_output=True)
    assert {p: (root / f"{p}.dvc").read_text() for p in ours} == ours
    assert (root / "data" / ".gitignore").read_text() == gitignore == "/f.csv\n/imgs\n"
    # extra fields of an existing .dvc file survive a re-pin, like with dvc add
    (root / "data" / "f.csv.dvc").write_text(ours["data/f.csv"] + "desc: orders\n")
    (root / "data" / "f.csv").write_text("a,b\n1,3\n")
    mj.pin("data/f.csv")
    assert yaml.safe_load((root / "data" / "f.csv.dvc").read_text())["desc"] == "orders"
    # what dvc add refuses is refused, before anything is written
    from mlops_jupyter.errors import DataError

    with pytest.raises(DataError, match=r"overlaps with data/imgs"):
        mj.pin("data/imgs/x.bin")
    with pytest.raises(DataError, match=r"data is tracked by git itself"):  # its staged .dvc files, as DVC says
        mj.pin("data")
    assert not (root / "data" / "imgs" / "x.bin.dvc").exists() and not (root / "data.dvc").exists()
    (root / "dvc.yaml").write_text("stages:\n  train:\n    cmd: python t.py\n    outs:\n    - model.pkl\n")
    (root / "model.pkl").write_bytes(b"m")
    with pytest.raises(DataError, match=r"overlaps with model\.pkl, which dvc\.yaml"):
        mj.pin("model.pkl")
