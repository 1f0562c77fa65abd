"""A small JSON Schema checker for the subset FastAPI's OpenAPI schema uses (enough to prove that an
answer has exactly the published shape: every required key, no other key, the right types)."""

from __future__ import annotations

import re
from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def violations(instance: Any, schema: dict[str, Any], openapi: dict[str, Any], at: str = "$") -> list[str]:
    """Where `instance` departs from `schema` (resolving `#/components/schemas/...`); empty when it fits."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        return violations(instance, openapi["components"]["schemas"][name], openapi, at)
    if "anyOf" in schema:
        options = [violations(instance, option, openapi, at) for option in schema["anyOf"]]
        return [] if any(not found for found in options) else [f"{at}: fits none of {options}"]
    problems = [p for part in schema.get("allOf", ()) for p in violations(instance, part, openapi, at)]
    if "const" in schema and instance != schema["const"]:
        problems.append(f"{at}: {instance!r} is not {schema['const']!r}")
    if "enum" in schema and instance not in schema["enum"]:
        problems.append(f"{at}: {instance!r} is not one of {schema['enum']}")
    kind = schema.get("type")
    if kind is not None:
        is_bool = isinstance(instance, bool)
        if not isinstance(instance, _TYPES[kind]) or (is_bool and kind in ("integer", "number")):
            return [*problems, f"{at}: {instance!r} is not of type {kind}"]
    if isinstance(instance, dict):
        props = schema.get("properties", {})
        problems += [f"{at}: missing {key!r}" for key in schema.get("required", ()) if key not in instance]
        extra = schema.get("additionalProperties", True)
        for key, value in instance.items():
            if key in props:
                problems += violations(value, props[key], openapi, f"{at}.{key}")
            elif extra is False:
                problems.append(f"{at}: unexpected key {key!r}")
            elif isinstance(extra, dict):
                problems += violations(value, extra, openapi, f"{at}.{key}")
    if isinstance(instance, list) and "items" in schema:
        for i, item in enumerate(instance):
            problems += violations(item, schema["items"], openapi, f"{at}[{i}]")
    if isinstance(instance, str) and "pattern" in schema and not re.search(schema["pattern"], instance):
        problems.append(f"{at}: {instance!r} does not match {schema['pattern']}")
    return problems


def response_schema(openapi: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    """The published JSON schema of one response of one route."""
    response = openapi["paths"][path][method]["responses"][str(status)]
    return response["content"]["application/json"]["schema"]
