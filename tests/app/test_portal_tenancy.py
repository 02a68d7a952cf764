"""Tenant isolation in the portal: a partner user of A never sees or changes B.

``test_every_portal_route_with_an_id_has_a_cross_tenant_case`` walks the url_map: a new portal
route with an object id fails it until it has a case in ``CASES`` below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import inspect, text

from prm_domain.enums import Role
from prm_domain.models import Partner, User
from tests.app.test_portal import (  # noqa: F401 - fast_argon2 and password_hash are fixtures
    fast_argon2,
    password_hash,
    post_form,
    text_of,
)


@dataclass
class Tenant:
    partner: Partner
    admin: User
    member: User
    proposal: int = 0  # a pending PartnerChangeRequest of this partner


@pytest.fixture
def tenants(make_tier, make_partner, make_user, session) -> tuple[Tenant, Tenant]:
    from prm_domain import partner_changes

    tier = make_tier()
    made = []
    for name in ("Tenant Alpha Ltd", "Tenant Bravo Ltd"):
        partner = make_partner(name=name, tier=tier, verticals=[f"{name} vertical"])
        tenant = Tenant(
            partner,
            make_user(Role.PARTNER_ADMIN, partner=partner, display_name=f"{name} admin"),
            make_user(Role.PARTNER_USER, partner=partner, display_name=f"{name} member"),
        )
        tenant.proposal = partner_changes.propose_partner_change(
            session, tenant.admin, partner.id, {"region": "APAC"}
        ).id
        made.append(tenant)
    session.commit()
    return made[0], made[1]


def snapshot(session: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: whatever a refused request might have changed."""
    session.expire_all()
    conn = session.connection()
    tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
    return {
        t: sorted((tuple(row) for row in conn.execute(text(f'SELECT * FROM "{t}"'))), key=repr)
        for t in tables
    }


# One case per (rule, method): how to ask for `target`'s object with that route. The same call on
# the actor's own tenant must work, which shows the case reaches the right object.
Case = Callable[[Any, Tenant], Any]

CASES: dict[tuple[str, str], Case] = {
    ("/partners/<id:partner_id>", "GET"): lambda c, t: c.get(f"/partners/{t.partner.id}"),
    ("/partners/<id:partner_id>/edit", "GET"): lambda c, t: c.get(f"/partners/{t.partner.id}/edit"),
    ("/partners/<id:partner_id>/edit", "POST"): lambda c, t: post_form(
        c, f"/partners/{t.partner.id}/edit", {"website_domains": "other-tenant.example"}
    ),
    ("/partners/<id:partner_id>/users", "POST"): lambda c, t: post_form(
        c,
        f"/partners/{t.partner.id}/users",
        {
            "email": f"planted-{t.partner.id}@example.com",
            "password": "a-long-password",
            "display_name": "Planted",
            "role": "partner_admin",
        },
    ),
    ("/users/<id:user_id>/active", "POST"): lambda c, t: post_form(
        c, f"/users/{t.member.id}/active", {"active": "0"}
    ),
    ("/partners/<id:partner_id>/change-requests", "POST"): lambda c, t: post_form(
        c, f"/partners/{t.partner.id}/change-requests", {"verticals": "Planted vertical"}
    ),
    ("/users/<id:user_id>/invitation", "POST"): lambda c, t: post_form(
        c, f"/users/{t.member.id}/invitation"
    ),
}

# Routes only vendor managers use, on objects partners may have made (a partner's proposed
# change): every partner role is refused, on its own tenant's object as on another's.
VENDOR_ONLY_CASES: dict[tuple[str, str], Case] = {
    ("/partner-change-requests/<id:request_id>/decide", "POST"): lambda c, t: post_form(
        c, f"/partner-change-requests/{t.proposal}/decide", {"decision": "approve"}
    ),
}


# Feature blueprints keep their cross-tenant cases beside their own tests; each such module
# checks its list against the URL map and runs every case (404, nothing changed).
FEATURE_MODULES = (
    "tests.app.test_portal_library",
    "tests.app.test_portal_syndication",
    "tests.app.test_portal_campaigns",
    "tests.app.test_portal_mdf",
    "tests.app.test_portal_leads",
    "tests.app.test_portal_training",
    "tests.app.test_portal_channels",
    "tests.app.test_portal_deals",
    "tests.app.test_portal_tiers",
    "tests.app.test_portal_scorecards",
)


def feature_cases() -> set[tuple[str, str]]:
    # Imported when needed: those modules import helpers from this one.
    import importlib

    return {case for name in FEATURE_MODULES
            for case in importlib.import_module(name).CROSS_TENANT_CASES}  # fmt: skip


# Routes outside /api/ and /syndication/ that are public on purpose: no session, no tenant's
# private data. A new route that is neither here nor covered by CASES fails the walker.
PUBLIC_ENDPOINTS = {
    "static": "the app's own CSS and JS",
    "links.follow": "short links /r/<code> handed out publicly by partners; anyone may follow one",
    "links.logo": "the partner's logo behind such a link, shown in their co-branded emails",
    "unsubscribe.page": "a mail recipient's unsubscribe link: the token is the authority",
    "unsubscribe.confirm": "its one-click POST (RFC 8058), sent by mail clients without a session",
    "portal_training.apply_page": "the partner application form, for companies with no account",
    "portal_training.apply_submit": "the partner application form, for companies with no account",
    "portal_training.invitation_page": "an invited person's one-time link: its token decides",
    "portal_training.invitation_submit": "its form setting the first password (no account yet)",
}


