"""The API's operations registry and the OpenAPI 3.1 document generated from it.

Each endpoint is declared once with ``operation(...)``: its roles, its request and response
models (pydantic / SQLModel); the same declaration routes the view, enforces the roles,
validates the body and documents it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, ValidationError

from labtrack.core.errors import InputProblem, ValidationFailed
from labtrack.core.messages import msg
from labtrack.web.access import public, roles_required
from labtrack.web.api.validation import issue_message

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Operation:
    rule: str
    method: str
    summary: str
    tag: str
    roles: tuple[str, ...] | None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    many: bool = False
    status: int = 200
    extra_responses: dict[int, str] = field(default_factory=dict)
    query: type[BaseModel] | None = None


OPERATIONS: list[Operation] = []


def operation(bp: Blueprint, rule: str, *, method: str = "GET", summary: str, tag: str,
              roles: tuple[str, ...] | None, body: type[BaseModel] | None = None,
              response: type[BaseModel] | None = None, many: bool = False,
              status: int = 200, endpoint: str | None = None,
              query: type[BaseModel] | None = None) -> Callable[[F], F]:
    """Route, protect and document one API operation (``roles=None`` means public); ``query``: the
    model of its query parameters (documented one by one; read with ``parse_query``)."""

    def decorator(view: F) -> F:
        guarded = public(view) if roles is None else roles_required(*roles)(view)
        bp.add_url_rule(rule, endpoint=endpoint or view.__name__, view_func=guarded, methods=[method])
        OPERATIONS.append(Operation((bp.url_prefix or "") + rule,
                                    method.lower(), summary, tag, roles, body, response, many, status, query=query))
        return guarded

    return decorator


_MAX_ID = 2**31 - 1  # the key columns are INTEGER (32 bits on PostgreSQL): as the <int:> routes
_MAX_INTEGER = 2**63 - 1  # what a database integer column holds at all


#: top-level body fields that carry an uploaded file's name and text
FILE_FIELDS = frozenset({"filename", "content", "content_base64"})
_NUL = "\x00"


def _unstorable(value: Any, where: str, is_id: bool = False) -> Iterator[InputProblem]:
    """Values no column can hold, refused with their field instead of failing in the database (a
    500): integers beyond a column's range (an id beyond 32 bits, any number beyond 64: "integer
    out of range", "int too large"), and text holding a NUL character (U+0000), in a value or a
    key (PostgreSQL text cannot hold it). An uploaded file's name and text (``FILE_FIELDS``) are
    left to the upload path, which keeps the name without control characters and reports a NUL in
    the text with its row and column."""
    if isinstance(value, dict):
        for key, item in value.items():
            name = str(key)
            field = f"{where}.{name}" if where else name
            if _NUL in name:
                yield InputProblem(message=msg("a NUL character is not allowed in text"), field=field)
            elif not (where == "" and name in FILE_FIELDS and isinstance(item, str)):
                yield from _unstorable(item, field, name == "id" or name.endswith(("_id", "_ids")))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unstorable(item, f"{where}.{index}", is_id)
    elif isinstance(value, str) and _NUL in value:
        yield InputProblem(message=msg("a NUL character is not allowed in text"), field=where or None)
    elif isinstance(value, int) and not isinstance(value, bool):
        limit = _MAX_ID if is_id else _MAX_INTEGER
        if not -limit - 1 <= value <= limit:
            most = format(limit, ",")
            yield InputProblem(message=msg("%(value)s is out of range (at most %(limit)s)", value=value, limit=most),
                               field=where or None)


def parse_body(model: type[M]) -> M:
    """Validate the request's JSON body against ``model``; every problem names its field."""
    payload = request.get_json(silent=True)
    if payload is None:
        raise ValidationFailed(msg("The request body must be a JSON object."))
    unstorable = list(_unstorable(payload, ""))
    if unstorable:
        raise ValidationFailed(msg("The request body is not valid"), unstorable)
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        problems = [
            InputProblem(message=issue_message(issue), field=".".join(str(p) for p in issue["loc"]) or None)
            for issue in error.errors()
        ]
        raise ValidationFailed(msg("The request body is not valid"), problems) from error


