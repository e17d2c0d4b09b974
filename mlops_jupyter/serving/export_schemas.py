"""JSON schemas the exported serving files are checked against before they are written.

They are the parts of the Compose Specification (compose-spec ``services``: image,
command, environment, ports, volumes, depends_on) and of the Kubernetes API (apps/v1
Deployment, v1 Service, v1 ConfigMap: required fields and types) that the export uses;
the official schemas are not shipped with any package here and would need a download.
"""

from __future__ import annotations

from typing import Any

from ..errors import MlopsError

_STR_LIST = {"type": "array", "items": {"type": "string"}}
_NAME = {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63}

COMPOSE = {
    "type": "object", "required": ["services"], "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_-]*$"},
        "volumes": {"type": "object"},
        "services": {"type": "object", "minProperties": 1, "patternProperties": {r"^[a-zA-Z0-9._-]+$": {
            "type": "object", "required": ["image"], "additionalProperties": False,
            "properties": {"image": {"type": "string"}, "command": _STR_LIST, "ports": _STR_LIST,
                           "volumes": _STR_LIST, "depends_on": _STR_LIST, "restart": {"enum": ["no", "always", "on-failure", "unless-stopped"]},
                           "environment": {"type": "object", "additionalProperties": {"type": "string"}}}}},
            "additionalProperties": False},
    },
}
GATEWAY = {
    "type": "object", "required": ["name", "folder", "port", "split", "arms"],
    "properties": {"split": {"type": "number", "minimum": 0, "maximum": 1}, "port": {"type": "integer"},
                   "arms": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["name", "url"]}}},
}
PROMETHEUS = {
    "type": "object", "required": ["scrape_configs"],
    "properties": {"scrape_configs": {"type": "array", "items": {
        "type": "object", "required": ["job_name", "static_configs"],
        "properties": {"static_configs": {"type": "array", "items": {"type": "object", "required": ["targets"]}}}}}},
}
_CONTAINER = {"type": "object", "required": ["name", "image"],
              "properties": {"name": _NAME, "image": {"type": "string"}, "command": _STR_LIST,
                             "ports": {"type": "array", "items": {"type": "object", "required": ["containerPort"],
                                                                  "properties": {"containerPort": {"type": "integer"}}}},
                             "env": {"type": "array", "items": {"type": "object", "required": ["name"],
                                                                "properties": {"value": {"type": "string"}}}}}}
K8S_OBJECT = {
    "type": "object", "required": ["apiVersion", "kind", "metadata"],
    "properties": {"metadata": {"type": "object", "required": ["name"], "properties": {"name": _NAME}}},
    "allOf": [
        {"if": {"properties": {"kind": {"const": "Deployment"}}},
         "then": {"properties": {"apiVersion": {"const": "apps/v1"}, "spec": {
             "type": "object", "required": ["selector", "template"],
             "properties": {"replicas": {"type": "integer", "minimum": 0},
                            "selector": {"type": "object", "required": ["matchLabels"]},
                            "template": {"type": "object", "required": ["spec"], "properties": {"spec": {
                                "type": "object", "required": ["containers"],
                                "properties": {"containers": {"type": "array", "minItems": 1, "items": _CONTAINER}}}}}}}},
             "required": ["spec"]}},
        {"if": {"properties": {"kind": {"const": "Service"}}},
         "then": {"properties": {"apiVersion": {"const": "v1"}, "spec": {
             "type": "object", "required": ["selector", "ports"],
             "properties": {"ports": {"type": "array", "minItems": 1, "items": {
                 "type": "object", "required": ["port"], "properties": {"port": {"type": "integer"}}}}}}},
             "required": ["spec"]}},
        {"if": {"properties": {"kind": {"const": "ConfigMap"}}},
         "then": {"properties": {"apiVersion": {"const": "v1"},
                                 "data": {"type": "object", "additionalProperties": {"type": "string"}}}}},
        {"properties": {"kind": {"enum": ["Deployment", "Service", "ConfigMap"]}}},
    ],
}


def check(target: str, files: dict[str, Any]) -> None:
    """Validate generated files; a failure is a bug of the exporter, reported as an error."""
    import jsonschema

    pairs: list[tuple[str, Any, dict[str, Any]]]
    if target == "compose":
        pairs = [("docker-compose.yml", files["docker-compose.yml"], COMPOSE), ("gateway.json", files["gateway.json"], GATEWAY),
                 ("prometheus.yml", files["prometheus.yml"], PROMETHEUS)]
    else:
        pairs = [(f"serving.yaml[{i}]", doc, K8S_OBJECT) for i, doc in enumerate(files["serving.yaml"])]
    for name, obj, schema in pairs:
        try:
            jsonschema.validate(obj, schema)
        except jsonschema.ValidationError as exc:
            raise MlopsError(f"exported {name} does not match its schema: {exc.message}") from None
