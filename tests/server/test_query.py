"""Read-side tracking queries (core, no server): paging and metric sorting on SQLite."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from mlops_jupyter.errors import MlopsUsageError
from mlops_jupyter.tracking import query


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[str]]:
    """Runs with acc values incl. a missing one and a NaN, all of one notebook (read-only)."""
    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path_factory.mktemp('q') / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("q")
    ids = []
    for i, acc in enumerate([0.3, None, 0.9, math.nan, 0.6, 0.9]):
        run = client.create_run(exp, run_name=f"r{i}", tags={query.NOTEBOOK_TAG: "/p/nb.ipynb"})
        if acc is not None:
            client.log_metric(run.info.run_id, "acc", acc)
        client.log_metric(run.info.run_id, "other", i)
        client.set_terminated(run.info.run_id, "FINISHED")
        ids.append(run.info.run_id)
    return uri, ids


def _all_pages(uri: str, **kw: object) -> list[str]:
    out: list[str] = []
    token = None
    while True:
        page = query.search_runs(uri, "q", page_size=2, page_token=token, **kw)  # type: ignore[arg-type]
        out += [r["run_id"] for r in page.runs]
        token = page.next_page_token
        if not token:
            return out


def test_metric_sort_puts_best_first_and_missing_or_nan_last(store: tuple[str, list[str]]) -> None:
    uri, ids = store
    got = _all_pages(uri, notebook="/p/nb.ipynb", sort="metrics.acc", descending=True)
    tied = sorted([ids[2], ids[5]])
    assert got[:4] == [*tied, ids[4], ids[0]]
    assert set(got[4:]) == {ids[1], ids[3]}
    asc = _all_pages(uri, notebook="/p/nb.ipynb", sort="metrics.acc", descending=False)
    assert asc[:4] == [ids[0], ids[4], *tied]
    assert len(asc) == len(set(asc)) == 6


def test_notebook_and_status_filters(store: tuple[str, list[str]]) -> None:
    uri, _ids = store
    assert query.search_runs(uri, "q", notebook="/other.ipynb", sort="metrics.acc").runs == []
    assert query.search_runs(uri, "q", status="FAILED", sort="metrics.acc").runs == []
    assert len(query.search_runs(uri, "q", status="finished").runs) == 6


def test_bad_page_token_is_usage_error(store: tuple[str, list[str]]) -> None:
    uri, _ = store
    with pytest.raises(MlopsUsageError):
        query.search_runs(uri, "q", sort="metrics.acc", page_token="!!notbase64")


@pytest.mark.parametrize("payload", ['{"offset": 100000000000000000000000}', '{"offset": -1}', '{"offset": true}',
                                     '{"offset": "5"}', '[1]', '{"nope": 1}'])
@pytest.mark.parametrize("sort", [None, "metrics.acc"])
def test_forged_page_tokens_are_usage_errors_for_api_callers_too(store: tuple[str, list[str]], payload: str,
                                                                  sort: str | None) -> None:
    # Given a token a caller forged (a huge offset once gave OverflowError in the store, or a 502)
    import base64

    token = base64.b64encode(payload.encode()).decode()
    # When the core API is called directly (not over REST), Then it is a one-line usage error
    with pytest.raises(MlopsUsageError, match="invalid page token"):
        query.search_runs(store[0], "q", sort=sort, page_token=token)


def test_missing_sqlite_store_is_empty_and_not_created(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'none.db'}"
    assert query.list_experiments(uri) == []
    assert query.search_runs(uri, "x").runs == []
    assert not (tmp_path / "none.db").exists()


def test_scrub_masks_uri_passwords() -> None:
    text = "cannot connect to postgresql://bob:hunter2@db:5432/x and http://a:b@h/"
    assert "hunter2" not in query.scrub(text) and ":b@" not in query.scrub(text)