def parse_query(model: type[M]) -> M:
    """Validate the query parameters against ``model``; every problem names its parameter."""
    values = {name: request.args.get(name) for name in model.model_fields if request.args.get(name) is not None}
    nul = list(_unstorable(values, ""))
    if nul:
        raise ValidationFailed(msg("The query parameters are not valid"), nul)
    try:
        return model.model_validate(values)
    except ValidationError as error:
        problems = [InputProblem(message=issue_message(issue), field=".".join(str(p) for p in issue["loc"]) or None)
                    for issue in error.errors()]
        raise ValidationFailed(msg("The query parameters are not valid"), problems) from error


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    return [{"name": name, "in": "query", "required": name in required,
             **({"description": prop.pop("description")} if "description" in prop else {}),
             "schema": prop} for name, prop in schema.get("properties", {}).items()]


def _zoned(model: BaseModel) -> BaseModel:
    """Times carry their zone: a naive time read back from SQLite is UTC (labtrack stores UTC)."""
    updates: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, datetime) and value.tzinfo is None:
            updates[name] = value.replace(tzinfo=UTC)
        elif isinstance(value, BaseModel):
            updates[name] = _zoned(value)
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            updates[name] = [_zoned(item) for item in value]
    return model.model_copy(update=updates) if updates else model


def _dump(model: type[BaseModel], item: Any) -> Any:
    return _zoned(model.model_validate(item, from_attributes=True)).model_dump(mode="json")


def respond(model: type[BaseModel], value: Any, status: int = 200) -> Any:
    """Serialise ``value`` (one object or a list) through the public model; times in UTC with
    their zone (``...Z``)."""
    if isinstance(value, list):
        data: Any = [_dump(model, item) for item in value]
    else:
        data = _dump(model, value)
    response = jsonify(data)
    response.status_code = status
    return response


_PARAM = re.compile(r"<(?:(?P<conv>[a-z]+):)?(?P<name>\w+)>")


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for match in _PARAM.finditer(rule):
        kind = {"int": "integer", "float": "number"}.get(match.group("conv") or "", "string")
        params.append({"name": match.group("name"), "in": "path", "required": True,
                       "schema": {"type": kind}})
    return _PARAM.sub(lambda m: "{" + m.group("name") + "}", rule), params


def _schema_ref(model: type[BaseModel], components: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def build_document(title: str, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every registered operation."""
    components: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["error", "message", "problems"],
            "properties": {
                "error": {"type": "string"},
                "message": {"type": "string"},
                "problems": {"type": "array", "items": {"type": "object", "properties": {
                    "file": {"type": ["string", "null"]}, "row": {"type": ["integer", "null"]},
                    "field": {"type": ["string", "null"]}, "message": {"type": "string"}}}},
            },
        }
    }
    paths: dict[str, Any] = {}
    error_ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for op in OPERATIONS:
        path, params = _path(op.rule)
        if op.query is not None:
            params = params + _query_parameters(op.query)
        entry: dict[str, Any] = {
            "summary": op.summary,
            "tags": [op.tag],
            "operationId": f"{op.method}_{re.sub(r'[^a-zA-Z0-9]+', '_', path).strip('_')}",
            "parameters": params,
            "responses": {
                "400": {"description": "Bad request", **error_ref},
                "422": {"description": "Invalid input", **error_ref},
            },
        }
        if op.body is not None or any(param.get("in") == "path" for param in params):
            entry["responses"]["404"] = {"description": "No such item (an id in the path or the body)", **error_ref}
        if op.method != "get":
            entry["responses"]["409"] = {"description": "Conflicts with the stored state", **error_ref}
        entry["responses"]["503"] = {"description": "The database is busy: retry after Retry-After seconds",
                                     **error_ref}
        if op.roles is not None:
            entry["security"] = [{"bearer": []}, {"session": []}]
            entry["x-roles"] = list(op.roles)
            entry["responses"]["401"] = {"description": "Not authenticated", **error_ref}
            entry["responses"]["403"] = {"description": "Role not allowed", **error_ref}
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": _schema_ref(op.body, components)}}}
        ok: dict[str, Any] = {"description": "OK"}
        if op.response is not None:
            ref = _schema_ref(op.response, components)
            schema = {"type": "array", "items": ref} if op.many else ref
            ok["content"] = {"application/json": {"schema": schema}}
        entry["responses"][str(op.status)] = ok
        paths.setdefault(path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


def documented_json(data: Any, status: int = 200) -> Any:
    response = jsonify(data)
    response.status_code = status
    return response
