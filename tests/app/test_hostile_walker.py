"""Hostile input on every write: no 500, and no traceback in the log.

``CASES`` holds one case per (URL rule, method) of every write route (API POST/PATCH/PUT/DELETE,
portal POST forms, public syndication endpoints), with a valid body. Each field of that body is
sent again with every value of the hostile classes (Unicode edge cases, calendar edges, wrong
JSON types), and each route gets the whole-body classes (not JSON, wrong JSON, oversized, and
oversized chunked bodies). ``test_every_write_route_has_a_case`` walks ``app.url_map`` and fails
when a write route has no case, so a new route cannot ship without its hostile-input case.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from prm_domain import auth, partner_changes, passwords
from prm_domain.enums import Role
from prm_domain.models import Contact, Embed
from prm_domain.syndication import leads
from tests.app.hostile_cases import CASES, Case, World
from tests.app.test_portal import FAST_DUMMY, FAST_HASHER
from tests.conftest import PASSWORD
from tests.library_fixtures import NEWSLETTER, brochure, png

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# -- the hostile classes ------------------------------------------------------------------------

UNICODE = [
    "\ud800",  # a lone surrogate: sent as the JSON escape "\ud800", or its bytes in a form
    "a\x00b",  # NUL (Postgres text cannot hold it)
    "x" * 20_000,
    "\u00b2\u0663",  # digits str.isdigit() accepts: int() refuses "²" and reads "٣" as 3
    "\u202ee\u0301\u0301\u202c",  # a bidi override and combining characters
]
# What a database may refuse to store where another accepts it: on Postgres only these (plus
# the calendar edges) are sent, the whole set runs on SQLite.
STORAGE = UNICODE[:3]
# The field's own valid value with its digits made non-ASCII ("1711." -> "¹⁷¹¹."): what gets
# past a shape check written with str.isdigit().
DIGIT_SWAPS = [str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"), str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")]
# Given to fields whose valid value is a date or a date and time.
CALENDAR = [
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00:00+14:00",  # year 0 in UTC
    "9999-12-31T23:59:59-14:00",  # year 10000 in UTC
    "9999-12-31T23:59:59+14:00",
    "2026-03-01T12:00:00-00:00",
    "2026-02-30",
]
WRONG_TYPES: list[Any] = [None, 2**64, 1.5e308, {"a": [[]]}]
FORM_EXTRAS: list[Any] = ["", ["1", "\u00b2"]]
DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def hostile_values(valid: Any, *, form: bool, storage_only: bool = False) -> list[Any]:
    """The hostile classes for one field, given its valid value."""
    values: list[Any] = list(STORAGE if storage_only else UNICODE)
    if isinstance(valid, str):
        values.append(valid + "\ud800")
        if not storage_only:
            values += [valid.translate(t) for t in DIGIT_SWAPS if valid.translate(t) != valid]
            values.append(valid + "\u0301")
        if DATE_LIKE.match(valid):
            values += CALENDAR
    if not storage_only:
        values += FORM_EXTRAS if form else WRONG_TYPES
    return values


MAX_BODY = 64 * 1024  # MAX_CONTENT_LENGTH in this test's app: the oversized cases exceed it


def write_routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or ()) & WRITE_METHODS
    }


def test_every_write_route_has_a_case(app: Flask) -> None:
    routes = write_routes(app)
    assert len(routes) > 40, "the walk found too few write routes: it is broken"
    missing = sorted(routes - CASES.keys())
    assert not missing, f"write routes with no hostile-input case in CASES: {missing}"
    stale = sorted(CASES.keys() - routes)
    assert not stale, f"cases for routes that no longer exist: {stale}"


def test_the_walk_notices_a_write_route_without_a_case(app: Flask) -> None:
    app.add_url_rule("/api/v1/widgets", "widgets", lambda: "", methods=["POST"])
    assert ("/api/v1/widgets", "POST") in write_routes(app) - CASES.keys()


# -- sending ------------------------------------------------------------------------------------


def _form_bytes(data: dict[str, Any]) -> bytes:
    """url-encoded by hand: a lone surrogate travels as its (invalid) UTF-8 bytes, as a
    browser or a script could send it; the test client would refuse to encode it."""
    pairs = []
    for key, value in data.items():
        for v in value if isinstance(value, list) else [value]:
            raw = str(v).encode("utf-8", "surrogatepass")
            pairs.append(f"{quote(key)}={quote(raw)}")
    return "&".join(pairs).encode()


def _set(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(body))
    target = out
    *parents, last = path.split(".")
    for name in parents:
        target = target[name]
    target[last] = value
    return out


def _get(body: dict[str, Any], path: str) -> Any:
    target: Any = body
    for name in path.split("."):
        if not isinstance(target, dict) or name not in target:
            return None
        target = target[name]
    return target


def _multipart(key: tuple[str, str], data: dict[str, Any], case: Case) -> dict[str, Any]:
    assert case.upload is not None
    # The test client encodes multipart text as UTF-8 and cannot send a lone surrogate.
    out: dict[str, Any] = {
        k: [str(x).encode("utf-8", "surrogatepass").decode("utf-8", "replace") for x in v]
        if isinstance(v, list)
        else str(v).encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        for k, v in data.items()
    }
    name = case.file_field or ("logo" if "/logos/" in key[0] else "file")
    out[name] = (io.BytesIO(case.upload()), "upload.bin")
    return out


def _leaves(body: dict[str, Any], prefix: str = "") -> Iterator[str]:
    for key, value in body.items():
        if isinstance(value, dict) and value:
            yield from _leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


@dataclass
class Walker:
    app: Flask
    world: World
    clients: dict[str, FlaskClient]
    tokens: dict[str, str]
    renew: Callable[[str], None]  # gives an actor its password, a token and a session back
    storage_only: bool = False
    problems: list[str] = field(default_factory=list)
    sent: int = 0
    addresses: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def send(
        self, key: tuple[str, str], label: str, expect: int | None = None, **request: Any
    ) -> None:
        case = CASES[key]
        method = key[1]
        headers = dict(request.pop("headers", {}))
        if case.kind == "page":
            headers["X-CSRF-Token"] = self.csrf(case.actor)
        elif case.actor in self.tokens and case.kind != "form":
            headers["Authorization"] = f"Bearer {self.tokens[case.actor]}"
        if case.kind == "public":
            headers["Origin"] = "https://a.example"
        n = next(self.addresses)
        environ = {"REMOTE_ADDR": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"}
        environ.update(request.pop("environ", {}))
        client = self.clients.get(case.actor) or self.clients["anon"]
        url = request.pop("url", None) or case.url(self.world)
        response = client.open(
            url, method=method, headers=headers, environ_overrides=environ, **request
        )
        self.sent += 1
        status = response.status_code
        if case.ends_sessions and status < 400:
            self.renew(case.actor)
        if status >= 500 or (expect is not None and status != expect):
            self.problems.append(f"{method} {key[0]} {label} -> {status}")
        elif (
            case.kind in ("json", "public", "raw", "none", "multipart")
            or key[0].startswith("/api/")
        ) and (status >= 400 and not (response.is_json and "error" in (response.json or {}))):
            self.problems.append(f"{method} {key[0]} {label} -> {status} without a JSON error")

    def csrf(self, actor: str) -> str:
        client = self.clients.get(actor) or self.clients["anon"]
        with client.session_transaction() as s:
            if "csrf" not in s:
                s["csrf"] = "walker-csrf-token"
            return str(s["csrf"])

    def fields(self, key: tuple[str, str]) -> None:
        case = CASES[key]
        base = case.body(self.world)
        if case.kind in ("json", "public", "page"):
            # A field the route does not know is refused whatever it holds: one value will do.
            self.send(key, "unexpected field", data='{"\\u00b2": "\\ud800"}',
                      content_type="application/json")  # fmt: skip
            for path in _leaves(base):
                values = hostile_values(
                    _get(base, path), form=False, storage_only=self.storage_only
                )
                for value in values:
                    body = json.dumps(_set(base, path, value))  # escapes surrogates as \ud800
                    self.send(
                        key, f"{path}={value!r:.40}", data=body, content_type="application/json"
                    )
        elif case.kind in ("form", "multipart"):
            # The CSRF check runs before any view: the Unicode class is enough for its token.
            fields = [(path, hostile_values(v, form=True, storage_only=self.storage_only))
                      for path, v in base.items()]  # fmt: skip
            if case.kind == "form":
                fields.append(("csrf_token", STORAGE if self.storage_only else UNICODE))
            for path, values in fields:
                for value in values:
                    # Asked each time: a password change gives the browser a new session.
                    token = {"csrf_token": self.csrf(case.actor)} if case.kind == "form" else {}
                    data = base | token | {path: value}
                    if case.upload is not None:
                        self.send(key, f"{path}={value!r:.40}", data=_multipart(key, data, case))
                    else:
                        self.send(
                            key,
                            f"{path}={value!r:.40}",
                            data=_form_bytes(data),
                            content_type="application/x-www-form-urlencoded",
                        )
        if case.kind == "raw":
            assert case.upload is not None
            path = case.url(self.world).partition("?")[0]
            for name in UNICODE[:3] + CALENDAR[:1]:
                query = quote(name.encode("utf-8", "surrogatepass"))
                url = f"{path}?filename={query}"
                self.send(key, f"filename={name!r:.30}", data=case.upload(), url=url)
            # The csv module raises on a field (or header cell) over its 128 KiB field limit.
            huge = b"x" * 200_000
            for label, data in [
                ("empty", b""),
                ("garbage", b"\x00\xff" * 100),
                ("csv oversized header cell", b"email,name," + huge + b"\na@b.example,A,B\n"),
                ("csv oversized field", b"email,name\na@b.example,A\nc@d.example," + huge),
            ]:
                self.send(key, label, data=data, content_type="application/octet-stream")

    def whole_bodies(self, key: tuple[str, str]) -> None:
        case = CASES[key]
        extra: dict[str, Any] = {}
        if case.kind == "form":
            extra = {"csrf_token": self.csrf(case.actor)}
        bodies: list[tuple[str, bytes, str]] = [
            ("json list", b"[1, 2]", "application/json"),
            ("json string", b'"x"', "application/json"),
            ("json null", b"null", "application/json"),
            ("json huge number", b'{"a": 1e999999}', "application/json"),
            ("json deep", b'{"a":' * 5000 + b"1" + b"}" * 5000, "application/json"),
            ("not utf-8", b"\xff\xfe{\x00", "application/json"),
            ("surrogate key", b'{"\\ud800": 1}', "application/json"),
            ("form for json", b"a=1&b=%ED%A0%80", "application/x-www-form-urlencoded"),
        ]
        if self.storage_only:
            bodies = bodies[6:7]  # the body's shape is the app's business, not the database's
        if case.kind == "form":
            bodies = [
                (label, _form_bytes(extra) + b"&" + body, "application/x-www-form-urlencoded")
                for label, body, _ in bodies[:1]
            ]
        for label, body, content_type in bodies:
            self.send(key, label, data=body, content_type=content_type)
        # A body the route reads must be refused as too large, with or without Content-Length.
        expect = 413 if case.kind != "none" else None
        big = b"x" * (MAX_BODY + 1)
        content_type = (
            "application/x-www-form-urlencoded" if case.kind == "form" else "application/json"
        )
        self.send(key, "oversized", expect, data=big, content_type=content_type)
        # Chunked: no Content-Length; the WSGI server (gunicorn, Werkzeug) marks the input as
        # terminated, and Werkzeug alone would cut it at the limit without saying so.
        self.send(
            key,
            "oversized chunked",
            expect,
            input_stream=io.BytesIO(big),
            headers={"Transfer-Encoding": "chunked", "Content-Type": content_type},
            environ={"wsgi.input_terminated": True},
        )


# -- the world ----------------------------------------------------------------------------------


@pytest.fixture
def walker_app(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Flask:
    # Users are created and sign in hundreds of times; argon2 is slow on purpose and not what
    # this is about.
    monkeypatch.setattr(passwords, "_hasher", FAST_HASHER)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", FAST_DUMMY)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.config["API_MAX_JSON_BYTES"] = MAX_BODY // 2
    # Wrong current passwords are limited per user; here every value must reach the checks.
    app.config["LOGIN_LIMIT_PER_ACCOUNT_ADDRESS"] = "100000 per minute"
    return app


def _json(client: FlaskClient, token: str, method: str, url: str, **kw: Any) -> Any:
    r = client.open(url, method=method, headers={"Authorization": f"Bearer {token}"}, **kw)
    assert r.status_code < 300, (url, r.status_code, r.get_data()[:300])
    return r.json


def _build(
    app: Flask, session: Session, make_user: Any, make_partner: Any, make_tier: Any
) -> Walker:
    import datetime as dt

    from prm_domain.syndication import page_views
    from syndication.public import form_token

    tier = make_tier()
    partner = make_partner(tier=tier)
    fast = FAST_HASHER.hash(PASSWORD)
    vendor = make_user(Role.VENDOR_ADMIN, password_hash=fast)
    admin = make_user(Role.PARTNER_ADMIN, partner=partner, password_hash=fast)
    other = make_user(Role.PARTNER_USER, partner=partner, password_hash=fast)
    member = make_user(Role.PARTNER_USER, partner=partner, password_hash=fast)
    signed_in = {"vendor": vendor, "admin": admin, "member": member}
    tokens = {}
    for name, user in signed_in.items():
        tokens[name], _ = auth.issue_token(session, user, dt.timedelta(hours=1))
    proposal = partner_changes.propose_partner_change(
        session, admin, partner.id, {"region": "APAC"}
    )
    session.commit()
    api = app.test_client()
    v, a = tokens["vendor"], tokens["admin"]
    _json(api, a, "PUT", f"/api/v1/partners/{partner.id}/brand-kit/logos/light", data=png())
    asset = _json(
        api,
        v,
        "POST",
        "/api/v1/assets",
        json={"kind": "pdf", "name": "Walk", "landing_url": "https://nimbus.example/w"},
    )["id"]
    version = _json(api, v, "POST", f"/api/v1/assets/{asset}/versions", data=brochure(1))["id"]
    _json(api, v, "POST", f"/api/v1/assets/{asset}/publish", json={})
    email_asset = _json(api, v, "POST", "/api/v1/assets", json={"kind": "email", "name": "Mail"})[
        "id"
    ]
    # An uploaded template: the partner-footer button adds a version to it.
    url = f"/api/v1/assets/{email_asset}/versions?filename=n.mjml"
    _json(api, v, "POST", url, data=NEWSLETTER.encode())
    item = _json(
        api,
        v,
        "POST",
        "/api/v1/syndication/items",
        json={"kind": "banner", "title": "B", "content": {"headline": "H"}},
    )["id"]
    form = {"fields": ["name", "email"], "consent_text": "I agree to be contacted."}
    lead_item = _json(
        api,
        v,
        "POST",
        "/api/v1/syndication/items",
        json={"kind": "lead_form", "title": "Talk", "content": form},
    )["id"]
    embed = _json(
        api,
        a,
        "POST",
        "/api/v1/embeds",
        json={"kind": "lead_form", "allowed_domains": ["a.example"]},
    )
    channel = _json(
        api,
        a,
        "POST",
        "/api/v1/channels",
        json={"kind": "x", "access_token": "t", "user_id": "12"},
    )["id"]
    with app.app_context():
        token = form_token(embed["key"], int(time.time()) - 30)
    rule = _json(
        api, v, "POST", "/api/v1/lead-routing-rules", json={"name": "Walk", "regions": ["EMEA"]}
    )["id"]
    lead_embed = session.get(Embed, embed["id"])
    assert lead_embed is not None
    lead, _ = leads.submit_lead(
        session, lead_embed, form_id=lead_item, fields={"email": "l@buyer.example"}, consent=True
    )
    session.commit()
    campaign = _json(
        api,
        v,
        "POST",
        "/api/v1/campaigns",
        json={"name": "Walk", "audience_tier_ids": [tier.id]},
    )["id"]
    campaign_item = _json(
        api,
        v,
        "POST",
        f"/api/v1/campaigns/{campaign}/items",
        json={"kind": "social", "text": "Hi {{ link }}", "editable": ["text"], "max_length": 300},
    )["id"]
    _json(api, v, "POST", f"/api/v1/campaigns/{campaign}/launch")
    enrolment = _json(api, a, "GET", "/api/v1/enrolments")["items"][0]["id"]
    contact = _json(
        api,
        a,
        "POST",
        "/api/v1/contacts",
        json={"email": "reader@example.com", "consent_source": "fair"},
    )["id"]
    contact_token = session.get(Contact, contact).token  # type: ignore[union-attr]
    mdf = _mdf_world(app, session, vendor, admin, partner, make_partner)
    from prm_domain import deals
    from tests.app.hostile_cases import DEAL

    deal = deals.register_deal(session, admin, DEAL)
    session.commit()
    world = World(
        deal=deal.id,
        vendor=vendor,
        admin=admin,
        other=other,
        member=member,
        partner=partner,
        tier=tier,
        asset=asset,
        version=version,
        email_asset=email_asset,
        item=item,
        embed=embed["id"],
        embed_key=embed["key"],
        lead_item=lead_item,
        lead=lead.id,
        proposal=proposal.id,
        channel=channel,
        **mdf,
        token=token,
        page_view=page_views.issue(app.config["SECRET_KEY"], embed["key"]),
        campaign=campaign,
        campaign_item=campaign_item,
        enrolment=enrolment,
        contact_token=contact_token,
        rule=rule,
        **_training_world(session, vendor),
    )
    clients = {"anon": app.test_client(), "public": app.test_client()}
    for name, user in signed_in.items():
        clients[name] = _signed_in(app.test_client(), user)

    def renew(name: str) -> None:
        user = signed_in[name]
        session.refresh(user)  # the app changed the hash; an unchanged attribute is not written
        user.password_hash = fast
        tokens[name], _ = auth.issue_token(session, user, dt.timedelta(hours=1))
        session.commit()
        _signed_in(clients[name], user)

    return Walker(app, world, clients, tokens, renew)


def _mdf_world(
    app: Flask, session: Session, vendor: Any, admin: Any, partner: Any, make_partner: Any
) -> dict[str, int]:
    import datetime as dt
    from decimal import Decimal

    from prm_domain.mdf import claims, funds, requests
    from tests.mdf_fixtures import fund_values, request_values

    today = dt.date.today()
    fund = funds.create_fund(
        session,
        vendor,
        fund_values(starts_on=today - dt.timedelta(days=30), ends_on=today + dt.timedelta(days=30)),
    )
    other = make_partner()
    for p in (partner, other):
        funds.allocate(session, vendor, fund.id, {"partner_id": p.id, "amount": Decimal("900.00")})
    day = {
        "starts_on": today,
        "ends_on": today,
        "activity_type": "other",
        "requested_amount": Decimal("50.00"),
    }
    approved = requests.submit_request(session, admin, request_values(fund.id, **day))
    requests.approve_request(session, vendor, approved.id)
    submitted = requests.submit_request(session, admin, request_values(fund.id, **day))
    claimed = requests.submit_request(session, admin, request_values(fund.id, **day))
    requests.approve_request(session, vendor, claimed.id)
    claim = claims.submit_claim(
        session,
        admin,
        app.extensions["cobrand.storage"],
        {"request_id": claimed.id, "amount": Decimal("5.00"), "actual_cost": Decimal("5.00")},
        [claims.ProofFile("p.png", png())],
        today,
    )
    session.commit()
    return {
        "mdf_fund": fund.id,
        "mdf_other_partner": other.id,
        "mdf_request": approved.id,
        "mdf_submitted": submitted.id,
        "mdf_claim": claim.id,
    }


def _signed_in(client: FlaskClient, user: Any) -> FlaskClient:
    client.get("/sign-in")
    with client.session_transaction() as s:
        csrf = s.setdefault("csrf", "walker-csrf-token")  # no sign-in page for a signed-in user
    r = client.post(
        "/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf}
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    return client


def _order(key: tuple[str, str]) -> tuple[int, str, str]:
    # Deletions and sign-outs last: the other cases need their objects and sessions.
    rule, method = key
    last = method == "DELETE" or rule.endswith(("/delete", "/sign-out", "/tokens/current"))
    return (1 if last else 0, rule, method)


def _training_world(session: Session, vendor: Any) -> dict[str, Any]:
    from prm_domain import training

    quiz = [{"text": "Q", "choices": ["a", "b"], "answer": 1}]
    course = training.create_course(session, vendor, {"title": "Walk course", "questions": quiz})
    path = training.create_path(
        session, vendor, {"name": "Walk path", "role": "sales", "course_ids": [course.id],
                          "code": "WALK"},
    )  # fmt: skip
    application = training.submit_application(
        session,
        {"company": "Walk Ltd", "contact_name": "W", "contact_email": "w@walk.example",
         "country": "DE", "region": "EMEA", "type": "msp"},
    )  # fmt: skip
    rule = training.create_rule(session, vendor, {"name": "Walk rule"})
    spare = training.create_course(session, vendor, {"title": "Walk spare"})
    from prm_domain import invitations, users
    from prm_domain.deals import webhooks

    hook = webhooks.add_webhook(session, vendor, "https://crm.example/hook")
    newcomer = users.create_vendor_user(
        session,
        None,
        {"email": "newcomer@walk.example", "password": PASSWORD, "display_name": "New",
         "role": "channel_manager"},
    )  # fmt: skip
    invited = invitations.issue(session, None, newcomer)
    session.commit()
    return {
        "course": course.id,
        "path": path.id,
        "application": application.id,
        "onboarding_rule": rule.id,
        "spare_course": spare.id,
        "webhook": hook.id,
        "invitation": invited.token,
    }


GROUPS = {
    "api": lambda key: key[0].startswith("/api/"),
    "portal": lambda key: not key[0].startswith(("/api/", "/syndication/")),
    "public": lambda key: key[0].startswith("/syndication/"),
}


# The portal's routes are the most: in three parts, so that workers share them (all of them
# took 95 s on a loaded 2-core machine, near the per-test limit).
PARTS = [("api", 0, 1), ("portal", 0, 3), ("portal", 1, 3), ("portal", 2, 3), ("public", 0, 1)]


# Hundreds of requests each: on a slow machine under the whole suite's load, over two minutes.
@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    ("group", "part", "parts"), PARTS, ids=[f"{g}-{p + 1}of{n}" for g, p, n in PARTS]
)
def test_hostile_input_never_gives_a_500(
    group: str,
    part: int,
    parts: int,
    walker_app: Flask,
    session: Session,
    make_user: Any,
    make_partner: Any,
    make_tier: Any,
    caplog: pytest.LogCaptureFixture,
    engine: Engine,
) -> None:
    walker = _build(walker_app, session, make_user, make_partner, make_tier)
    walker.storage_only = engine.dialect.name != "sqlite"
    caplog.clear()
    start = time.perf_counter()
    with caplog.at_level(logging.WARNING):
        keys = sorted((k for k in CASES if GROUPS[group](k)), key=_order)
        for key in keys[part::parts]:
            walker.fields(key)
            walker.whole_bodies(key)
    tracebacks = [
        f"{r.name}: {r.getMessage()[:200]}"
        for r in caplog.records
        if r.exc_info or r.levelno >= logging.ERROR
    ]
    assert not walker.problems, "\n".join(walker.problems[:60])
    assert not tracebacks, "\n".join(tracebacks[:20])
    assert walker.sent > 30
    elapsed = time.perf_counter() - start
    print(f"{group} {part + 1}/{parts}: {walker.sent} hostile requests in {elapsed:.1f} s")
