"""Declare an API operation once; parsing, auth, errors and the OpenAPI document follow from it.

``@operation(bp, "/partners/<id:partner_id>", "PATCH", body=PartnerPatch, response=PartnerOut)``
registers the URL rule and keeps the declaration on the view (``view.api``), where
:func:`openapi_document` reads it back. Nothing about the API is written twice.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError
from pydantic.json_schema import models_json_schema
from werkzeug.exceptions import NotFound, RequestEntityTooLarge
from werkzeug.routing import BaseConverter

from app.errors import HTTP_CODES, ApiError
from prm_domain import validation
from prm_domain.validation import MAX_ID


class IdConverter(BaseConverter):
    """Positive 32-bit ids only, so ``/partners/99999999999999999999`` is a 404, not a DB error."""

    regex = r"[1-9][0-9]{0,9}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            # NotFound, not werkzeug's routing ValidationError: with that, the matcher answered
            # PATCH/POST on such a URL with a 405 whose Allow header listed only GET.
            raise NotFound()
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


@dataclass
class Operation:
    summary: str
    method: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None
    status: int = 200
    auth: bool = True
    errors: tuple[int, ...] = field(default_factory=tuple)
    # A raw file body (the view gets ``data: bytes``); the content is checked by the domain,
    # never trusted by its declared type or name.
    upload: bool = False
    # Media types of a binary response (downloads), instead of a JSON model.
    produces: tuple[str, ...] = ()
    # A multipart form: its text fields parsed into this model (the view gets ``form``), and
    # the file fields named in ``files`` (the view gets ``files``: name -> [(filename, bytes)]).
    form: type[BaseModel] | None = None
    files: tuple[str, ...] = ()


def _fields(exc: PydanticError) -> dict[str, str]:
    out: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        out.setdefault(loc, err["msg"])
    return out


def _parse_body(model: type[BaseModel]) -> BaseModel:
    limit = current_app.config["API_MAX_JSON_BYTES"]
    # A longer body, with Content-Length or chunked, is refused without being read into
    # memory: the app's request class (app/request.py) holds the stream to this limit.
    request.max_content_length = limit
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise ApiError(
            413, "payload_too_large", f"The JSON body is larger than {limit} bytes."
        ) from None
    if not raw.strip():
        raise ApiError(400, "malformed_json", "The request needs a JSON object body.")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(400, "malformed_json", "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(
            422, "invalid_fields", "The body must be a JSON object.", {"body": "must be an object"}
        )
    bad = validation.surrogate_path(data)
    if bad is not None:
        raise ApiError(
            422,
            "invalid_fields",
            "The body holds text that is not valid Unicode (a lone surrogate).",
            {bad: "is not valid Unicode text"},
        )
    try:
        return model.model_validate_json(raw)
    except PydanticError as exc:
        fields = _fields(exc)
        raise ApiError(
            422, "invalid_fields", "Invalid value for: " + ", ".join(sorted(fields)) + ".", fields
        ) from None


def _parse_query(model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(
            {k: v for k, v in request.args.items() if k in model.model_fields}
        )
    except PydanticError as exc:
        fields = _fields(exc)
        raise ApiError(
            422,
            "invalid_fields",
            "Invalid query parameter: " + ", ".join(sorted(fields)) + ".",
            fields,
        ) from None


def _read_upload() -> bytes:
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "payload_too_large", f"The upload is larger than {limit // 2**20} MB.")
    if request.mimetype == "multipart/form-data":
        file = request.files.get("file")
        if file is None:
            raise ApiError(
                422,
                "invalid_fields",
                "Send the file in a form field named 'file'.",
                {"file": "is required"},
            )
        data: bytes = file.read()  # FileStorage forwards read() untyped
        return data
    return request.get_data(cache=False)


def _parse_form(model: type[BaseModel]) -> BaseModel:
    # Another body type carries no form fields: the model then names what is missing.
    try:
        # Form values are text: numbers and ids arrive as strings, so not strict here.
        return model.model_validate(
            {k: v for k, v in request.form.items() if k in model.model_fields}, strict=False
        )
    except PydanticError as exc:
        fields = _fields(exc)
        raise ApiError(
            422, "invalid_fields", "Invalid value for: " + ", ".join(sorted(fields)) + ".", fields
        ) from None


def _read_files(names: tuple[str, ...]) -> dict[str, list[tuple[str, bytes]]]:
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    too_large = ApiError(413, "payload_too_large", f"The upload is larger than {limit} bytes.")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    request.max_content_length = limit  # also for a chunked body, which has no length
    try:
        if request.mimetype != "multipart/form-data":
            request.get_data(cache=True)  # read (and refuse when too large) like any body
            return {name: [] for name in names}
        return {
            name: [(f.filename or "", f.read()) for f in request.files.getlist(name)]
            for name in names
        }
    except RequestEntityTooLarge:
        raise too_large from None


def _respond(result: Any, status: int) -> Response:
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(status=204)
    if isinstance(result, BaseModel):
        # Serialised by pydantic-core in one step: a dict of Python values built first and
        # then encoded (and key-sorted) again by the json module cost a list page more than
        # its queries did.
        return Response(result.model_dump_json(), status=status, mimetype="application/json")
    response = jsonify(result)
    response.status_code = status
    return response


def operation(
    bp: Blueprint,
    rule: str,
    method: str,
    *,
    summary: str,
    tag: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: Any = None,
    status: int = 200,
    auth: bool = True,
    errors: tuple[int, ...] = (),
    upload: bool = False,
    produces: tuple[str, ...] = (),
    form: type[BaseModel] | None = None,
    files: tuple[str, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    meta = Operation(
        summary,
        method,
        tag,
        body,
        query,
        response,
        status,
        auth,
        errors,
        upload,
        produces,
        form,
        files,
    )

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def view(**path_args: Any) -> Response:
            if meta.auth and g.get("user") is None:
                raise ApiError(
                    401, "unauthorized", "Sign in: send 'Authorization: Bearer <token>'."
                )
            kwargs = dict(path_args)
            if meta.query is not None:
                kwargs["query"] = _parse_query(meta.query)
            if meta.body is not None:
                kwargs["body"] = _parse_body(meta.body)
            if meta.upload:
                kwargs["data"] = _read_upload()
            if meta.form is not None:
                kwargs["files"] = _read_files(meta.files)
                kwargs["form"] = _parse_form(meta.form)
            return _respond(fn(**kwargs), meta.status)

        view.api = meta  # type: ignore[attr-defined]
        bp.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=[method])
        return view

    return register


_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "fields"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            }
        },
    }


def openapi_document(app: Flask) -> dict[str, Any]:
    """OpenAPI 3.1 for every URL rule whose view carries an ``Operation``."""
    found: list[tuple[str, Operation]] = []
    for url_rule in app.url_map.iter_rules():
        meta = getattr(app.view_functions[url_rule.endpoint], "api", None)
        if isinstance(meta, Operation):
            found.append((url_rule.rule, meta))
    models: list[tuple[type[BaseModel], Any]] = []
    for _, meta in found:
        if meta.body is not None:
            models.append((meta.body, "validation"))
        if isinstance(meta.response, type) and issubclass(meta.response, BaseModel):
            models.append((meta.response, "serialization"))
    refs, defs = models_json_schema(
        list(dict.fromkeys(models)), ref_template="#/components/schemas/{model}"
    )
    schemas = dict(defs.get("$defs", {}))
    schemas["Error"] = _error_schema()
    paths: dict[str, dict[str, Any]] = {}
    for rule, meta in sorted(found, key=lambda x: x[0]):
        path = _PARAM.sub(r"{\2}", rule)
        parameters = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 1}
                if conv in ("id", "int")
                else {"type": "string"},
            }
            for conv, name in _PARAM.findall(rule)
        ]
        if meta.query is not None:
            # Enums in query filters are $refs: point them at components, and put them there.
            query_schema = meta.query.model_json_schema(ref_template="#/components/schemas/{model}")
            for def_name, definition in query_schema.get("$defs", {}).items():
                schemas.setdefault(def_name, definition)
            for name, info in meta.query.model_fields.items():
                schema = query_schema["properties"][name]
                parameters.append(
                    {
                        "name": name,
                        "in": "query",
                        "required": info.is_required(),
                        "description": info.description or "",
                        "schema": schema,
                    }
                )
        slug = re.sub(r"[^a-z0-9]+", "_", path.lower()).strip("_")
        op: dict[str, Any] = {
            "summary": meta.summary,
            "operationId": f"{meta.method.lower()}_{slug}",
            "tags": [meta.tag],
            "parameters": parameters,
            "responses": {},
        }
        if meta.auth:
            op["security"] = [{"bearer": []}]
        else:
            op["security"] = []
        if meta.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(meta.body, "validation")]}},
            }
        if meta.upload:
            binary = {"schema": {"type": "string", "format": "binary"}}
            op["requestBody"] = {
                "required": True,
                "description": "The file as the raw body, or as field 'file' of a multipart form.",
                "content": {
                    "application/octet-stream": binary,
                    "multipart/form-data": {
                        "schema": {"type": "object", "properties": {"file": binary["schema"]}}
                    },
                },
            }
            codes_upload = {413, 422}
        elif meta.form is not None:
            form_schema = meta.form.model_json_schema(ref_template="#/components/schemas/{model}")
            for def_name, definition in form_schema.pop("$defs", {}).items():
                schemas.setdefault(def_name, definition)
            properties = dict(form_schema.get("properties", {}))
            for name in meta.files:
                properties[name] = {
                    "type": "array",
                    "items": {"type": "string", "format": "binary"},
                }
            op["requestBody"] = {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": list(form_schema.get("required", [])) + list(meta.files),
                            "properties": properties,
                        }
                    }
                },
            }
            codes_upload = {413, 422}
        else:
            codes_upload = set()
        if meta.produces:
            op["responses"][str(meta.status)] = {
                "description": "The file.",
                "content": {
                    m: {"schema": {"type": "string", "format": "binary"}} for m in meta.produces
                },
            }
        elif meta.response is None:
            op["responses"][str(meta.status)] = {"description": "Done; no content."}
        else:
            op["responses"][str(meta.status)] = {
                "description": "Success.",
                "content": {"application/json": {"schema": refs[(meta.response, "serialization")]}},
            }
        codes = set(meta.errors) | codes_upload
        if meta.auth:
            codes.add(401)
        if meta.body is not None:
            codes |= {400, 413, 422}
        if meta.query is not None:
            codes.add(422)
        if _PARAM.search(rule):
            codes.add(404)
        for code in sorted(codes):
            op["responses"][str(code)] = {
                "description": HTTP_CODES.get(code, "error").replace("_", " "),
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        paths.setdefault(path, {})[meta.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Cobrand API", "version": "1"},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
