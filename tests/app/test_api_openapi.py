"""The OpenAPI document at /api/openapi.json is generated from the code and matches it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
def doc(client: FlaskClient) -> dict[str, Any]:
    r = client.get("/api/openapi.json")  # public: no token needed
    assert r.status_code == 200
    assert r.mimetype == "application/json"
    return json.loads(r.get_data(as_text=True))


def api_rules(app: Flask) -> Iterator[tuple[str, str, list[str]]]:
    """(OpenAPI path, lower-case method, URL parameters) of every rule under /api/v1."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield path, method.lower(), sorted(rule.arguments)


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"external or malformed $ref {ref!r}"
    node: Any = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"$ref {ref!r} does not resolve"
        node = node[part]
    return node


def test_is_openapi_3(doc: dict[str, Any]) -> None:
    assert re.fullmatch(r"3\.\d+\.\d+", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"]
    assert doc["paths"]
    assert "schemas" in doc["components"]
    for name in doc["components"]["schemas"]:
        assert re.fullmatch(r"[A-Za-z0-9._-]+", name), name  # what OpenAPI allows as a key


def test_every_api_rule_and_method_is_documented(app: Flask, doc: dict[str, Any]) -> None:
    seen = list(api_rules(app))
    assert len(seen) >= 14
    for path, method, _ in seen:
        assert path in doc["paths"], f"{path} missing from the OpenAPI document"
        assert method in doc["paths"][path], f"{method.upper()} {path} missing"


def test_document_has_nothing_the_app_does_not_serve(app: Flask, doc: dict[str, Any]) -> None:
    served = {(path, method) for path, method, _ in api_rules(app)}
    for path, item in doc["paths"].items():
        for method in set(item) & HTTP_METHODS:
            assert (path, method) in served, f"documented but not served: {method} {path}"


def test_path_parameters_match_the_url_rules(app: Flask, doc: dict[str, Any]) -> None:
    for path, method, arguments in api_rules(app):
        op = doc["paths"][path][method]
        in_path = {p["name"]: p for p in op["parameters"] if p["in"] == "path"}
        assert sorted(in_path) == arguments, (path, method)
        for p in in_path.values():
            assert p["required"] is True
    # Ids are documented as positive integers.
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        item = doc["paths"][re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)]
        for name, converter in rule._converters.items():
            if type(converter).__name__ == "IdConverter":
                for op in item.values():
                    schema = next(p for p in op["parameters"] if p["name"] == name)["schema"]
                    assert schema == {"type": "integer", "minimum": 1}, (rule.rule, name)


def test_every_ref_resolves(doc: dict[str, Any]) -> None:
    found = list(refs(doc))
    assert found
    for ref in found:
        assert ref.startswith("#/components/"), ref
        resolve(doc, ref)


def _check_content(content: dict[str, Any], schemas: dict[str, Any], where: Any) -> None:
    assert content, where
    for media, body in content.items():
        schema = body["schema"]
        if media == "application/json":
            # JSON always names a component, and that component exists.
            ref = schema["$ref"]
            assert ref.removeprefix("#/components/schemas/") in schemas, where
        elif media == "multipart/form-data":
            assert schema["type"] == "object", where
        else:  # a file: uploads and downloads
            assert schema == {"type": "string", "format": "binary"}, (where, media)


def test_bodies_and_responses_reference_existing_components(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if "requestBody" in op:
                _check_content(op["requestBody"]["content"], schemas, (path, method))
            assert op["responses"], (path, method)
            for status, response in op["responses"].items():
                where = (path, method, status)
                assert re.fullmatch(r"[1-5]\d\d", status), where
                assert response["description"], where
                content = response.get("content")
                if content is None:
                    assert status in ("200", "204"), where  # "Done; no content."
                    continue
                _check_content(content, schemas, where)
                if not status.startswith("2"):
                    assert content == {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    }, where


def test_bodies_only_on_writes_with_their_errors(doc: dict[str, Any]) -> None:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in ("get", "delete"):
                assert "requestBody" not in op, (method, path)
            body = op.get("requestBody", {}).get("content", {})
            if "application/json" in body:
                assert {"400", "413", "422"} <= set(op["responses"]), (method, path)
            elif body:
                assert {"413", "422"} <= set(op["responses"]), (method, path)
    for path in ("/api/v1/partners", "/api/v1/tiers", "/api/v1/tokens"):
        assert "requestBody" in doc["paths"][path]["post"]
    assert "requestBody" in doc["paths"]["/api/v1/partners/{partner_id}"]["patch"]


def test_security_and_error_responses(doc: dict[str, Any]) -> None:
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    public = {("/api/v1/tokens", "post"), ("/api/v1/channels/{channel_id}/bounces", "post")}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if (path, method) in public:
                assert op["security"] == []
            else:
                assert op["security"] == [{"bearer": []}], (path, method)
                assert "401" in op["responses"], (path, method)
            if "{" in path:
                assert "404" in op["responses"], (path, method)


def test_operation_ids_are_unique(doc: dict[str, Any]) -> None:
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_error_schema_matches_the_real_envelope(doc: dict[str, Any], client: FlaskClient) -> None:
    schema = doc["components"]["schemas"]["Error"]
    body = client.get("/api/v1/me").json
    assert set(body) == set(schema["required"])
    assert set(body["error"]) == set(schema["properties"]["error"]["required"])


def test_query_parameters_are_documented(doc: dict[str, Any]) -> None:
    params = {p["name"]: p for p in doc["paths"]["/api/v1/partners"]["get"]["parameters"]}
    assert {"q", "page", "per_page", "tier_id", "status", "type", "region"} <= set(params)
    assert params["per_page"]["schema"]["maximum"] == 200
    for name in ("page", "per_page", "q"):
        assert params[name]["in"] == "query"
        assert params[name]["required"] is False


def test_decimal_fields_are_documented_as_strings_or_numbers(doc: dict[str, Any]) -> None:
    tier_in = doc["components"]["schemas"]["TierIn"]["properties"]["mdf_share_percent"]
    tier_out = doc["components"]["schemas"]["TierOut"]["properties"]["mdf_share_percent"]
    assert "string" in json.dumps(tier_in)
    assert "string" in json.dumps(tier_out)


def test_document_is_stable(client: FlaskClient, doc: dict[str, Any]) -> None:
    assert client.get("/api/openapi.json").json == doc
