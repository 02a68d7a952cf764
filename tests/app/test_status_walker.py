"""Partner status, walked over every route: a suspended or exited partner's people are refused.

``test_suspended_partner_is_refused_on_every_route`` walks ``app.url_map``: every API and portal
route is requested by a suspended partner's admin (a bearer token issued before the suspension,
and a signed-in portal session) with the ids of the partner's own objects. Only the notice's
small allow-list (``ALLOWED``) may answer; everything else is refused - a JSON 403 naming the
status on the API, the notice (GET) or a 403 page in the portal - and no table changes. A new
route is walked without anyone adding it; a route with a URL parameter the walker cannot fill
fails until ``VALUES`` knows it. The exited partner's walk expects 401s and sign-in redirects:
its people are signed out everywhere.

The policy itself is docs/access.md; its rules are unit-tested in
tests/prm_domain/test_access_status.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.auth import NOTICE_ENDPOINTS, PUBLIC_ENDPOINTS
from prm_domain import access, auth, jobs
from prm_domain.enums import PartnerStatus, Role
from prm_domain.models import Partner, TrackedLink, User
from tests.app.test_api_tenancy import (  # noqa: F401 - fast_hash is a fixture
    _asset,
    _campaign,
    _mdf,
    _syndication,
    fast_hash,
    snapshot,
)
from tests.conftest import PASSWORD, Api, csrf_of
from tests.library_fixtures import png

# The allow-list, spelt out here too: widening what a suspended partner reaches is a decision
# that must show up in a test's diff. (endpoint: why)
ALLOWED = {
    "portal.sign_in_page": "signing in is how they read the notice",
    "portal.sign_in_submit": "signing in is how they read the notice",
    "portal.sign_out": "leaving is always allowed",
    "portal.partner_notice": "the notice itself",
    "api.me": "the own account, so an API client can tell why it is refused",
    "api.delete_current_token": "revoking the own token only ever closes access",
}
# Routes no user is involved in: public by design, walked for a suspended partner's content in
# tests/app/test_visibility.py and below (embeds, tracked links).
PUBLIC = {
    "static": "the app's CSS and JS",
    "favicon": "the site icon, the same for everyone",
    "links.follow": "tracked links: see test_tracked_link_of_a_suspended_partner_is_anonymous",
    "links.logo": "the logo in sent emails: see test_link_logo_follows_the_partner_status",
    "api.create_token": "sign-in: see test_tokens_and_sign_in_per_status",
    "api_docs.openapi": "the API's description, the same for everyone",
    "unsubscribe.page": "a mail recipient's unsubscribe link: no user, the token is the authority",
    "unsubscribe.confirm": "its one-click POST (RFC 8058), which mail clients send",
    "api.report_channel_bounces": "a mail service's signed bounce report: no user, the "
    "channel's bounce secret is the authority (tests/app/test_api_channels.py)",
    "portal_training.apply_page": "the partner application form, for companies without accounts",
    "portal_training.apply_submit": "the partner application form, for companies without accounts",
    "portal_training.invitation_page": "an invited person's own link: nobody is signed in yet",
    "portal_training.invitation_submit": "sets the invited person's first password, no session",
}


def _walked(rule: Any) -> bool:
    return not rule.rule.startswith(("/syndication/", "/embed.js"))


@dataclass
class Closed:
    """A partner with objects of every kind, then closed (suspended or exited)."""

    partner: Partner
    admin: User
    values: dict[str, str]
    api: Api
    portal: FlaskClient


@pytest.fixture
def closed(
    request: pytest.FixtureRequest,
    app: Flask,
    make_partner: Callable[..., Partner],
    make_user: Callable[..., User],
    api_as: Callable[[User | None], Api],
    session: Session,
) -> Callable[[PartnerStatus], Closed]:
    def make(status: PartnerStatus) -> Closed:
        partner = make_partner()
        admin = make_user(Role.PARTNER_ADMIN, partner)
        member = make_user(Role.PARTNER_USER, partner)
        vendor_user = make_user(Role.MARKETING_MANAGER)
        vendor = api_as(vendor_user)
        own = api_as(admin)  # a token issued while the partnership was active
        assert (
            own.request(
                "PUT", f"/api/v1/partners/{partner.id}/brand-kit/logos/light", data=png()
            ).status_code
            == 200
        )
        asset_id, version_id = _asset(vendor, partner.tier_id)
        link = own.get(f"/api/v1/assets/{asset_id}/link").json["code"]
        job = jobs.start_job(session, vendor_user, asset_id, {}, "pdf")
        item, embed, lead = _syndication(vendor, own, partner.tier_id, session)
        proposal = own.post(
            f"/api/v1/partners/{partner.id}/change-requests", {"verticals": ["health"]}
        )
        assert proposal.status_code == 201, proposal.json
        channel = own.post(
            "/api/v1/channels",
            {"kind": "x", "access_token": "t", "user_id": "12"},
        )
        assert channel.status_code == 201, channel.json
        campaign, enrolment = _campaign(vendor, own, partner.tier_id)
        fund_id, _, claim_id, proof_id = _mdf(session, app, make_user, partner, admin)
        deal = own.post(
            "/api/v1/deals",
            {
                "company": "Blue Harbour Freight",
                "contact_name": "Ada",
                "contact_email": "ada@blueharbour.example",
                "country": "DE",
                "estimated_value": "1000.00",
                "expected_close": "2027-01-31",
            },
        )
        assert deal.status_code == 201, deal.json
        # The portal session, also opened before the status changed.
        portal = app.test_client()
        portal.get("/sign-in")
        r = portal.post(
            "/sign-in",
            data={"email": admin.email, "password": PASSWORD, "csrf_token": csrf_of(portal)},
        )
        assert r.status_code == 302
        partner.status = status
        session.commit()
        # A page, as a browser shows one after any request: it carries the form token.
        assert portal.get("/account-status", follow_redirects=True).status_code == 200
        values = {
            "partner_id": str(partner.id),
            "user_id": str(member.id),
            "asset_id": str(asset_id),
            "version_id": str(version_id),
            "page": "1",
            "job_id": str(job.id),
            "item_id": str(item),
            "embed_id": str(embed),
            "lead_id": str(lead),
            "tier_id": str(partner.tier_id),
            "variant": "light",
            "code": link,
            "request_id": str(proposal.json["id"]),
            "decision": "approve",
            "channel_id": str(channel.json["id"]),
            "campaign_id": str(campaign),
            "enrolment_id": str(enrolment),
            "action": "pause",
            "step": "pause",
            "token": "x" * 43,
            "fund_id": str(fund_id),
            "claim_id": str(claim_id),
            "proof_id": str(proof_id),
            "deal_id": str(deal.json["id"]),
            "rule_id": "1",  # routing rules are the vendor's: refused by status or role first
            # Training and onboarding: refused by the status before any lookup.
            "course_id": "1",
            "path_id": "1",
            "application_id": "1",
            "webhook_id": "1",  # the vendor's CRM webhooks: refused by the status first
            "kind": "x",
            "service": "webhook",
        }
        return Closed(partner, admin, values, own, portal)

    return make


def _url(rule: Any, values: dict[str, str]) -> str:
    unknown = set(rule.arguments) - set(values)
    assert not unknown, f"{rule.rule}: teach the status walker a value for {sorted(unknown)}"
    return re.sub(r"<(?:[^:<>]+:)?(\w+)>", lambda m: values[m.group(1)], rule.rule)


def _routes(app: Flask) -> list[tuple[Any, str]]:
    return [
        (rule, method)
        for rule in app.url_map.iter_rules()
        if _walked(rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]


def _send(world: Closed, rule: Any, method: str) -> Any:
    url = _url(rule, world.values)
    if url.startswith("/api/"):
        return world.api.request(method, url, {} if method != "GET" else None)
    data = {"csrf_token": csrf_of(world.portal)} if method != "GET" else None
    return world.portal.open(url, method=method, data=data)


def test_allow_list_is_the_apps() -> None:
    assert set(ALLOWED) == NOTICE_ENDPOINTS
    assert set(PUBLIC) == PUBLIC_ENDPOINTS


def test_every_endpoint_is_walked_or_public(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(ALLOWED) | set(PUBLIC) <= endpoints, "allow-list names a route that is gone"
    skipped = {r.endpoint for r in app.url_map.iter_rules() if not _walked(r)}
    assert all(e.startswith("syndication.") for e in skipped), skipped


def test_suspended_partner_is_refused_on_every_route(
    app: Flask, closed: Callable[[PartnerStatus], Closed], session: Session
) -> None:
    world = closed(PartnerStatus.SUSPENDED)
    before = snapshot(session)
    wrong = []
    walked = 0
    for rule, method in _routes(app):
        if rule.endpoint in ALLOWED or rule.endpoint in PUBLIC:
            continue
        walked += 1
        r = _send(world, rule, method)
        if rule.rule.startswith("/api/"):
            ok = (
                r.status_code == 403
                and r.is_json
                and r.json["error"]["code"] == "partner_suspended"
                and "suspended" in r.json["error"]["message"]
            )
        elif method == "GET":
            ok = r.status_code == 302 and r.headers["Location"].endswith("/account-status")
        else:
            ok = r.status_code == 403 and "suspended" in r.get_data(as_text=True)
        if not ok:
            wrong.append((method, rule.rule, r.status_code, r.get_data()[:160]))
    assert walked > 60, f"only {walked} routes walked: the walk is broken"
    assert not wrong, f"routes a suspended partner still reaches: {wrong}"
    assert snapshot(session) == before


def test_suspended_partner_reads_the_notice_and_its_own_account(
    closed: Callable[[PartnerStatus], Closed],
) -> None:
    world = closed(PartnerStatus.SUSPENDED)
    r = world.portal.get("/", follow_redirects=True)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "suspended" in html and "Contact your channel manager" in html
    assert 'href="/library"' not in html  # no menu into what is closed
    r = world.api.get("/api/v1/me")
    assert r.status_code == 200 and r.json["id"] == world.admin.id
    assert world.api.delete("/api/v1/tokens/current").status_code == 204
    assert world.api.get("/api/v1/me").status_code == 401
    r = world.portal.post("/sign-out", data={"csrf_token": csrf_of(world.portal)})
    assert r.status_code == 302


def test_exited_partner_is_signed_out_everywhere(
    app: Flask, closed: Callable[[PartnerStatus], Closed], session: Session
) -> None:
    world = closed(PartnerStatus.EXITED)
    before = snapshot(session)
    wrong = []
    for rule, method in _routes(app):
        if rule.endpoint in PUBLIC or rule.endpoint in ("portal.sign_in_page", "portal.sign_out"):
            continue
        r = _send(world, rule, method)
        if rule.rule.startswith("/api/"):
            ok = r.status_code == 401
        elif rule.endpoint == "portal.sign_in_submit":
            ok = r.status_code in (401, 422)  # no credentials sent: refused, not signed in
        else:
            ok = r.status_code == 302 and "/sign-in" in r.headers["Location"]
        if not ok:
            wrong.append((method, rule.rule, r.status_code, r.get_data()[:160]))
    assert not wrong, f"routes an exited partner still reaches: {wrong}"
    assert snapshot(session) == before


def test_a_new_route_is_gated_without_anyone_remembering(
    app: Flask, closed: Callable[[PartnerStatus], Closed]
) -> None:
    app.add_url_rule("/api/v1/widgets", "api.widgets", lambda: "open", methods=["GET"])
    app.add_url_rule("/widgets", "widgets", lambda: "open", methods=["GET"])
    world = closed(PartnerStatus.SUSPENDED)
    assert world.api.get("/api/v1/widgets").status_code == 403
    assert world.portal.get("/widgets").status_code == 302


# -- signing in, tokens, embeds and links per status -------------------------------------------


@pytest.mark.parametrize(
    ("status", "token", "portal"),
    [
        (PartnerStatus.ACTIVE, 201, 302),
        (PartnerStatus.ONBOARDING, 201, 302),
        (PartnerStatus.PROSPECT, 201, 302),
        (PartnerStatus.SUSPENDED, 403, 302),  # signs in to read the notice; no API token
        (PartnerStatus.EXITED, 403, 401),
    ],
)
def test_tokens_and_sign_in_per_status(
    status: PartnerStatus,
    token: int,
    portal: int,
    app: Flask,
    make_partner: Callable[..., Partner],
    make_user: Callable[..., User],
    session: Session,
) -> None:
    admin = make_user(Role.PARTNER_ADMIN, make_partner(status=status))
    session.commit()
    client = app.test_client()
    r = client.post("/api/v1/tokens", json={"email": admin.email, "password": PASSWORD})
    assert r.status_code == token, r.json
    if token == 403:
        assert r.json["error"]["code"] == f"partner_{status.value}"
    client.get("/sign-in")
    r = client.post(
        "/sign-in", data={"email": admin.email, "password": PASSWORD, "csrf_token": csrf_of(client)}
    )
    assert r.status_code == portal
    if status == PartnerStatus.EXITED:
        assert "has ended" in r.get_data(as_text=True)
    # The domain refuses it too, whatever face asks.
    if token == 403:
        with pytest.raises(access.PartnerInactive, match="partner"):
            auth.issue_token(session, admin, dt.timedelta(hours=1))


def test_onboarding_partner_prepares_but_gets_no_content(
    make_partner: Callable[..., Partner],
    make_user: Callable[..., User],
    api_as: Callable[[User | None], Api],
) -> None:
    partner = make_partner(status=PartnerStatus.ONBOARDING)
    admin = api_as(make_user(Role.PARTNER_ADMIN, partner))
    r = admin.patch(f"/api/v1/partners/{partner.id}/brand-kit", {"contact_phone": "+49 30 1"})
    assert r.status_code == 200
    new_user = {
        "email": "colleague@example.com",
        "password": "long-enough-password",
        "display_name": "Colleague",
        "role": "partner_user",
    }
    assert admin.post(f"/api/v1/partners/{partner.id}/users", new_user).status_code == 201
    for method, url, body in (
        ("GET", "/api/v1/assets", None),
        ("GET", "/api/v1/syndication/items", None),
        ("GET", "/api/v1/embeds", None),
        ("POST", "/api/v1/embeds", {"kind": "block", "allowed_domains": ["x.example"]}),
        ("GET", "/api/v1/leads", None),
    ):
        r = admin.request(method, url, body)
        assert r.status_code == 403, (url, r.json)
        assert r.json["error"]["code"] == "partner_onboarding"


def test_vendor_still_manages_a_suspended_partner(
    make_partner: Callable[..., Partner],
    make_user: Callable[..., User],
    api_as: Callable[[User | None], Api],
) -> None:
    partner = make_partner(status=PartnerStatus.SUSPENDED)
    vendor = api_as(make_user(Role.CHANNEL_MANAGER))
    assert vendor.get(f"/api/v1/partners/{partner.id}").status_code == 200
    r = vendor.patch(f"/api/v1/partners/{partner.id}", {"status": "active"})
    assert r.status_code == 200 and r.json["status"] == "active"


@pytest.mark.parametrize("status", [PartnerStatus.SUSPENDED, PartnerStatus.EXITED], ids=str)
def test_embeds_of_a_closed_partner_answer_nothing(
    status: PartnerStatus,
    app: Flask,
    closed: Callable[[PartnerStatus], Closed],
    client: FlaskClient,
) -> None:
    app.config["SYNDICATION_CACHE_SECONDS"] = 0
    world = closed(status)
    from prm_domain.models import Embed

    embed = (
        world.api.client.application.extensions["cobrand.db"]
        .sessionmaker()
        .get(Embed, int(world.values["embed_id"]))
    )
    origin = {"Origin": "https://b.example"}
    for method, path in (
        ("GET", ""),
        ("GET", "/fragment"),
        ("GET", "/logo"),
        ("GET", f"/resources/{world.values['item_id']}"),
        ("POST", "/events"),
        ("POST", "/leads"),
    ):
        r = client.open(
            f"/syndication/v1/embeds/{embed.key}{path}", method=method, headers=origin, json={}
        )
        assert r.status_code == 404, (path, r.status_code)


def test_tracked_link_of_a_suspended_partner_is_anonymous(
    closed: Callable[[PartnerStatus], Closed], client: FlaskClient, session: Session
) -> None:
    world = closed(PartnerStatus.SUSPENDED)
    r = client.get(f"/r/{world.values['code']}")
    assert r.status_code == 302
    assert r.headers["Location"] == "https://nimbus.example/cloud"  # no partner tags
    session.expire_all()
    link = session.query(TrackedLink).filter_by(code=world.values["code"]).one()
    assert link.clicks == 0


def test_onboarding_partner_portal_says_what_opens_later(
    make_partner: Callable[..., Partner], make_user: Callable[..., User], sign_in_as: Any
) -> None:
    admin = make_user(Role.PARTNER_ADMIN, make_partner(status=PartnerStatus.ONBOARDING))
    client = sign_in_as(admin)
    html = client.get("/").get_data(as_text=True)
    assert 'href="/library"' not in html and 'href="/embeds"' not in html
    assert f'href="/partners/{admin.partner_id}/brand-kit"' in html
    for path in ("/library", "/embeds", "/leads"):
        r = client.get(path)
        assert r.status_code == 403 and "still onboarding" in r.get_data(as_text=True), path
    notice = client.get("/account-status").get_data(as_text=True)
    assert "still onboarding" in notice


@pytest.mark.parametrize(
    "status", [PartnerStatus.PROSPECT, PartnerStatus.ONBOARDING, PartnerStatus.SUSPENDED], ids=str
)
def test_a_preparing_partner_is_offered_no_link_that_is_refused(
    status: PartnerStatus,
    make_partner: Callable[..., Partner],
    make_user: Callable[..., User],
    sign_in_as: Any,
) -> None:
    """Every link on every portal page a prospect, onboarding or suspended partner reaches
    opens: the pages hide what the status closes (``opens(area)``), and the dashboard says
    why."""
    admin = make_user(Role.PARTNER_ADMIN, make_partner(status=status))
    client = sign_in_as(admin)
    start = "/account-status" if status == PartnerStatus.SUSPENDED else "/"
    if start == "/":
        dashboard = client.get("/").get_data(as_text=True)
        assert "data-status-notice" in dashboard
        assert access.STATUS_NOTICES[status].split(":")[0] in dashboard
    seen: set[str] = set()
    todo, refused = [start], []
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        r = client.get(path)
        if r.status_code == 403:
            refused.append(path)
            continue
        assert r.status_code in (200, 302), (path, r.status_code)
        if r.status_code != 200 or "html" not in (r.content_type or ""):
            continue
        for href in re.findall(r'href="(/[^"#]*)"', r.get_data(as_text=True)):
            if not href.startswith(("/static/", "/favicon")):
                todo.append(href.split("?")[0])
    assert not refused, f"links to refused pages: {refused}"
    # Preparing: dashboard, organisation, brand kit, password at least; suspended: the notice
    # (every page it asks for leads there, so the walk must have reached it).
    if status == PartnerStatus.SUSPENDED:
        assert "/account-status" in seen, seen
    else:
        assert {"/", "/organisation", "/account/password"} <= seen, seen


def test_link_logo_follows_the_partner_status(
    client: FlaskClient, closed: Callable[[PartnerStatus], Closed], session: Session
) -> None:
    """The partner's logo behind a tracked link (emails show it) is served only while the
    partner's status opens content: not for a suspended or exited partner."""
    for status in (PartnerStatus.SUSPENDED, PartnerStatus.EXITED):
        world = closed(status)
        assert client.get(f"/r/{world.values['code']}/logo").status_code == 404
        world.partner.status = PartnerStatus.ACTIVE
        session.commit()
        assert client.get(f"/r/{world.values['code']}/logo").status_code == 200
