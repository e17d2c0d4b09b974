"""MLflow dataset inputs carrying OUR digest (full-content fingerprint), not MLflow's.

MLflow's own dataset digest hashes only the first 10,000 rows and keeps 8 hex characters;
the data topic computes a full-content fingerprint and hands it to
``current_run().log_input(...)``.
"""

from __future__ import annotations

import json
from typing import Any

MAX_SCHEMA_COLUMNS = 500


def _schema_of(df: Any) -> str | None:
    if df is None:
        return None
    try:
        cols = list(df.columns)[:MAX_SCHEMA_COLUMNS]
        return json.dumps(
            {"mlops_columns": [{"name": str(c), "type": str(df[c].dtype)} for c in cols]}
        )
    except Exception:
        return None


def _profile_of(df: Any) -> str | None:
    if df is None:
        return None
    try:
        return json.dumps({"num_rows": len(df), "num_columns": len(df.columns)})
    except Exception:
        return None


def dataset_input_dict(name: str, digest: str, source: str, tags: dict[str, str] | None, df: Any) -> dict[str, Any]:
    """A JSON form of a dataset input (what the spool stores)."""
    return {
        "name": str(name),
        "digest": str(digest),
        "source_type": "local" if "://" not in str(source) else str(source).split("://", 1)[0],
        "source": json.dumps({"uri": str(source)}),
        "schema": _schema_of(df),
        "profile": _profile_of(df),
        "tags": {str(k): str(v) for k, v in (tags or {}).items()},
    }


def dataset_input_from_dict(data: dict[str, Any]) -> Any:
    """The MLflow ``DatasetInput`` entity for a dict made by :func:`dataset_input_dict`."""
    from mlflow.entities import Dataset, DatasetInput, InputTag

    ds = Dataset(
        name=data["name"], digest=data["digest"], source_type=data["source_type"],
        source=data["source"], schema=data.get("schema"), profile=data.get("profile"),
    )
    tags = [InputTag(key=k, value=v) for k, v in data.get("tags", {}).items()]
    return DatasetInput(dataset=ds, tags=tags)
