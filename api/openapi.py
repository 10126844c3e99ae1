"""The published OpenAPI document says what the Guard enforces before routing: no path or query parameter holds
a NUL character (`guard.has_nul`), so a client generated from the schema never sends one and a fuzzer reading it
expects the 422."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

NO_NUL = {"pattern": "^[^\\u0000]*$"}


def _without_nul(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter schema that also refuses NUL in any string it admits."""
    if schema.get("type") == "string":
        return {"allOf": [schema, NO_NUL]} if "pattern" in schema else {**schema, **NO_NUL}
    if schema.get("type") == "array" and "items" in schema:
        return {**schema, "items": _without_nul(schema["items"])}
    if "anyOf" in schema:
        return {**schema, "anyOf": [_without_nul(s) for s in schema["anyOf"]]}
    return schema


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    for param in operation.get("parameters", []):
                        if param.get("in") in ("path", "query") and "schema" in param:
                            param["schema"] = _without_nul(param["schema"])
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
