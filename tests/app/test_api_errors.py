"""Bad input never becomes a 500: every refusal is JSON ``{"error": {code, message, fields}}``,
with the right status, and a refused write stores nothing (rows and audit log unchanged)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain.enums import Role
from prm_domain.models import ApiToken, AuditEvent, Partner, Tier, User

TABLES = (Partner, User, Tier, AuditEvent, ApiToken)
MIB = 1024 * 1024


def snapshot(session: Session) -> dict[str, list[Any]]:
    out = {}
    for model in TABLES:
        table = model.__table__
        rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
        out[table.name] = [tuple(r) for r in rows]
    return out


def assert_error(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:500])
    assert r.is_json, r.get_data(as_text=True)[:200]
    error = r.json["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    if code is not None:
        assert error["code"] == code
    return error


@pytest.fixture
def vendor(make_user: Callable[..., User], api_as: Any) -> Any:
    return api_as(make_user(Role.VENDOR_ADMIN))


@pytest.fixture
def tier(make_tier: Callable[..., Tier]) -> Tier:
    return make_tier()


def partner_body(tier: Tier, **kw: Any) -> dict[str, Any]:
    return {
        "name": "Acme Networks",
        "type": "reseller",
        "tier_id": tier.id,
        "country": "DE",
        "region": "EMEA",
    } | kw


# --- the envelope for routing errors -----------------------------------------------------------


def test_unknown_api_path_is_json_404(vendor: Any) -> None:
    assert_error(vendor.get("/api/v1/nothing-here"), 404, "not_found")


def test_wrong_method_is_json_405_with_allow(vendor: Any) -> None:
    r = vendor.delete("/api/v1/partners")
    assert_error(r, 405, "method_not_allowed")
    assert {"GET", "POST"} <= set(r.headers["Allow"].split(", "))


ODD_ID_PATHS = [
    "/api/v1/partners/99999999999999999999",
    "/api/v1/partners/2147483648",  # one past the 32-bit id column
    "/api/v1/partners/9999999999",
    "/api/v1/partners/2147483647",
    "/api/v1/partners/0",
    "/api/v1/partners/-1",
    "/api/v1/partners/007",
    "/api/v1/partners/1.5",
    "/api/v1/partners/abc",
    "/api/v1/partners/%00",
    "/api/v1/partners/%D9%A1%D9%A2",  # Arabic-Indic digits
    "/api/v1/partners/1e3",
    "/api/v1/partners/99999999999999999999/users",
    "/api/v1/partners/-5/users",
    "/api/v1/tiers/99999999999999999999",
    "/api/v1/tiers/0",
    "/api/v1/tiers/-1",
]


def test_odd_ids_are_404(vendor: Any) -> None:
    for path in ODD_ID_PATHS:
        assert_error(vendor.get(path), 404, "not_found")


def test_odd_ids_on_writes_are_404_and_store_nothing(vendor: Any, session: Session) -> None:
    before = snapshot(session)
    assert_error(vendor.patch("/api/v1/partners/99999999999999999999", {"name": "x"}), 404)
    assert_error(vendor.patch("/api/v1/tiers/-3", {"name": "x"}), 404)
    body = {"email": "a@example.com", "password": "long-enough-pw", "display_name": "A"}
    assert_error(
        vendor.post("/api/v1/partners/2147483648/users", body | {"role": "partner_user"}), 404
    )
    assert snapshot(session) == before


# --- query parameters ---------------------------------------------------------------------------


BAD_QUERIES = [
    ("page=abc", "page"),
    ("page=0", "page"),
    ("page=-1", "page"),
    ("page=1.5", "page"),
    ("page=99999999999999999999", "page"),
    ("per_page=100000", "per_page"),
    ("per_page=0", "per_page"),
    ("per_page=", "per_page"),
    ("status=bogus", "status"),
    ("type=RESELLER", "type"),
    ("region=Mars", "region"),
    ("tier_id=abc", "tier_id"),
    ("q=" + "x" * 201, "q"),
    ("q=a%00b", "q"),
    ("q=%01", "q"),
]


def test_bad_query_parameters_are_422_naming_them(vendor: Any) -> None:
    for query, field in BAD_QUERIES:
        error = assert_error(vendor.get(f"/api/v1/partners?{query}"), 422, "invalid_fields")
        assert field in error["fields"], (query, error)


def test_paging_errors_on_every_list(vendor: Any, make_partner: Callable[..., Partner]) -> None:
    partner = make_partner()
    for path in ("/api/v1/tiers", "/api/v1/audit", f"/api/v1/partners/{partner.id}/users"):
        for query in ("page=abc", "per_page=100000", "page=99999999999999999999", "page=0"):
            r = vendor.get(f"{path}?{query}")
            field = query.split("=")[0]
            assert field in assert_error(r, 422, "invalid_fields")["fields"], (path, query)


HARMLESS_QUERIES = [
    "q=%25",
    "q=_",
    "q=%5C",
    "q=%27%3B%20DROP%20TABLE%20partner%3B--",
    "q=%E6%A0%AA%E5%BC%8F%E4%BC%9A%E7%A4%BE",
    "q=%F0%9F%A6%84",
    "q=%20%20",
    "unknown=1",
    "page=1000000",
]


@pytest.mark.parametrize("value", ["99999999999999999999", "-1", "0"])
def test_impossible_ids_in_filters_are_422_naming_the_field(vendor: Any, value: str) -> None:
    r = vendor.get(f"/api/v1/partners?tier_id={value}")
    assert r.status_code == 422 and "tier_id" in r.json["error"]["fields"]


def test_odd_but_harmless_queries_answer_200(vendor: Any) -> None:
    for query in HARMLESS_QUERIES:
        r = vendor.get(f"/api/v1/partners?{query}")
        assert r.status_code == 200, (query, r.json)
        assert r.json["total"] >= 0


# --- bodies -------------------------------------------------------------------------------------

DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 5_000 + "1" + "}" * 5_000
MIDDLING_OBJECT = '{"a":' * 300 + "1" + "}" * 300


MALFORMED: list[tuple[str | bytes, str, set[int]]] = [
    ("", "application/json", {400}),
    ("   ", "application/json", {400}),
    ("{", "application/json", {400}),
    ('{"name": "x",}', "application/json", {400}),
    ("{'name': 'x'}", "application/json", {400}),
    ("NaN", "application/json", {400, 422}),
    ("null", "application/json", {422}),
    ("[]", "application/json", {422}),
    ('[{"name": "x"}]', "application/json", {422}),
    ('"a string"', "application/json", {422}),
    ("42", "application/json", {422}),
    ("true", "application/json", {422}),
    (DEEP_ARRAY, "application/json", {400, 422}),
    (DEEP_OBJECT, "application/json", {400, 422}),
    (MIDDLING_OBJECT, "application/json", {400, 422}),
    (b"\xff\xfe\x00{", "application/json", {400}),
    ('{"name": "lone \\ud800 surrogate"}', "application/json", {400, 422}),
    (b'{"name": "\xc3\x28"}', "application/json", {400, 422}),
    ("name=Acme&type=reseller", "application/x-www-form-urlencoded", {400, 415}),
    (
        "--b\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n--b--\r\n",
        "multipart/form-data; boundary=b",
        {400, 415},
    ),
    ("<partner><name>x</name></partner>", "application/xml", {400, 415}),
    ("not json at all", "text/plain", {400, 415}),
    ('{"name": 1}', "text/plain", {415, 422}),
]


def test_malformed_bodies_are_refused_and_store_nothing(
    vendor: Any, tier: Tier, session: Session
) -> None:
    before = snapshot(session)
    targets = [
        ("POST", "/api/v1/partners"),
        ("POST", "/api/v1/tiers"),
        ("PATCH", f"/api/v1/tiers/{tier.id}"),
        ("POST", "/api/v1/tokens"),
    ]
    for raw, content_type, statuses in MALFORMED:
        for method, path in targets:
            r = vendor.request(method, path, data=raw, content_type=content_type)
            case = (method, path, str(raw)[:40], content_type)
            assert r.status_code in statuses, (case, r.status_code, r.get_data(as_text=True)[:300])
            assert_error(r, r.status_code)
    assert snapshot(session) == before


def test_malformed_json_is_400_malformed_json(vendor: Any) -> None:
    r = vendor.request("POST", "/api/v1/tiers", data="{", content_type="application/json")
    assert_error(r, 400, "malformed_json")


def test_array_body_on_patch_is_422(vendor: Any, tier: Tier, session: Session) -> None:
    before = snapshot(session)
    r = vendor.patch(f"/api/v1/tiers/{tier.id}", [{"name": "x"}])
    assert assert_error(r, 422, "invalid_fields")["fields"] == {"body": "must be an object"}
    assert snapshot(session) == before


def test_oversized_body_is_413_and_stores_nothing(
    vendor: Any, tier: Tier, session: Session
) -> None:
    before = snapshot(session)
    # Valid JSON a byte over the 1 MiB limit: refused for its size, not its content.
    body = json.dumps(partner_body(tier))
    padded = body[:-1] + " " * (MIB + 1 - len(body)) + "}"
    assert len(padded.encode()) == MIB + 1
    r = vendor.request("POST", "/api/v1/partners", data=padded, content_type="application/json")
    assert_error(r, 413, "payload_too_large")
    # A long string value inside the JSON too.
    r = vendor.post("/api/v1/partners", partner_body(tier, name="x" * (2 * MIB)))
    assert_error(r, 413, "payload_too_large")
    # And far beyond it (werkzeug's own limit for every request).
    huge = b"{" + b" " * (33 * MIB) + b"}"
    r = vendor.request("POST", "/api/v1/tiers", data=huge, content_type="application/json")
    assert_error(r, 413)
    assert snapshot(session) == before


def test_body_just_under_the_limit_is_parsed(vendor: Any, tier: Tier) -> None:
    body = json.dumps(partner_body(tier, name="Just Under"))
    padded = body[:-1] + " " * (MIB - len(body)) + "}"
    assert len(padded.encode()) == MIB
    r = vendor.request("POST", "/api/v1/partners", data=padded, content_type="application/json")
    assert r.status_code == 201, r.json


def test_oversized_body_without_content_length_is_413(vendor: Any) -> None:
    import io

    stream = io.BytesIO(b"{" + b" " * (MIB + 10) + b"}")
    r = vendor.request(
        "POST",
        "/api/v1/tiers",
        input_stream=stream,
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
    )
    assert r.status_code in (400, 413), r.get_data(as_text=True)[:200]
    assert_error(r, r.status_code)


BAD_PARTNER_FIELDS: list[tuple[dict[str, Any], set[str]]] = [
    ({}, {"name", "type", "tier_id", "country", "region"}),
    ({"nmae": "typo"}, {"nmae"}),
    ({"name": ""}, {"name"}),
    ({"name": "   "}, {"name"}),
    ({"name": 5}, {"name"}),
    ({"name": None}, {"name"}),
    ({"name": "a\x00b"}, {"name"}),
    ({"name": "tab\tok but bell\x07"}, {"name"}),
    ({"name": "x" * 201}, {"name"}),
    ({"name": "ß" * 200}, {"name"}),  # 400 once case-folded: a DB error on Postgres
    ({"name": "ﬃ" * 100}, {"name"}),
    ({"tier_id": "1"}, {"tier_id"}),
    ({"tier_id": True}, {"tier_id"}),
    ({"tier_id": 1.0}, {"tier_id"}),
    ({"tier_id": 99999999999999999999}, {"tier_id"}),
    ({"tier_id": -1}, {"tier_id"}),
    ({"tier_id": 2147483647}, {"tier_id"}),
    ({"type": "Reseller"}, {"type"}),
    ({"country": "D"}, {"country"}),
    ({"country": "D1"}, {"country"}),
    ({"country": "ÄÖ"}, {"country"}),
    ({"country": "d\x00"}, {"country"}),
    ({"region": "emea"}, {"region"}),
    ({"verticals": "security"}, {"verticals"}),
    ({"verticals": ["a\x00"]}, {"verticals"}),
    ({"verticals": [1]}, {"verticals.0"}),
    ({"verticals": ["x"] * 21}, {"verticals"}),
    ({"website_domains": ["not a domain"]}, {"website_domains"}),
    ({"website_domains": ["a..b.com"]}, {"website_domains"}),
    ({"website_domains": ["-bad.com"]}, {"website_domains"}),
    ({"website_domains": ["ex\x00ample.com"]}, {"website_domains"}),
    ({"website_domains": ["x" * 64 + ".com"]}, {"website_domains"}),
    ({"website_domains": ["https://example.com/"]}, {"website_domains"}),
    ({"business_model": "selling"}, {"business_model"}),
    ({"status": "deleted"}, {"status"}),
    ({"dpa_signed_on": "2999-01-01"}, {"dpa_signed_on"}),
    ({"dpa_signed_on": "yesterday"}, {"dpa_signed_on"}),
    ({"dpa_signed_on": "2024-02-30"}, {"dpa_signed_on"}),
]


def test_bad_partner_fields_are_422_naming_them(vendor: Any, tier: Tier, session: Session) -> None:
    before = snapshot(session)
    for body, fields in BAD_PARTNER_FIELDS:
        full = body if body == {} else partner_body(tier) | body
        r = vendor.post("/api/v1/partners", full)
        error = assert_error(r, 422, "invalid_fields")
        assert set(error["fields"]) == fields, (body, error)
        for name in fields:
            assert name in error["message"], (body, error)
    assert snapshot(session) == before


def test_bad_fields_on_patch_are_422_and_change_nothing(
    vendor: Any, make_partner: Callable[..., Partner], session: Session
) -> None:
    partner = make_partner()
    before = snapshot(session)
    for body, field in [
        ({"name": None}, "name"),
        ({"tier_id": None}, "tier_id"),
        ({"status": None}, "status"),
        ({"verticals": None}, "verticals"),
        ({"country": "xx1"}, "country"),
        ({"id": 5}, "id"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
    ]:
        r = vendor.patch(f"/api/v1/partners/{partner.id}", body)
        error = assert_error(r, 422, "invalid_fields")
        assert field in error["fields"], (body, error)
    assert snapshot(session) == before


def test_unicode_is_stored_and_returned_intact(vendor: Any, tier: Tier) -> None:
    # Any script and emoji; invisible bidi controls are refused
    # (tests/prm_domain/test_validation.py).
    name = "Ünïcødé Systèmes 株式会社 🦄 שלום"
    r = vendor.post(
        "/api/v1/partners", partner_body(tier, name=name, verticals=["Gesundheit", "医療"])
    )
    assert r.status_code == 201, r.json
    got = vendor.get(f"/api/v1/partners/{r.json['id']}").json
    assert got["name"] == name.strip()
    assert got["verticals"] == ["Gesundheit", "医療"]
    # Case-insensitive uniqueness works for non-ASCII names too.
    r = vendor.post("/api/v1/partners", partner_body(tier, name=name.upper()))
    assert_error(r, 409, "conflict")


def test_conflicts_are_409_naming_the_field_and_store_nothing(
    vendor: Any, make_partner: Callable[..., Partner], tier: Tier, session: Session
) -> None:
    existing = make_partner(name="Acme IT")
    before = snapshot(session)
    r = vendor.post("/api/v1/partners", partner_body(tier, name="  ACME it "))
    assert assert_error(r, 409, "conflict")["fields"] == {"name": "already used"}
    other = make_partner()
    before = snapshot(session)
    r = vendor.patch(f"/api/v1/partners/{other.id}", {"name": existing.name.lower()})
    assert_error(r, 409, "conflict")
    assert snapshot(session) == before


def test_json_error_for_every_status_the_openapi_promises(vendor: Any, client: Any) -> None:
    # 401 without token, 403 for a role, 404, 405, 409, 413, 415-ish, 422: all JSON envelopes.
    assert_error(client.get("/api/v1/me"), 401, "unauthorized")
    assert_error(client.get("/api/v1/partners", headers={"Authorization": "Basic x"}), 401)


def test_a_unique_constraint_race_is_a_409_not_a_500(app, make_user, api_as, session) -> None:
    """When two requests pass a uniqueness check together, the database refuses the second;
    the answer is a 409, not a 500. A route added here makes that insert for real."""
    from app import db

    taken = make_user(Role.VENDOR_ADMIN)

    def racing_insert() -> str:
        db.session().add(
            User(email=taken.email, password_hash="x", display_name="Twin", role=Role.VENDOR_ADMIN)
        )
        db.session().flush()
        return "unreachable"

    app.add_url_rule("/api/v1/test-race", "test_race", racing_insert, methods=["POST"])
    r = api_as(taken).post("/api/v1/test-race", {})
    assert r.status_code == 409, r.data
    assert r.json["error"]["code"] == "conflict"
