"""JSON schemas of the request bodies, derived from the workspace's raw input schema.

The OpenAPI description then documents exactly the fields ``/v1/score`` validates, and a
fuzzer (schemathesis) generates events from it.

>>> from watchkeeper.config.features import DEFAULT_MAX_LENGTH, InputField
>>> schema = event_schema({"ts": InputField(type="timestamp", required=True),
...                        "amount": InputField(type="float", min=0)})
>>> schema["required"], schema["properties"]["amount"]
(['ts'], {'type': 'number', 'minimum': 0.0})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from watchkeeper.config.features import DEFAULT_MAX_LENGTH, InputField

_TYPES = {
    "float": {"type": "number"},
    "int": {"type": "integer"},
    "bool": {"type": "boolean"},
    "string": {"type": "string"},
    "category": {"type": "string"},
    "timestamp": {"type": "string", "format": "date-time"},
}


def event_schema(inputs: Mapping[str, InputField]) -> dict[str, Any]:
    """The JSON schema of one raw event: a property per input, the required ones listed."""
    properties: dict[str, Any] = {}
    for name, field in inputs.items():
        prop: dict[str, Any] = dict(_TYPES.get(field.type, {}))
        if field.type in ("string", "category"):
            prop["maxLength"] = field.length_limit
        if field.min is not None:
            prop["minimum"] = field.min
        if field.max is not None:
            prop["maximum"] = field.max
        if field.allowed is not None:
            prop["enum"] = list(field.allowed)
        properties[name] = prop
    required = [name for name, field in inputs.items() if field.required]
    return {"type": "object", "properties": properties, "required": required}


def request_body(schema: Mapping[str, Any]) -> dict[str, Any]:
    """An OpenAPI ``requestBody`` of JSON with ``schema``."""
    return {"required": True, "content": {"application/json": {"schema": dict(schema)}}}


MODEL_VERSION_PARAMETER: dict[str, Any] = {
    "name": "model_version",
    "in": "query",
    "required": False,
    "description": "Pins the deciding model to the champion or the running canary's challenger.",
    "schema": {"type": "integer", "minimum": 0},
}
"""``/v1/score``'s query parameter (read by the endpoint itself, so a bad value is logged)."""


def batch_schema(event: Mapping[str, Any], max_items: int) -> dict[str, Any]:
    """``{"events": [event, ...]}`` with at most ``max_items`` events."""
    events = {"type": "array", "items": dict(event), "minItems": 1, "maxItems": max_items}
    return {"type": "object", "properties": {"events": events}, "required": ["events"]}


def outcomes_schema(values: Sequence[str], task: str = "binary") -> dict[str, Any]:
    """``{"outcomes": [outcome, ...]}``, each outcome one of the label's ``values`` (or the
    classes); a number for a regression ``task``.

    >>> outcomes_schema(["chargeback"])["properties"]["outcomes"]["items"]["properties"]["outcome"]
    {'type': 'string', 'enum': ['chargeback']}
    >>> outcomes_schema([], "regression")["properties"]["outcomes"]["items"]["properties"]["outcome"]
    {'type': 'number'}
    """
    text = {"type": "string", "minLength": 1, "maxLength": DEFAULT_MAX_LENGTH}
    value: dict[str, Any] = (
        {"type": "number"} if task == "regression" else {"type": "string", "enum": list(values)}
    )
    outcome = {
        "type": "object",
        "properties": {
            "event_id": text,
            "outcome": value,
            "outcome_ts": {"type": "string", "format": "date-time"},
            "amount": {"type": "number", "minimum": 0},
        },
        "required": ["event_id", "outcome", "outcome_ts"],
    }
    return {
        "type": "object",
        "properties": {"outcomes": {"type": "array", "items": outcome, "minItems": 1}},
        "required": ["outcomes"],
    }


def predictions_schema(
    event: Mapping[str, Any],
    task: str,
    classes: Sequence[str],
    *,
    keys: Sequence[str],
    max_items: int,
) -> dict[str, Any]:
    """``{"predictions": [prediction, ...]}``: each prediction is an ``event`` (its inputs,
    ``keys`` among them) with the team's ``model_label``, an optional ``latency_ms`` and the
    columns of the model's ``task``.

    >>> body = predictions_schema({"type": "object", "properties": {}, "required": []},
    ...     "multiclass", ["billing", "sales"], keys=["event_id"], max_items=10)
    >>> item = body["properties"]["predictions"]["items"]
    >>> item["required"], sorted(item["properties"]["probabilities"]["properties"])
    (['event_id', 'model_label', 'probabilities'], ['billing', 'sales'])
    """
    text = {"type": "string", "minLength": 1, "maxLength": DEFAULT_MAX_LENGTH}
    probability = {"type": "number", "minimum": 0, "maximum": 1}
    per_task: dict[str, dict[str, Any]] = {
        "binary": {
            "score": {**probability, "description": "The probability of a positive outcome"},
            "decision": {"type": "boolean", "description": "Whether the event was acted on"},
        },
        "multiclass": {
            "probabilities": {
                "type": "object",
                "properties": dict.fromkeys(classes, probability),
                "additionalProperties": False,
                "description": "Class -> probability, summing to 1",
            },
            "decision": {
                "type": "string",
                "enum": list(classes),
                "description": "The class decided (default: the most probable one)",
            },
        },
        "regression": {"prediction": {"type": "number", "description": "The predicted value"}},
    }
    task_columns = per_task[task]
    properties = {
        **dict.fromkeys(keys, text),
        **dict(event.get("properties", {})),
        "model_label": {
            "type": "string",
            "minLength": 1,
            "maxLength": 200,
            "description": "The team's own model version label (numbered as it first arrives)",
        },
        "latency_ms": {"type": "number", "minimum": 0},
        **task_columns,
    }
    required = [*keys, *event.get("required", []), "model_label"]
    required += [name for name in task_columns if not (task == "multiclass" and name == "decision")]
    item = {"type": "object", "properties": properties, "required": list(dict.fromkeys(required))}
    listed = {"type": "array", "items": item, "minItems": 1, "maxItems": max_items}
    return {"type": "object", "properties": {"predictions": listed}, "required": ["predictions"]}


