"""JSON API input through pydantic models, and the OpenAPI document generated from them.

A view declares what it accepts: `@accepts(query=SearchQuery)` or `@accepts(body=BulletinIn)`
(under the role check, so 401/403 come first). The decorator validates the query string or the
JSON body with the model and passes the result as the view's `query=` / `body=` argument; bad
input answers 400 `{"error": "<field>: <reason>", "errors": {"<field>": "<reason>", ...}}`
naming each field, and the view never runs. `openapi(app)` walks every `/api/` route and
builds an OpenAPI 3.1 document from the same models, served at `/api/openapi.json`.

pydantic does the checking and the JSON Schema; this module is only the glue to Flask.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from flask import Flask, jsonify, request
from pydantic import BaseModel, RootModel, ValidationError

from config.url_ids import LARGEST_ID

SCHEMA_ATTR = "__api_schema__"
_PATH_VAR = re.compile(r"<(?:(\w+):)?(\w+)>")


def field_errors(error: ValidationError, prefix: str = "") -> dict[str, str]:
    """pydantic's errors as {"field.path": "message"}, the first message per field."""
    out: dict[str, str] = {}
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"]) or prefix or "body"
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "is not a field here"
        out.setdefault(path, message)
    return out


def bad_input(errors: dict[str, str]) -> Any:
    first = next(iter(errors.items()))
    return jsonify({"error": f"{first[0]}: {first[1]}", "errors": errors}), 400


def _query_values(model: type[BaseModel]) -> dict[str, Any]:
    """The query string as the model's input: empty values are left out (their defaults
    apply), and a list field takes every value given for it."""
    out: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        values = [v for v in request.args.getlist(key) if v.strip()]
        if not values:
            continue
        out[key] = values if _is_list(field.annotation) else values[-1]
    return out


def _is_list(annotation: Any) -> bool:
    return getattr(annotation, "__origin__", None) is list or str(annotation).startswith("list[")


def parse_body(model: type[BaseModel]) -> BaseModel:
    """The JSON body checked with `model` (ValidationError otherwise). No body is `{}` for a
    model of fields (all optional ones take their defaults) and None for a root model."""
    data = request.get_json(silent=True)
    if data is None and not issubclass(model, RootModel):
        data = {}
    return model.model_validate(data)


def accepts(*, query: type[BaseModel] | None = None, body: type[BaseModel] | None = None,
            ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Validate the request's query string and/or JSON body before the view runs."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                if query is not None:
                    kwargs["query"] = query.model_validate(_query_values(query))
            except ValidationError as err:
                return bad_input(field_errors(err))
            try:
                if body is not None:
                    if request.data and request.get_json(silent=True) is None:
                        return bad_input({"body": "is not valid JSON"})
                    kwargs["body"] = parse_body(body)
            except ValidationError as err:
                return bad_input(field_errors(err))
            return view(*args, **kwargs)

        setattr(wrapper, SCHEMA_ATTR, {"query": query, "body": body})
        return wrapper

    return decorate


def describes(*, query: type[BaseModel] | None = None, body: type[BaseModel] | None = None,
              ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """For a view that checks its input with the same model itself: the OpenAPI entry only."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        setattr(view, SCHEMA_ATTR, {"query": query, "body": body})
        return view

    return decorate


# -- the OpenAPI document ---------------------------------------------------------------

ERROR_SCHEMA = {"type": "object", "required": ["error"],
                "properties": {"error": {"type": "string"},
                               "errors": {"type": "object",
                                          "additionalProperties": {"type": "string"}}}}


def _schema(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(schema.get("required", []))
    return [{"name": name, "in": "query", "required": name in required,
             "description": prop.get("description", ""),
             "schema": {k: v for k, v in prop.items() if k != "description"}}
            for name, prop in schema.get("properties", {}).items()]


def _operation(view: Callable[..., Any], path_vars: list[tuple[str, str]],
               components: dict[str, Any]) -> dict[str, Any]:
    declared = getattr(view, SCHEMA_ATTR, {}) or {}
    doc = (view.__doc__ or view.__name__.replace("_", " ")).strip()
    params = [{"name": name, "in": "path", "required": True,
               "schema": ({"type": "integer", "minimum": 0, "maximum": LARGEST_ID} if kind == "int"
                          else {"type": "string"})}
              for kind, name in path_vars]
    if declared.get("query"):
        params += _query_parameters(declared["query"])
    op: dict[str, Any] = {
        "summary": doc.splitlines()[0][:120], "operationId": view.__name__,
        "responses": {
            "200": {"description": "done"},
            "4XX": {"description": "refused, with the reason (and each bad field)",
                    "content": {"application/json": {"schema": ERROR_SCHEMA}}},
        },
    }
    if params:
        op["parameters"] = params
    if declared.get("body"):
        op["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": _schema(declared["body"], components)}}}
    return op


def openapi(app: Flask) -> dict[str, Any]:
    """Every `/api/` route with its parameters and body schema, as OpenAPI 3.1."""
    paths: dict[str, dict[str, Any]] = {}
    components: dict[str, Any] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/"):
            continue
        path_vars = [(kind or "string", name) for kind, name in _PATH_VAR.findall(rule.rule)]
        path = _PATH_VAR.sub(lambda m: "{" + m.group(2) + "}", rule.rule)
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(view, path_vars, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "2-1-1 helpline API", "version": "1",
                 "description": "Staff JSON APIs. Authorization: Bearer <token>, or a signed-in "
                                "session plus X-CSRFToken for writes."},
        "components": {"schemas": components,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": paths,
    }


def register(app: Flask) -> None:
    """Serve the document at `/api/openapi.json` (no sign-in: it holds no data)."""

    @app.get("/api/openapi.json", endpoint="openapi")
    def openapi_json() -> Any:
        """This document."""
        return jsonify(openapi(app))