def portal_rules(app: Any) -> list[Any]:
    """Page routes: everything but the JSON API, syndication and public endpoints."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in PUBLIC_ENDPOINTS
        and not rule.rule.startswith(("/api/", "/syndication/", "/static/"))
    ]


def test_every_portal_route_with_an_id_has_a_cross_tenant_case(app):
    needed = {
        (rule.rule, method)
        for rule in portal_rules(app)
        if rule.arguments
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    }
    missing = needed - set(CASES) - set(VENDOR_ONLY_CASES) - feature_cases()
    assert not missing, (
        f"portal routes with ids and no cross-tenant case in CASES: {sorted(missing)}"
    )
    stale = (set(CASES) | set(VENDOR_ONLY_CASES) | feature_cases()) - needed
    assert not stale, f"CASES for routes that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("key", sorted(CASES), ids=lambda k: f"{k[1]} {k[0]}")
@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.PARTNER_USER])
def test_cross_tenant_request_is_refused_and_changes_nothing(
    client, sign_in_as, session, tenants, key, role
):
    own, other = tenants
    actor = own.admin if role is Role.PARTNER_ADMIN else own.member
    sign_in_as(actor)
    before = snapshot(session)
    r = CASES[key](client, other)
    assert r.status_code in (403, 404), f"{key}: {r.status_code}"
    body = text_of(r)
    for secret in (
        other.partner.name,
        other.admin.email,
        other.member.email,
        other.admin.display_name,
    ):
        assert secret not in body, f"{key} leaks {secret!r}"
    assert snapshot(session) == before, f"{key} changed data of another tenant"


@pytest.mark.parametrize("key", sorted(CASES), ids=lambda k: f"{k[1]} {k[0]}")
def test_same_request_on_own_tenant_works(client, sign_in_as, session, tenants, key):
    own, _ = tenants
    sign_in_as(own.admin)
    before = snapshot(session)
    r = CASES[key](client, own)
    assert r.status_code in (200, 302), f"{key}: {r.status_code}"
    if key[1] == "POST":
        assert snapshot(session) != before, f"{key} did nothing on the own tenant"
    else:
        assert own.partner.name in text_of(r)


@pytest.mark.parametrize("key", sorted(VENDOR_ONLY_CASES), ids=lambda k: f"{k[1]} {k[0]}")
@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.PARTNER_USER])
def test_vendor_only_routes_refuse_every_partner_role(
    client, sign_in_as, session, tenants, make_user, key, role
):
    own, other = tenants
    sign_in_as(own.admin if role is Role.PARTNER_ADMIN else own.member)
    before = snapshot(session)
    for target in (own, other):
        r = VENDOR_ONLY_CASES[key](client, target)
        assert r.status_code == 403, f"{key}: {r.status_code}"
        assert other.partner.name not in text_of(r)
    assert snapshot(session) == before
    # The route works for the vendor: the refusals above are about the role.
    sign_in_as(make_user(Role.CHANNEL_MANAGER))
    assert VENDOR_ONLY_CASES[key](client, other).status_code == 302
    assert snapshot(session) != before


def test_partner_pages_show_only_the_own_tenant(client, sign_in_as, tenants):
    own, other = tenants
    sign_in_as(own.admin)
    secrets = (
        other.partner.name,
        other.admin.email,
        other.member.email,
        f"/partners/{other.partner.id}",
    )
    for path in (
        "/",
        "/organisation",
        "/partners",
        "/partners?q=bravo",
        "/tiers",
        "/audit",
        f"/partners/{own.partner.id}",
        f"/partners/{own.partner.id}/edit",
    ):
        r = client.get(path, follow_redirects=True)
        assert r.status_code < 500, path
        for secret in secrets:
            assert secret not in text_of(r), f"{path} leaks {secret!r}"


def test_vendor_only_pages_are_closed_to_partners(client, sign_in_as, tenants):
    own, _ = tenants
    sign_in_as(own.admin)
    assert client.get("/tiers").status_code == 404
    r = client.get("/partners")
    assert r.status_code == 302 and r.headers["Location"].endswith("/organisation")
    assert client.get("/partners/new").status_code in (302, 403, 404)
    assert client.get("/audit").status_code in (302, 403, 404)


def test_partner_admin_cannot_touch_vendor_staff(client, sign_in_as, make_user, session, tenants):
    own, _ = tenants
    staff = make_user(Role.VENDOR_ADMIN)
    sign_in_as(own.admin)
    before = snapshot(session)
    r = post_form(client, f"/users/{staff.id}/active", {"active": "0"})
    assert r.status_code == 404
    assert snapshot(session) == before


def test_partner_admin_cannot_plant_users_by_form_fields(client, sign_in_as, session, tenants):
    """Extra form fields (partner_id, role of a vendor) never move a new user elsewhere."""
    own, other = tenants
    sign_in_as(own.admin)
    r = post_form(
        client,
        f"/partners/{own.partner.id}/users",
        {
            "email": "sneaky@example.com",
            "password": "a-long-password",
            "display_name": "Sneaky",
            "role": "partner_user",
            "partner_id": str(other.partner.id),
        },
    )
    assert r.status_code == 302
    session.expire_all()
    from sqlalchemy import select

    user = session.scalar(select(User).where(User.email == "sneaky@example.com"))
    assert user.partner_id == own.partner.id
