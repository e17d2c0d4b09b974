"""REST routes of the side panel, against a real Jupyter server and a real SQLite store."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from mlops_jupyter.checks import record_check
from mlops_jupyter.server.handlers import ROUTES, MlopsHandler

from .conftest import make_runs

pytestmark = pytest.mark.slow


async def get_json(jp_fetch: Any, *parts: str, **kwargs: Any) -> Any:
    resp = await jp_fetch("mlops-jupyter", *parts, **kwargs)
    assert resp.headers["Content-Type"].startswith("application/json")
    return json.loads(resp.body)


async def status_of(jp_fetch: Any, *parts: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    # jp_fetch adds the token to the headers dict it is given: never share one across tests
    kwargs["headers"] = dict(kwargs.get("headers") or {})
    try:
        resp = await jp_fetch("mlops-jupyter", *parts, **kwargs)
    except HTTPClientError as err:
        assert err.response is not None
        return err.code, json.loads(err.response.body or b"{}")
    return resp.code, json.loads(resp.body)


async def test_health_reports_versions_profile_and_store(jp_fetch: Any, root: Path) -> None:
    # Given a project with an embedded store that has no runs yet
    # When the panel asks for health
    data = await get_json(jp_fetch, "health")
    # Then the store is reachable but empty, and the profile and versions are there
    assert data["ok"] is True
    assert data["store"]["kind"] == "sqlite"
    assert "empty" in data["store"]["detail"]
    assert data["profile"]["name"] == "dev"
    assert data["versions"]["mlflow"]
    assert set(data["features"]) >= {"tracking", "data", "export"}
    # reading must not create the store
    assert not (root / ".mlops" / "mlflow.db").exists()


async def test_experiments_lists_store_experiments(jp_fetch: Any, root: Path) -> None:
    make_runs(root, "nb.ipynb", count=1)
    data = await get_json(jp_fetch, "experiments")
    assert data["default"] == "demo"
    assert "demo" in [e["name"] for e in data["experiments"]]


async def test_runs_of_notebook_sorted_by_metric_and_paged(jp_fetch: Any, root: Path) -> None:
    # Given three runs of nb.ipynb and one run of another notebook
    ids = make_runs(root, "nb.ipynb", count=3)
    make_runs(root, "other.ipynb", count=1)
    # When the panel asks for nb.ipynb's runs, best accuracy first
    data = await get_json(jp_fetch, "runs", params={"notebook": "nb.ipynb", "sort": "metrics.acc"})
    # Then only that notebook's runs come back, in metric order, with metric columns
    assert [r["run_id"] for r in data["runs"]] == list(reversed(ids))
    assert data["metric_keys"] == ["acc", "loss"]
    assert data["runs"][0]["metrics"]["acc"] == pytest.approx(0.7)
    assert data["ui_url"] == "http://mlflow.example:5000"
    # ascending order and status filter
    asc = await get_json(jp_fetch, "runs", params={"notebook": "nb.ipynb", "sort": "metrics.loss", "order": "asc"})
    assert [r["run_id"] for r in asc["runs"]] == list(reversed(ids))
    failed = await get_json(jp_fetch, "runs", params={"notebook": "nb.ipynb", "status": "failed"})
    assert [r["run_id"] for r in failed["runs"]] == [ids[1]]
    # paging: one run per page, the token leads to the next one
    first = await get_json(jp_fetch, "runs", params={"notebook": "nb.ipynb", "sort": "metrics.acc", "page_size": "1"})
    assert first["next_page_token"]
    second = await get_json(
        jp_fetch, "runs",
        params={"notebook": "nb.ipynb", "sort": "metrics.acc", "page_size": "1", "page_token": first["next_page_token"]},
    )
    assert [r["run_id"] for r in second["runs"]] == [ids[1]]
    # without a notebook: the profile's experiment, every run
    everything = await get_json(jp_fetch, "runs")
    assert len(everything["runs"]) == 4


async def test_runs_before_anything_was_tracked_is_empty(jp_fetch: Any, root: Path) -> None:
    data = await get_json(jp_fetch, "runs", params={"notebook": "nb.ipynb"})
    assert data["runs"] == [] and data["next_page_token"] is None
    assert not (root / ".mlops" / "mlflow.db").exists()


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "metrics.a`b"},
        {"sort": "bogus"},
        {"status": "DONE"},
        {"order": "sideways"},
        {"page_size": "0"},
        {"page_size": "x"},
        {"page_token": "not a token"},
    ],
)
async def test_runs_bad_query_is_400(jp_fetch: Any, root: Path, params: dict[str, str]) -> None:
    make_runs(root, "nb.ipynb", count=1)
    code, body = await status_of(jp_fetch, "runs", params=params)
    assert code == 400
    assert body["message"] and "Traceback" not in json.dumps(body)


async def test_run_details(jp_fetch: Any, root: Path) -> None:
    # Given a run with a metric history, params, tags and a notebook snapshot artifact
    from mlflow import MlflowClient

    ids = make_runs(root, "nb.ipynb", count=1)
    client = MlflowClient(tracking_uri=f"sqlite:///{root / '.mlops' / 'mlflow.db'}")
    snap = root / "snap.ipynb"
    snap.write_text("{}")
    client.log_artifact(ids[0], str(snap), artifact_path="notebook")
    # When the panel opens it
    data = await get_json(jp_fetch, "runs", ids[0])
    # Then everything the details view shows is there
    assert data["params"] == {"lr": "0.1"}
    assert [p["step"] for p in data["metric_history"]["acc"]] == [0, 1, 2]
    assert data["tags"]["team"] == "a"
    assert {"path": "notebook/snap.ipynb", "size": 2} in data["artifacts"]
    assert data["notebook_snapshot"]["artifact_path"] == "notebook/snap.ipynb"
    assert data["notebook_snapshot"]["url"].startswith("http://mlflow.example:5000/#/experiments/")


async def test_unknown_run_is_404(jp_fetch: Any, root: Path) -> None:
    make_runs(root, "nb.ipynb", count=1)
    code, body = await status_of(jp_fetch, "runs", "0" * 32)
    assert code == 404 and "no run" in body["message"]


async def test_checks_of_notebook(jp_fetch: Any, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given checks recorded by kernels of two notebooks (absolute path, as the panel says)
    monkeypatch.chdir(root)
    record_check("validation", "train", False, {"failed": 2}, notebook=str(root / "nb.ipynb"))
    record_check("drift", "weekly", True, {"drifted": 0}, notebook=str(root / "other.ipynb"))
    # When the panel asks for nb.ipynb's checks
    data = await get_json(jp_fetch, "checks", params={"notebook": "nb.ipynb"})
    # Then only that notebook's latest verdicts come back
    assert [(c["kind"], c["name"], c["ok"]) for c in data["checks"]] == [("validation", "train", False)]
    every = await get_json(jp_fetch, "checks")
    assert len(every["checks"]) == 2


async def test_services_lists_each_service_and_names_the_one_it_cannot_read(jp_fetch: Any, root: Path) -> None:
    # No service yet: an empty list, not an error
    assert (await get_json(jp_fetch, "services"))["services"] == []
    # A stopped service as mj.serve recorded it, with requests in its log, and a broken one
    from mlops_jupyter.serving.log import RecordLog

    folder = root / ".mlops" / "serving" / "churn"
    folder.mkdir(parents=True)
    (folder / "service.json").write_text(json.dumps({
        "name": "churn", "url": "http://127.0.0.1:9", "stopped": True, "split": 0.2, "env": "dev",
        "gateway_pid": None, "arms": {"champion": {"requested": "models:/churn@champion", "version": "3"}}}))
    log = RecordLog(folder, "requests")
    log.open()
    now = time.time()
    for i, (status, ms) in enumerate([(200, 10.0), (200, 30.0), (503, 0.0), (400, 1.0)]):
        log.append({"request_id": f"r{i}", "time": now - 5, "arm": "champion", "status": status, "latency_ms": ms})
    log.append({"request_id": "old", "time": now - 3600, "arm": "champion", "status": 200, "latency_ms": 99.0})
    sealed = log.rotate()
    assert sealed is not None
    log.flush_segment(sealed)  # to Parquet, by hour, as the gateway does
    log.append({"request_id": "unflushed", "time": now - 1, "arm": "champion", "status": 200, "latency_ms": 20.0})
    assert log.fd is not None
    os.close(log.fd)  # as a running gateway leaves it: the last record only in the write-ahead segment
    (root / ".mlops" / "serving" / "broken").mkdir()
    (root / ".mlops" / "serving" / "broken" / "service.json").write_text("{not json")
    data = await get_json(jp_fetch, "services", params={"notebook": "nb.ipynb"})
    broken, churn = data["services"]
    assert broken["name"] == "broken" and broken["error"].startswith("JSONDecodeError")
    assert (churn["name"], churn["running"], churn["status"]) == ("churn", False, "stopped")
    assert churn["arms"] == [{"arm": "champion", "model": "models:/churn@champion", "version": "3", "up": None}]
    (last,) = churn["last"]  # the last five minutes: the hour-old request is not in it
    assert (last["arm"], last["requests"], last["errors"]) == ("champion", 5, 1)  # Parquet + write-ahead
    assert 28.0 < last["p95_latency_ms"] <= 30.0  # of the answered ones (the 503 is left out)


async def test_datasets_outside_a_dvc_repo_says_not_configured(jp_fetch: Any, root: Path) -> None:
    data = await get_json(jp_fetch, "datasets", params={"notebook": "nb.ipynb"})
    assert data["available"] is True
    assert data["configured"] is False
    assert "git" in data["reason"]


# -- security ------------------------------------------------------------------------

ATTACKS = [
    "../x",
    "a/../../b",
    "/etc/passwd",
    "%2e%2e%2fx",
    "%252e%252e%252fx",
    "..%2fx",
    "x\x00.ipynb",
    "a#/../../b",
    "..\\x",
    "~/x",
]


def _routes_with_notebook_param() -> list[str]:
    return ["runs", "checks", "datasets", "services"]


@pytest.mark.parametrize("route", _routes_with_notebook_param())
@pytest.mark.parametrize("attack", ATTACKS)
async def test_path_attacks_on_query_args_are_refused(jp_fetch: Any, root: Path, route: str, attack: str) -> None:
    code, body = await status_of(jp_fetch, route, params={"notebook": attack})
    assert code in (400, 403, 404), (attack, code)
    assert "root" not in body.get("message", "") or str(root) not in body["message"]


@pytest.mark.parametrize("raw", ["%2e%2e%2fx", "%252e%252e%252fx", "..%2F..%2Fetc%2Fpasswd", "x%00", "a%23%2f..%2f..%2fb"])
async def test_raw_encoded_query_strings_are_refused(
    http_server_client: Any, jp_base_url: str, jp_auth_header: dict[str, str], root: Path, raw: str
) -> None:
    # The raw query string reaches tornado undecoded; the check runs after full decoding.
    url = f"{jp_base_url}mlops-jupyter/runs?notebook={raw}"
    with pytest.raises(HTTPClientError) as err:
        await http_server_client.fetch(url, headers=jp_auth_header)
    assert err.value.code in (400, 403, 404)


@pytest.mark.parametrize("attack", ATTACKS)
async def test_path_attacks_on_export_body_are_refused(jp_fetch: Any, root: Path, attack: str) -> None:
    body = json.dumps({"path": attack + ".ipynb"})
    code, _ = await status_of(jp_fetch, "export", method="POST", body=body, headers={"Content-Type": "application/json"})
    assert code in (400, 403, 404), (attack, code)


async def test_sibling_prefix_and_symlink_out_are_refused(jp_fetch: Any, root: Path) -> None:
    # Given a sibling folder sharing the root's name as prefix, and a symlink pointing out
    sibling = Path(str(root) + "x")
    sibling.mkdir()
    (sibling / "nb.ipynb").write_text("{}")
    os.symlink(sibling, root / "link")
    os.symlink(sibling / "nb.ipynb", root / "linked.ipynb")
    for path in ("link/nb.ipynb", "linked.ipynb", f"../{sibling.name}/nb.ipynb"):
        code, _ = await status_of(jp_fetch, "checks", params={"notebook": path})
        assert code == 403, path
        code, _ = await status_of(
            jp_fetch, "export", method="POST", body=json.dumps({"path": path}),
            headers={"Content-Type": "application/json"},
        )
        assert code == 403, path


@pytest.mark.parametrize("path", [".env", ".ssh/id.ipynb", ".dvc/config.local", "sub/.hidden.ipynb"])
async def test_hidden_files_are_404(jp_fetch: Any, root: Path, path: str) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("{}")
    code, _ = await status_of(jp_fetch, "checks", params={"notebook": path})
    assert code == 404
    code, _ = await status_of(
        jp_fetch, "export", method="POST", body=json.dumps({"path": path}), headers={"Content-Type": "application/json"}
    )
    assert code in (400, 404)  # .env is refused as not a notebook before the lookup


async def test_symlink_to_hidden_inside_root_is_404(jp_fetch: Any, root: Path) -> None:
    (root / ".secret").mkdir()
    (root / ".secret" / "nb.ipynb").write_text("{}")
    os.symlink(root / ".secret" / "nb.ipynb", root / "visible.ipynb")
    code, _ = await status_of(jp_fetch, "checks", params={"notebook": "visible.ipynb"})
    assert code == 404


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("body", "headers", "code"),
    [
        ("{not json", JSON, 400),
        ("[1, 2]", JSON, 400),
        ('{"path": 3}', JSON, 400),
        ("{}", JSON, 400),
        ('{"path": "nb.ipynb", "evil": 1}', JSON, 400),
        ('{"path": "nb.ipynb", "target": 5}', JSON, 400),
        ('{"path": "nb.ipynb"}', {"Content-Type": "text/plain"}, 400),
        ('{"path": "nb.ipynb"}', {"Content-Type": "application/x-www-form-urlencoded"}, 400),
        ('{"path": "missing.ipynb"}', JSON, 404),
        ('{"path": "mlops.toml"}', JSON, 400),
    ],
)
async def test_export_bad_bodies(jp_fetch: Any, root: Path, body: str, headers: dict[str, str], code: int) -> None:
    got, reply = await status_of(jp_fetch, "export", method="POST", body=body, headers=headers)
    assert got == code
    assert reply["message"] and "Traceback" not in json.dumps(reply)


async def test_50mb_body_is_413(jp_fetch: Any, root: Path) -> None:
    body = b'{"path": "' + b"a" * (50 * 1024 * 1024) + b'"}'
    code, reply = await status_of(jp_fetch, "export", method="POST", body=body, headers=JSON, request_timeout=120)
    assert code == 413
    assert "KiB" in reply["message"]


# -- authentication ----------------------------------------------------------------


def _all_route_methods() -> list[tuple[str, str, type[MlopsHandler]]]:
    out = []
    for route, cls in ROUTES:
        path = route.replace("([A-Za-z0-9_\\-]{1,64})", "0" * 32)
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            if method.lower() in cls.__dict__:
                out.append((path, method, cls))
    return out


def _walk_rules(router: Any) -> list[type]:
    out: list[type] = []
    for rule in getattr(router, "rules", []):
        if isinstance(rule.target, type):
            out.append(rule.target)
        else:
            out.extend(_walk_rules(rule.target))
    return out


def test_route_enumeration_covers_every_handler() -> None:
    # a new handler class or method shows up here, so the auth test below covers it
    assert {cls for _, _, cls in _all_route_methods()} == {cls for _, cls in ROUTES}
    for _, method, cls in _all_route_methods():
        fn = cls.__dict__[method.lower()]
        assert hasattr(fn, "__wrapped__"), f"{cls.__name__}.{method} is not decorated"


async def test_every_route_method_needs_authentication(jp_fetch: Any, root: Path, jp_serverapp: Any) -> None:
    # Given every method of every handler the extension registered (found on the app)
    registered = [cls for cls in _walk_rules(jp_serverapp.web_app.default_router) if issubclass(cls, MlopsHandler)]
    assert set(registered) == {cls for _, cls in ROUTES}
    for path, method, _cls in _all_route_methods():
        body = '{"path": "nb.ipynb"}' if method != "GET" else None
        # When called without a token (and without a cookie)
        code, _ = await status_of(
            jp_fetch, *path.split("/"), method=method, body=body,
            headers={"Authorization": "", "Content-Type": "application/json"}, allow_nonstandard_methods=True,
        )
        # Then it is refused
        assert code == 403, (path, method, code)
        # And a wrong token is refused too
        code, _ = await status_of(
            jp_fetch, *path.split("/"), method=method, body=body,
            headers={"Authorization": "token wrong", "Content-Type": "application/json"},
            allow_nonstandard_methods=True,
        )
        assert code == 403, (path, method, code)


async def test_cookie_post_needs_xsrf(
    http_server_client: Any, jp_base_url: str, jp_serverapp: Any, root: Path
) -> None:
    # Given a browser session logged in by cookie (token given once in the URL)
    token = jp_serverapp.identity_provider.token
    resp = await http_server_client.fetch(f"{jp_base_url}mlops-jupyter/health?token={token}")
    cookies = [c.split(";")[0] for c in resp.headers.get_list("Set-Cookie")]
    login = [c for c in cookies if not c.startswith("_xsrf")]
    assert login, cookies
    # When it POSTs with the cookie but no _xsrf token
    with pytest.raises(HTTPClientError) as err:
        await http_server_client.fetch(
            f"{jp_base_url}mlops-jupyter/export", method="POST", body='{"path": "nb.ipynb"}',
            headers={"Cookie": "; ".join(login), "Content-Type": "application/json"},
        )
    # Then it is refused; the same cookie session can still read
    assert err.value.code == 403
    ok = await http_server_client.fetch(f"{jp_base_url}mlops-jupyter/health", headers={"Cookie": "; ".join(login)})
    assert ok.code == 200


# -- errors ------------------------------------------------------------------------


async def test_config_error_is_json_without_secrets(jp_fetch: Any, root: Path, jp_serverapp: Any) -> None:
    # Given a broken mlops.toml
    (root / "mlops.toml").write_text("experiment = [unclosed\n")
    code, body = await status_of(jp_fetch, "runs")
    assert code == 400
    assert body["error"] == "ConfigError"
    assert jp_serverapp.identity_provider.token not in json.dumps(body)


async def test_store_failure_is_json_and_masks_passwords(
    jp_fetch: Any, root: Path, jp_serverapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a tracking URI with a password, pointing nowhere
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://alice:s3cr3t-pw@127.0.0.1:9/")
    health = await get_json(jp_fetch, "health")
    assert health["store"]["reachable"] is False
    assert "s3cr3t-pw" not in json.dumps(health)
    assert "alice:***@" in health["profile"]["tracking_uri"]
    # And a corrupt SQLite store
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    (root / ".mlops").mkdir()
    (root / ".mlops" / "mlflow.db").write_bytes(b"this is not a database" * 100)
    code, body = await status_of(jp_fetch, "runs")
    assert code == 502
    assert body["error"] == "TrackingError"
    text = json.dumps(body)
    assert "Traceback" not in text and jp_serverapp.identity_provider.token not in text


async def test_export_writes_job_folder_and_returns_spec(jp_fetch: Any, root: Path) -> None:
    # Given a real notebook in the root
    from tests.notebooks import make_notebook

    make_notebook(["x = 1", "print(x)"], path=root / "train.ipynb")
    # When the panel exports it
    resp = await jp_fetch(
        "mlops-jupyter", "export", method="POST",
        body=json.dumps({"path": "train.ipynb", "target": "generic"}), headers=dict(JSON),
    )
    data = json.loads(resp.body)
    # Then the job folder exists under the root and the reply carries its spec
    job_dir = root / data["job_dir_relative"]
    assert job_dir.is_dir() and job_dir.is_relative_to(root)
    assert data["spec"]["name"] == data["name"]
    assert data["files"] and all((job_dir / name).exists() for name in data["files"])


async def test_export_unknown_target_is_400(jp_fetch: Any, root: Path) -> None:
    code, body = await status_of(
        jp_fetch, "export", method="POST", body=json.dumps({"path": "nb.ipynb", "target": "jenkins"}), headers=JSON
    )
    assert code == 400 and "target" in body["message"]


async def test_datasets_of_a_dvc_project_lists_pins_and_states(
    jp_fetch: Any, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the root is a git + DVC repository with one pinned file, later modified
    import subprocess

    from mlops_jupyter.data import pin
    from mlops_jupyter.session import session

    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / "train.csv").write_text("a,b\n1,2\n")
    monkeypatch.chdir(root)
    session.start_dir = root
    pin("train.csv", init=True)
    session.start_dir = None
    (root / "train.csv").write_text("a,b\n1,3\n")
    # When the panel asks for the data status of a notebook in that project
    data = await get_json(jp_fetch, "datasets", params={"notebook": "nb.ipynb"})
    # Then the pin is listed with its state
    assert data["available"] is True and data["configured"] is True
    rows = {r["path"]: r for r in data["status"]["rows"]}
    assert rows["train.csv"]["state"] != "clean"


async def test_blocking_work_runs_in_the_thread_pool(
    jp_fetch: Any, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the service behind the route records where it runs
    import threading

    from mlops_jupyter.server import services

    seen: list[str] = []
    real = services.experiments

    def spy(root_dir: str) -> dict[str, Any]:
        seen.append(threading.current_thread().name)
        return real(root_dir)

    monkeypatch.setattr(services, "experiments", spy)
    # When the route is called
    await get_json(jp_fetch, "experiments")
    # Then it ran in the extension's executor, not on the event loop's thread
    assert len(seen) == 1 and seen[0].startswith("mlops-jupyter")
    assert seen[0] != threading.main_thread().name


def test_loading_the_server_extension_imports_no_heavy_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys, mlops_jupyter.server, mlops_jupyter.server.handlers; "
        "heavy = [m for m in ('mlflow', 'dvc', 'scipy', 'plotly', 'sqlalchemy') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
