"""``serve … --export compose|k8s DIR``: the same service as files that run it elsewhere.

* ``compose``: ``docker-compose.yml`` (one scoring server per arm, the gateway, Prometheus),
  ``gateway.json`` (the gateway's configuration, arms by service name) and
  ``prometheus.yml`` (scrapes the gateway's ``/metrics``).
* ``k8s``: ``serving.yaml`` — a Deployment + Service per arm, the gateway's ConfigMap
  (its split and arms as configuration), Deployment and Service.

Every value (model URIs, names, the tracking URI) goes into the YAML through
``yaml.safe_dump`` (the writer of the CI exports): data, never a shell line. The folder
must not exist or be empty; nothing is overwritten. Running these files on a cluster is not
part of the tests; they are parsed and checked against the schemas in ``export_schemas.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import MlopsUsageError

TARGETS = ("compose", "k8s")
MLFLOW_IMAGE = "ghcr.io/mlflow/mlflow:v3.17.2"
GATEWAY_IMAGE = "mlops-jupyter:latest"  # built from this project (pip install mlops_jupyter)
PROMETHEUS_IMAGE = "prom/prometheus:v2.42.0"
SCORING_PORT = 8080
GATEWAY_PORT = 8000


def _k8s_name(text: str) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:50]
    return name or "service"


def _gateway_config(state: dict[str, Any], host_of: dict[str, str]) -> dict[str, Any]:
    arms = []
    for arm, spec in state["arms"].items():
        arms.append({"name": arm, "url": f"http://{host_of[arm]}:{SCORING_PORT}", "model_uri": spec["uri"],
                     "version": str(spec.get("version") or "")})
    return {"name": state["name"], "folder": "/data/serving", "port": GATEWAY_PORT, "host": "0.0.0.0",
            "split": float(state.get("split", 0.0)), "arms": arms, "probe_interval": 1.0}


def _scoring_cmd(uri: str) -> list[str]:
    return ["mlflow", "models", "serve", "-m", uri, "--env-manager", "local", "-h", "0.0.0.0",
            "-p", str(SCORING_PORT), "-w", "1"]


def compose_files(state: dict[str, Any], tracking_uri: str) -> dict[str, Any]:
    """``{file name: object}`` for docker compose."""
    hosts = {arm: arm for arm in state["arms"]}
    services: dict[str, Any] = {}
    for arm, spec in state["arms"].items():
        services[arm] = {"image": MLFLOW_IMAGE, "command": _scoring_cmd(spec["uri"]),
                         "environment": {"MLFLOW_TRACKING_URI": tracking_uri}, "restart": "unless-stopped"}
    services["gateway"] = {
        "image": GATEWAY_IMAGE, "command": ["python", "-m", "mlops_jupyter.serving.gateway", "/config/gateway.json"],
        "ports": [f"127.0.0.1:{GATEWAY_PORT}:{GATEWAY_PORT}"], "depends_on": list(state["arms"]),
        "volumes": ["./gateway.json:/config/gateway.json:ro", "serving-log:/data/serving"], "restart": "unless-stopped",
    }
    services["prometheus"] = {"image": PROMETHEUS_IMAGE, "command": ["--config.file=/etc/prometheus/prometheus.yml"],
                              "volumes": ["./prometheus.yml:/etc/prometheus/prometheus.yml:ro"],
                              "ports": ["127.0.0.1:9090:9090"], "depends_on": ["gateway"]}
    prometheus = {"global": {"scrape_interval": "15s"},
                  "scrape_configs": [{"job_name": f"mlops-{state['name']}", "metrics_path": "/metrics",
                                      "static_configs": [{"targets": [f"gateway:{GATEWAY_PORT}"]}]}]}
    return {"docker-compose.yml": {"name": _k8s_name(state["name"]), "services": services, "volumes": {"serving-log": {}}},
            "gateway.json": _gateway_config(state, hosts), "prometheus.yml": prometheus}


def k8s_files(state: dict[str, Any], tracking_uri: str) -> dict[str, Any]:
    """``{"serving.yaml": [objects]}``: Deployments, Services and the gateway's ConfigMap."""
    base = _k8s_name(state["name"])
    hosts = {arm: f"{base}-{arm}" for arm in state["arms"]}
    docs: list[dict[str, Any]] = []

    def deployment(name: str, container: dict[str, Any], volumes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": base}
        pod: dict[str, Any] = {"containers": [container]}
        if volumes:
            pod["volumes"] = volumes
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
                "spec": {"replicas": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                         "template": {"metadata": {"labels": labels}, "spec": pod}}}

    def service(name: str, port: int) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                "spec": {"selector": {"app.kubernetes.io/name": name},
                         "ports": [{"port": port, "targetPort": port, "protocol": "TCP"}]}}

    for arm, spec in state["arms"].items():
        name = hosts[arm]
        docs.append(deployment(name, {
            "name": "scoring", "image": MLFLOW_IMAGE, "command": _scoring_cmd(spec["uri"]),
            "env": [{"name": "MLFLOW_TRACKING_URI", "value": tracking_uri}],
            "ports": [{"containerPort": SCORING_PORT}],
            "readinessProbe": {"httpGet": {"path": "/ping", "port": SCORING_PORT}}}))
        docs.append(service(name, SCORING_PORT))
    gw = f"{base}-gateway"
    docs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": gw},
                 "data": {"gateway.json": json.dumps(_gateway_config(state, hosts), indent=2)}})
    docs.append(deployment(gw, {
        "name": "gateway", "image": GATEWAY_IMAGE,
        "command": ["python", "-m", "mlops_jupyter.serving.gateway", "/config/gateway.json"],
        "ports": [{"containerPort": GATEWAY_PORT}],
        "volumeMounts": [{"name": "config", "mountPath": "/config"}, {"name": "log", "mountPath": "/data/serving"}],
        "readinessProbe": {"httpGet": {"path": "/ping", "port": GATEWAY_PORT}}},
        [{"name": "config", "configMap": {"name": gw}}, {"name": "log", "emptyDir": {}}]))
    docs.append(service(gw, GATEWAY_PORT))
    return {"serving.yaml": docs}


def export_service(state: dict[str, Any], target: str, directory: Path | str, tracking_uri: str) -> list[Path]:
    """Write the files of ``target`` for a service ``state`` (``Service.state()``)."""
    import yaml

    from .export_schemas import check

    if target not in TARGETS:
        raise MlopsUsageError(f"unknown export target {target!r}", hint=f"use one of: {', '.join(TARGETS)}")
    out = Path(directory)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise MlopsUsageError(f"{out} exists and is not an empty folder: nothing was written",
                              hint="choose a new folder; exports never overwrite")
    files = compose_files(state, tracking_uri) if target == "compose" else k8s_files(state, tracking_uri)
    check(target, files)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, obj in files.items():
        path = out / name
        if name.endswith(".json"):
            text = json.dumps(obj, indent=2) + "\n"
        elif isinstance(obj, list):
            text = yaml.safe_dump_all(obj, sort_keys=False, default_flow_style=False)
        else:
            text = yaml.safe_dump(obj, sort_keys=False, default_flow_style=False)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
