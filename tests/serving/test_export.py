"""``serve … --export compose|k8s DIR``: files parsed back and checked against schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import mlops_jupyter as mj
from mlops_jupyter.cli import main
from mlops_jupyter.errors import MlopsUsageError
from mlops_jupyter.serving.export import compose_files, export_service, k8s_files
from mlops_jupyter.serving.export_schemas import check

from .conftest import Zoo

EVIL = "models:/x'; rm -rf / #\n$(id)/1"


def _state(uri: str = "models:/churn/1") -> dict[str, object]:
    return {"name": "churn", "split": 0.2, "arms": {
        "champion": {"uri": uri, "version": "1"}, "challenger": {"uri": "models:/churn/2", "version": "2"}}}


def test_compose_export_parses_and_keeps_values_as_data(tmp_path: Path) -> None:
    paths = export_service(_state(EVIL), "compose", tmp_path / "c", "sqlite:////srv/mlflow.db")
    assert sorted(p.name for p in paths) == ["docker-compose.yml", "gateway.json", "prometheus.yml"]
    compose = yaml.safe_load((tmp_path / "c" / "docker-compose.yml").read_text())
    assert set(compose["services"]) == {"champion", "challenger", "gateway", "prometheus"}
    assert compose["services"]["champion"]["command"][4] == EVIL  # one argv item, not a shell line
    gw = json.loads((tmp_path / "c" / "gateway.json").read_text())
    assert gw["split"] == 0.2 and [a["url"] for a in gw["arms"]] == ["http://champion:8080", "http://challenger:8080"]
    prom = yaml.safe_load((tmp_path / "c" / "prometheus.yml").read_text())
    assert prom["scrape_configs"][0]["static_configs"][0]["targets"] == ["gateway:8000"]
    check("compose", {"docker-compose.yml": compose, "gateway.json": gw, "prometheus.yml": prom})


def test_k8s_export_parses_and_matches_the_schema(tmp_path: Path) -> None:
    export_service(_state(), "k8s", tmp_path / "k", "http://mlflow:5000")
    docs = list(yaml.safe_load_all((tmp_path / "k" / "serving.yaml").read_text()))
    kinds = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert ("Deployment", "churn-champion") in kinds and ("Service", "churn-gateway") in kinds
    config = json.loads(next(d for d in docs if d["kind"] == "ConfigMap")["data"]["gateway.json"])
    assert config["split"] == 0.2 and config["arms"][1]["url"] == "http://churn-challenger:8080"
    check("k8s", {"serving.yaml": docs})


def test_schema_check_catches_a_broken_file() -> None:
    files = k8s_files(_state(), "http://m")
    files["serving.yaml"][0]["spec"]["template"]["spec"]["containers"] = []
    with pytest.raises(mj.MlopsError, match="does not match its schema"):
        check("k8s", files)
    bad = compose_files(_state(), "http://m")
    bad["docker-compose.yml"]["services"]["gateway"]["restart"] = "sometimes"
    with pytest.raises(mj.MlopsError):
        check("compose", bad)


def test_export_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    with pytest.raises(MlopsUsageError, match="not an empty folder"):
        export_service(_state(), "compose", tmp_path / "x", "http://m")
    assert [p.name for p in (tmp_path / "x").iterdir()] == ["keep.txt"]
    with pytest.raises(MlopsUsageError, match="unknown export target"):
        export_service(_state(), "helm", tmp_path / "y", "http://m")


def test_cli_export_resolves_the_models_and_starts_nothing(in_zoo: Zoo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["serve", "models:/churn@champion", "--challenger", "models:/churn@challenger", "--split", "0.25",
                 "--export", "k8s", str(tmp_path / "k8s")])
    assert code == 0 and "serving.yaml" in capsys.readouterr().out
    docs = list(yaml.safe_load_all((tmp_path / "k8s" / "serving.yaml").read_text()))
    config = json.loads(next(d for d in docs if d["kind"] == "ConfigMap")["data"]["gateway.json"])
    assert config["split"] == 0.25 and [a["model_uri"] for a in config["arms"]] == ["models:/churn/1", "models:/churn/2"]
    assert not (in_zoo.root / ".mlops" / "serving" / "churn" / "service.json").exists()