def score_response_schema(task: str, classes: Sequence[str] = ()) -> dict[str, Any]:
    """The JSON schema of one ``/v1/score`` answer for a model of ``task``: the event id,
    the task's prediction, the deciding version, its route and the latency; ``shadow``, the
    challenger's silent prediction in shadow mode.

    >>> answer = score_response_schema("multiclass", ["billing", "sales"])
    >>> answer["required"]
    ['event_id', 'probabilities', 'decision', 'score', 'model_version', 'route', 'latency_ms']
    >>> answer["properties"]["decision"]
    {'type': 'string', 'enum': ['billing', 'sales'], 'description': 'The class decided by the version decision rule'}
    >>> score_response_schema("regression")["properties"]["prediction"]["type"]
    'number'
    """
    probability = {"type": "number", "minimum": 0, "maximum": 1}
    per_task: dict[str, dict[str, Any]] = {
        "binary": {
            "score": {**probability, "description": "The probability of a positive outcome"},
            "decision": {
                "type": "boolean",
                "description": "Whether the score reaches the threshold",
            },
        },
        "multiclass": {
            "probabilities": {
                "type": "object",
                "properties": dict.fromkeys(classes, probability),
                "required": list(classes),
                "additionalProperties": False,
                "description": "Class -> probability, summing to 1",
            },
            "decision": {
                "type": "string",
                "enum": list(classes),
                "description": "The class decided by the version decision rule",
            },
            "score": {**probability, "description": "The probability of the decided class"},
        },
        "regression": {"prediction": {"type": "number", "description": "The predicted value"}},
    }
    prediction = per_task[task]
    version = {"type": "integer", "minimum": 0}
    shadow = {
        "type": "object",
        "properties": {"model_version": version, **prediction},
        "required": ["model_version", *prediction],
        "description": "The challenger's silent prediction (shadow mode)",
    }
    properties = {
        "event_id": {"type": "string"},
        **prediction,
        "model_version": version,
        "route": {"type": "string", "enum": ["champion", "canary"]},
        "latency_ms": {"type": "number", "minimum": 0},
        "shadow": shadow,
    }
    required = ["event_id", *prediction, "model_version", "route", "latency_ms"]
    return {"type": "object", "properties": properties, "required": required}


def ok_response(schema: Mapping[str, Any], description: str) -> dict[int | str, dict[str, Any]]:
    """An OpenAPI ``responses`` entry for a 200 answer of JSON with ``schema``.

    >>> list(ok_response({"type": "object"}, "Scored"))
    [200]
    """
    content = {"application/json": {"schema": dict(schema)}}
    return {200: {"description": description, "content": content}}


ROLLOUT_START_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "version": {"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string"}]},
        "reason": {"type": "string"},
        "force": {
            "type": "boolean",
            "description": "Start a version the validation gate did not accept (needs a reason)",
        },
    },
    "required": ["version"],
}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            "required": ["field", "message"],
        }
    },
    "required": ["error"],
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for error statuses, each with the error body's schema.

    >>> sorted(error_responses(400, 422))
    [400, 422]
    """
    descriptions = {
        400: "Malformed request (JSON, NaN or infinity, empty body)",
        408: "The body did not arrive within serving.body_timeout (the connection is closed)",
        401: "Missing bearer token",
        403: "Wrong bearer token, or admin endpoints disabled",
        404: "Unknown model version",
        409: "Rollout state does not allow this action; or, scoring, an event id already scored with different content; or the endpoint does not serve this workspace's model.serving",
        413: "Body or batch too large",
        415: "The body is declared as something other than JSON",
        422: "A field breaks the schema (named in the error)",
        503: "No champion to serve, or a store is unavailable",
    }
    content = {"application/json": {"schema": ERROR_SCHEMA}}
    return {
        status: {"description": descriptions[status], "content": content} for status in statuses
    }


__all__ = [
    "ERROR_SCHEMA",
    "MODEL_VERSION_PARAMETER",
    "ROLLOUT_START_SCHEMA",
    "batch_schema",
    "error_responses",
    "event_schema",
    "ok_response",
    "outcomes_schema",
    "predictions_schema",
    "request_body",
    "score_response_schema",
]
