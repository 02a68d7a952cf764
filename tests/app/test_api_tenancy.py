"""Tenant isolation: every API route that takes an object id is tried across tenants.

``CASES`` holds one cross-tenant case per (URL rule, method). Each is run by a partner admin
and by a partner user of partner A against partner B's objects (B's organisation, users and
brand kit; an asset whose audience is B's tier only; a render job made for B): the request is
refused - 404 unless noted - and no table changes. The refusal must be the very answer a
made-up id gets, so it never tells "exists elsewhere" from "does not exist".
``test_every_id_route_has_a_case`` walks ``app.url_map`` and fails when a route with a URL
parameter has no case, so a new route cannot ship without its tenancy case.

Tiers are the vendor's programme, shared by all partners rather than owned by one; their
routes are listed in ``SHARED`` with the reason and the answer a partner role gets.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from prm_domain import jobs, training
from prm_domain.base import Base
from prm_domain.enums import Role
from prm_domain.models import Partner, Tier, User
from tests.library_fixtures import brochure, png

GHOST = 2_000_000_000  # an id no row has


def snapshot(session: Session) -> dict[str, list[Any]]:
    """Every row of every table, read fresh from the database (not the identity map)."""
    existing = set(inspect(session.connection()).get_table_names())
    out = {}
    for table in Base.metadata.sorted_tables:
        if table.name in existing:
            stmt = select(table).order_by(*table.primary_key.columns)
            out[table.name] = [tuple(r) for r in session.execute(stmt).all()]
    return out


@dataclass
class Target:
    """The ids a case aims at: partner B's objects, or made-up ones."""

    partner: int
    asset: int
    version: int
    job: int
    item: int = GHOST  # a syndicated item only B's audience gets
    embed: int = GHOST
    lead: int = GHOST
    proposal: int = GHOST  # vendor-only decisions: refused by role, whatever the id
    channel: int = GHOST  # B's publishing channel
    campaign: int = GHOST  # a launched campaign for B's tier only
    enrolment: int = GHOST  # B's invitation to it
    fund: int = GHOST  # an MDF fund B holds money in (A holds none there)
    mdf_request: int = GHOST
    claim: int = GHOST
    proof: int = GHOST
    deal: int = GHOST  # B's deal registration
    user: int = GHOST  # B's partner user (never signed in: an invitation may be sent again)


@dataclass
class World:
    a: Partner
    b: Partner
    members: dict[tuple[str, Role], User]
    b_ids: Target
    a_asset: int  # an asset partner A may see, for the query-string cases
    tier: Tier
    vendor: User
    ghost: Target = field(default_factory=lambda: Target(GHOST, GHOST, GHOST, GHOST))


def _syndication(vendor: Any, b_admin: Any, b_tier: int, session: Session) -> tuple[int, int, int]:
    """B's side of syndication: an item for B's tier only, B's embed, a lead for B."""
    from prm_domain.models import Embed
    from prm_domain.syndication import leads

    form = {"fields": ["name", "email"], "consent_text": "I agree to be contacted."}
    r = vendor.post(
        "/api/v1/syndication/items",
        {"kind": "lead_form", "title": "Talk to B", "content": form, "audience_tier_ids": [b_tier]},
    )
    assert r.status_code == 201, r.json
    item = r.json["id"]
    r = b_admin.post("/api/v1/embeds", {"kind": "lead_form", "allowed_domains": ["b.example"]})
    assert r.status_code == 201, r.json
    embed = session.get(Embed, r.json["id"])
    assert embed is not None
    lead, _ = leads.submit_lead(
        session, embed, form_id=item, fields={"email": "x@y.example"}, consent=True
    )
    session.commit()
    return item, embed.id, lead.id


def _campaign(vendor: Any, b_admin: Any, b_tier: int) -> tuple[int, int]:
    """A launched campaign for B's tier only, and B's invitation to it."""
    r = vendor.post("/api/v1/campaigns", {"name": "For B", "audience_tier_ids": [b_tier]})
    assert r.status_code == 201, r.json
    campaign = r.json["id"]
    r = vendor.post(f"/api/v1/campaigns/{campaign}/items", {"kind": "social", "text": "Hi"})
    assert r.status_code == 201, r.json
    assert vendor.post(f"/api/v1/campaigns/{campaign}/launch").status_code == 200
    enrolment = b_admin.get("/api/v1/enrolments").json["items"][0]["id"]
    return campaign, enrolment


def _mdf(session: Session, app: Flask, make_user: Any, b: Partner, b_admin: User) -> list[int]:
    """B's MDF: a fund with B's allocation, an approved request, a claim with a proof file."""
    from prm_domain.mdf import claims, funds, requests
    from prm_domain.storage import LocalStorage
    from tests.mdf_fixtures import TODAY, event_proofs, fund_values, request_values

    vendor = make_user(Role.VENDOR_ADMIN)
    fund = funds.create_fund(session, vendor, fund_values())
    funds.allocate(session, vendor, fund.id, {"partner_id": b.id, "amount": Decimal("5000.00")})
    req = requests.submit_request(session, b_admin, request_values(fund.id))
    requests.approve_request(session, vendor, req.id, Decimal("400.00"), "part")
    claim = claims.submit_claim(
        session,
        b_admin,
        LocalStorage(app.config["STORAGE_DIR"]),
        {"request_id": req.id, "amount": Decimal("10.00"), "actual_cost": Decimal("10.00")},
        event_proofs(),
        TODAY,
    )
    session.commit()
    return [fund.id, req.id, claim.id, claims.proofs_of(session, claim)[0].id]


def _deal(session: Session, b_admin: User) -> int:
    from prm_domain import deals

    values = {
        "company": "Blue Harbour Freight",
        "contact_name": "Ada",
        "contact_email": "ada@blueharbour.example",
        "country": "DE",
        "estimated_value": "1000.00",
        "expected_close": "2027-01-31",
    }
    deal = deals.register_deal(session, b_admin, values)
    session.commit()
    return deal.id


@pytest.fixture(autouse=True)
def fast_hash(monkeypatch: pytest.MonkeyPatch, password_hash: str) -> None:
    # Control cases create users; argon2 is slow and not what these tests are about.
    monkeypatch.setattr("prm_domain.users.hash_password", lambda _plain: password_hash)


def _asset(vendor: Any, tier_id: int) -> tuple[int, int]:
    r = vendor.post(
        "/api/v1/assets",
        {
            "kind": "pdf",
            "name": f"Brochure {uuid.uuid4().hex[:6]}",
            "landing_url": "https://nimbus.example/cloud",
            "audience_tier_ids": [tier_id],
        },
    )
    assert r.status_code == 201, r.json
    asset_id = r.json["id"]
    r = vendor.post(
        f"/api/v1/assets/{asset_id}/versions?filename=b.pdf",
        data=brochure(1),
        headers={"Content-Type": "application/pdf"},
    )
    assert r.status_code == 201, r.json
    version_id = r.json["id"]
    assert vendor.post(f"/api/v1/assets/{asset_id}/publish", {}).status_code == 200
    return asset_id, version_id


@pytest.fixture
def world(
    make_partner: Callable[..., Partner],
    make_user: Callable[..., User],
    api_as: Any,
    session: Session,
    app: Flask,
) -> World:
    a, b = make_partner(), make_partner()  # each on its own tier
    members = {(name, role): make_user(role, p) for name, p in (("a", a), ("b", b)) for role in
               (Role.PARTNER_ADMIN, Role.PARTNER_USER)}  # fmt: skip
    vendor_user = make_user(Role.MARKETING_MANAGER)
    vendor = api_as(vendor_user)
    r = api_as(members["b", Role.PARTNER_ADMIN]).request(
        "PUT", f"/api/v1/partners/{b.id}/brand-kit/logos/light", data=png()
    )
    assert r.status_code == 200, r.json
    b_asset, b_version = _asset(vendor, b.tier_id)
    a_asset, _ = _asset(vendor, a.tier_id)
    job = jobs.start_job(session, vendor_user, b_asset, {"tier_ids": [b.tier_id]}, "pdf")
    session.commit()
    item, embed, lead = _syndication(
        vendor, api_as(members["b", Role.PARTNER_ADMIN]), b.tier_id, session
    )
    r = api_as(members["b", Role.PARTNER_ADMIN]).post(
        "/api/v1/channels",
        {"kind": "linkedin", "access_token": "b-token", "author": "urn:li:organization:77"},
    )
    assert r.status_code == 201, r.json
    campaign, enrolment = _campaign(vendor, api_as(members["b", Role.PARTNER_ADMIN]), b.tier_id)
    mdf = _mdf(session, app, make_user, b, members["b", Role.PARTNER_ADMIN])
    deal = _deal(session, members["b", Role.PARTNER_ADMIN])
    return World(
        a=a,
        b=b,
        members=members,
        b_ids=Target(
            b.id,
            b_asset,
            b_version,
            job.id,
            item,
            embed,
            lead,
            channel=r.json["id"],
            campaign=campaign,
            enrolment=enrolment,
            fund=mdf[0],
            mdf_request=mdf[1],
            claim=mdf[2],
            proof=mdf[3],
            deal=deal,
            user=members["b", Role.PARTNER_USER].id,
        ),
        a_asset=a_asset,
        tier=b.tier,
        vendor=vendor_user,
    )


@dataclass(frozen=True)
class Case:
    """A request at ``t``'s objects with a body that would be valid; the refusal expected."""

    url: Callable[[Target], str]
    body: Callable[[], dict[str, Any] | None] = lambda: None
    data: Callable[[], bytes] | None = None  # a raw upload instead of JSON
    refusal: int = 404
    why: str = "another tenant's object: its existence is private"


VENDOR_ONLY = "a vendor-only route: refused by role before any lookup, the same for every id"


def _new_user() -> dict[str, Any]:
    return {
        "email": f"intruder-{uuid.uuid4().hex[:8]}@example.com",
        "password": "long-enough-password",
        "display_name": "Planted",
        "role": "partner_admin",
    }


P = "/api/v1/partners/<id:partner_id>"
AS = "/api/v1/assets/<id:asset_id>"
LOGO = P + "/brand-kit/logos/<any(light, dark):variant>"
IT = "/api/v1/syndication/items/<id:item_id>"
EM = "/api/v1/embeds/<id:embed_id>"
CH = "/api/v1/channels/<id:channel_id>"
FUND = "/api/v1/mdf/funds/<id:fund_id>"
MREQ = "/api/v1/mdf/requests/<id:request_id>"
CLAIM = "/api/v1/mdf/claims/<id:claim_id>"
LD = "/api/v1/leads/<id:lead_id>"
RR = "/api/v1/lead-routing-rules/<id:rule_id>"
DECIDE = "/api/v1/partner-change-requests/<id:request_id>/<any(approve, reject):decision>"
CA = "/api/v1/campaigns/<id:campaign_id>"
EN = "/api/v1/enrolments/<id:enrolment_id>"
# A partner sees a campaign it is invited to (A is not); changing one is the vendor's.
INVITED_ONLY = "a campaign another tenant is invited to: its existence is private"
APP_DECIDE = "/api/v1/applications/<id:application_id>/<any(approve, reject):decision>"
CASES: dict[tuple[str, str], Case] = {
    (P, "GET"): Case(lambda t: f"/api/v1/partners/{t.partner}"),
    (P, "PATCH"): Case(
        # Profile fields only: a partner admin may send these for their own organisation, so
        # only tenancy can refuse it.
        lambda t: f"/api/v1/partners/{t.partner}",
        lambda: {"business_model": "resale", "website_domains": ["evil.test"]},
    ),
    (P + "/users", "GET"): Case(lambda t: f"/api/v1/partners/{t.partner}/users"),
    (P + "/tier-progress", "GET"): Case(lambda t: f"/api/v1/partners/{t.partner}/tier-progress"),
    (P + "/tier-history", "GET"): Case(lambda t: f"/api/v1/partners/{t.partner}/tier-history"),
    (P + "/change-requests", "GET"): Case(
        lambda t: f"/api/v1/partners/{t.partner}/change-requests"
    ),
    (P + "/change-requests", "POST"): Case(
        lambda t: f"/api/v1/partners/{t.partner}/change-requests",
        lambda: {"verticals": ["Planted"], "note": "more content please"},
    ),
    (DECIDE, "POST"): Case(
        lambda t: f"/api/v1/partner-change-requests/{t.proposal}/approve",
        lambda: {},
        refusal=403,
        why=VENDOR_ONLY,
    ),
    (P + "/users", "POST"): Case(lambda t: f"/api/v1/partners/{t.partner}/users", _new_user),
    (P + "/brand-kit", "GET"): Case(lambda t: f"/api/v1/partners/{t.partner}/brand-kit"),
    (P + "/brand-kit", "PATCH"): Case(
        lambda t: f"/api/v1/partners/{t.partner}/brand-kit",
        lambda: {"contact_phone": "+49 30 666", "primary_color": "#000000"},
    ),
    (LOGO, "GET"): Case(lambda t: f"/api/v1/partners/{t.partner}/brand-kit/logos/light"),
    (LOGO, "PUT"): Case(
        lambda t: f"/api/v1/partners/{t.partner}/brand-kit/logos/light", data=lambda: png(10, 10)
    ),
    (LOGO, "DELETE"): Case(lambda t: f"/api/v1/partners/{t.partner}/brand-kit/logos/light"),
    (AS, "GET"): Case(lambda t: f"/api/v1/assets/{t.asset}"),
    (AS, "PATCH"): Case(
        lambda t: f"/api/v1/assets/{t.asset}",
        lambda: {"name": "Hijacked"},
        refusal=403,
        why=VENDOR_ONLY,
    ),
    (AS + "/versions", "POST"): Case(
        lambda t: f"/api/v1/assets/{t.asset}/versions",
        data=lambda: brochure(1),
        refusal=403,
        why=VENDOR_ONLY,
    ),
    (AS + "/versions/<id:version_id>/zones", "PUT"): Case(
        lambda t: f"/api/v1/assets/{t.asset}/versions/{t.version}/zones",
        lambda: {"zones": []},
        refusal=403,
        why=VENDOR_ONLY,
    ),
    (AS + "/versions/<id:version_id>/pages/<id:page>", "GET"): Case(
        lambda t: f"/api/v1/assets/{t.asset}/versions/{t.version}/pages/1"
    ),
    (AS + "/publish", "POST"): Case(
        lambda t: f"/api/v1/assets/{t.asset}/publish", lambda: {}, refusal=403, why=VENDOR_ONLY
    ),
    (AS + "/unpublish", "POST"): Case(
        lambda t: f"/api/v1/assets/{t.asset}/unpublish", refusal=403, why=VENDOR_ONLY
    ),
    (AS + "/thumbnail", "GET"): Case(lambda t: f"/api/v1/assets/{t.asset}/thumbnail"),
    (AS + "/render", "GET"): Case(lambda t: f"/api/v1/assets/{t.asset}/render?format=pdf"),
    (AS + "/link", "GET"): Case(lambda t: f"/api/v1/assets/{t.asset}/link"),
    (AS + "/downloads", "GET"): Case(lambda t: f"/api/v1/assets/{t.asset}/downloads"),
    (AS + "/batches", "POST"): Case(
        lambda t: f"/api/v1/assets/{t.asset}/batches",
        lambda: {"format": "pdf"},
        refusal=403,
        why=VENDOR_ONLY,
    ),
    ("/api/v1/jobs/<id:job_id>", "GET"): Case(lambda t: f"/api/v1/jobs/{t.job}"),
    ("/api/v1/jobs/<id:job_id>/download", "GET"): Case(lambda t: f"/api/v1/jobs/{t.job}/download"),
    (IT, "GET"): Case(lambda t: f"/api/v1/syndication/items/{t.item}"),
    (IT, "PATCH"): Case(
        lambda t: f"/api/v1/syndication/items/{t.item}",
        lambda: {"title": "Mine"},
        refusal=403,
        why=VENDOR_ONLY,
    ),
    (IT, "DELETE"): Case(
        lambda t: f"/api/v1/syndication/items/{t.item}", refusal=403, why=VENDOR_ONLY
    ),
    (EM, "GET"): Case(lambda t: f"/api/v1/embeds/{t.embed}"),
    (EM, "PATCH"): Case(
        lambda t: f"/api/v1/embeds/{t.embed}", lambda: {"allowed_domains": ["evil.example"]}
    ),
    (EM + "/stats", "GET"): Case(lambda t: f"/api/v1/embeds/{t.embed}/stats"),
    (EM, "DELETE"): Case(lambda t: f"/api/v1/embeds/{t.embed}"),
    ("/api/v1/leads/<id:lead_id>", "GET"): Case(lambda t: f"/api/v1/leads/{t.lead}"),
    ("/api/v1/leads/<id:lead_id>", "PATCH"): Case(
        lambda t: f"/api/v1/leads/{t.lead}", lambda: {"assigned_user_id": None}
    ),
    (CH, "GET"): Case(lambda t: f"/api/v1/channels/{t.channel}"),
    (CH, "DELETE"): Case(lambda t: f"/api/v1/channels/{t.channel}"),
    (CH + "/bounces", "POST"): Case(
        lambda t: f"/api/v1/channels/{t.channel}/bounces",
        data=lambda: b'{"bounces": [{"email": "planted@example.com"}]}',
        refusal=401,
        why="a mail service's report: only the channel's bounce secret signs one, no token",
    ),
    (CA, "GET"): Case(lambda t: f"/api/v1/campaigns/{t.campaign}", why=INVITED_ONLY),
    (CA, "PATCH"): Case(
        lambda t: f"/api/v1/campaigns/{t.campaign}", lambda: {"name": "Mine"}, why=INVITED_ONLY
    ),
    **{
        (CA + f"/{action}", "POST"): Case(
            lambda t, action=action: f"/api/v1/campaigns/{t.campaign}/{action}", why=INVITED_ONLY
        )
        for action in ("launch", "pause", "resume", "duplicate")
    },
    (CA + "/items", "GET"): Case(lambda t: f"/api/v1/campaigns/{t.campaign}/items"),
    (CA + "/items", "POST"): Case(
        lambda t: f"/api/v1/campaigns/{t.campaign}/items", lambda: {"kind": "social", "text": "x"}
    ),
    (CA + "/results", "GET"): Case(lambda t: f"/api/v1/campaigns/{t.campaign}/results"),
    (EN, "GET"): Case(lambda t: f"/api/v1/enrolments/{t.enrolment}"),
    (EN + "/approve", "POST"): Case(lambda t: f"/api/v1/enrolments/{t.enrolment}/approve", dict),
    (EN + "/opt-out", "POST"): Case(lambda t: f"/api/v1/enrolments/{t.enrolment}/opt-out"),
    (EN + "/pause", "POST"): Case(lambda t: f"/api/v1/enrolments/{t.enrolment}/pause"),
    (EN + "/resume", "POST"): Case(lambda t: f"/api/v1/enrolments/{t.enrolment}/resume"),
    (FUND, "GET"): Case(lambda t: f"/api/v1/mdf/funds/{t.fund}"),
    (FUND + "/allocations", "GET"): Case(lambda t: f"/api/v1/mdf/funds/{t.fund}/allocations"),
    (FUND + "/allocations", "POST"): Case(
        lambda t: f"/api/v1/mdf/funds/{t.fund}/allocations",
        lambda: {"partner_id": 1, "amount": "1.00"},
        refusal=403,
        why=VENDOR_ONLY,
    ),
    (FUND + "/reallocations", "POST"): Case(
        lambda t: f"/api/v1/mdf/funds/{t.fund}/reallocations",
        lambda: {"from_partner_id": 1, "to_partner_id": 2, "amount": "1.00", "reason": "x"},
        refusal=403,
        why=VENDOR_ONLY,
    ),
    (MREQ, "GET"): Case(lambda t: f"/api/v1/mdf/requests/{t.mdf_request}"),
    (MREQ + "/resubmit", "POST"): Case(
        lambda t: f"/api/v1/mdf/requests/{t.mdf_request}/resubmit", lambda: {"description": "M"}
    ),
    **{
        (MREQ + f"/{verb}", "POST"): Case(
            lambda t, verb=verb: f"/api/v1/mdf/requests/{t.mdf_request}/{verb}",
            lambda: {"reason": "mine"},
            refusal=403,
            why=VENDOR_ONLY,
        )
        for verb in ("approve", "reject", "request-changes")
    },
    (CLAIM, "GET"): Case(lambda t: f"/api/v1/mdf/claims/{t.claim}"),
    (CLAIM + "/proofs", "POST"): Case(
        lambda t: f"/api/v1/mdf/claims/{t.claim}/proofs", data=lambda: png(10, 10)
    ),
    **{
        (CLAIM + f"/{verb}", "POST"): Case(
            lambda t, verb=verb: f"/api/v1/mdf/claims/{t.claim}/{verb}",
            lambda: {"reason": "mine"},
            refusal=403,
            why=VENDOR_ONLY,
        )
        for verb in ("approve", "reject", "request-info")
    },
    (CLAIM + "/pay", "POST"): Case(
        lambda t: f"/api/v1/mdf/claims/{t.claim}/pay",
        lambda: {"reference": "mine", "paid_on": "2026-01-01"},
        refusal=403,
        why=VENDOR_ONLY,
    ),
    ("/api/v1/mdf/proofs/<id:proof_id>", "GET"): Case(lambda t: f"/api/v1/mdf/proofs/{t.proof}"),
    ("/api/v1/deals/<id:deal_id>", "GET"): Case(lambda t: f"/api/v1/deals/{t.deal}"),
    ("/api/v1/deals/<id:deal_id>", "PATCH"): Case(
        lambda t: f"/api/v1/deals/{t.deal}", lambda: {"notes": "taken over"}
    ),
    **{
        (LD + f"/{action}", "POST"): Case(lambda t, a=action: f"/api/v1/leads/{t.lead}/{a}")
        for action in ("accept", "decline", "claim", "working")
    },
    (LD + "/convert", "POST"): Case(lambda t: f"/api/v1/leads/{t.lead}/convert", lambda: {}),
    (LD + "/lost", "POST"): Case(
        lambda t: f"/api/v1/leads/{t.lead}/lost", lambda: {"reason": "no budget"}
    ),
    # Routing rules are the vendor's: refused by role before any lookup.
    (RR, "PATCH"): Case(lambda t: f"/api/v1/lead-routing-rules/{t.proposal}", lambda: {}),
    (RR, "DELETE"): Case(lambda t: f"/api/v1/lead-routing-rules/{t.proposal}"),
    (P + "/dpa-signatures", "POST"): Case(
        lambda t: f"/api/v1/partners/{t.partner}/dpa-signatures", lambda: {"version_id": 1}
    ),
    (P + "/onboarding", "GET"): Case(lambda t: f"/api/v1/partners/{t.partner}/onboarding"),
    (APP_DECIDE, "POST"): Case(
        lambda t: f"/api/v1/applications/{t.proposal}/approve",
        lambda: {},
        why="a vendor-only page: it does not exist for partners, whatever the id",
    ),
    ("/api/v1/onboarding-rules/<id:rule_id>", "DELETE"): Case(
        lambda t: f"/api/v1/onboarding-rules/{t.proposal}",
        why="a vendor-only page: it does not exist for partners, whatever the id",
    ),
    ("/api/v1/users/<id:user_id>/invitation", "POST"): Case(
        lambda t: f"/api/v1/users/{t.user}/invitation"
    ),
    # The CRM's deal webhooks are the vendor's.
    ("/api/v1/webhooks/<id:webhook_id>", "DELETE"): Case(
        lambda t: f"/api/v1/webhooks/{t.proposal}",
        why="a vendor-only page: it does not exist for partners, whatever the id",
    ),
    ("/api/v1/webhooks/<id:webhook_id>/deliveries", "GET"): Case(
        lambda t: f"/api/v1/webhooks/{t.proposal}/deliveries",
        why="a vendor-only page: it does not exist for partners, whatever the id",
    ),
    ("/api/v1/scorecards/<id:partner_id>", "GET"): Case(
        lambda t: f"/api/v1/scorecards/{t.partner}"
    ),
}

# The other tenant named in the query string, on an object partner A may see.
QUERY_CASES: dict[str, Callable[[World, int], str]] = {
    "render for B": lambda w, p: f"/api/v1/assets/{w.a_asset}/render?format=pdf&partner_id={p}",
    "link for B": lambda w, p: f"/api/v1/assets/{w.a_asset}/link?partner_id={p}",
}

# Routes with an id whose objects belong to no partner: (rule, method) -> (why, the status a
# partner admin / partner user gets).
SHARED: dict[tuple[str, str], tuple[str, int]] = {
    ("/api/v1/tiers/<id:tier_id>", "GET"): (
        "the tier programme is shown to every partner (what the next tier unlocks)",
        200,
    ),
    ("/api/v1/tiers/<id:tier_id>", "PATCH"): ("tiers are vendor data; partners may not edit", 403),
    ("/api/v1/tiers/<id:tier_id>/requirements", "GET"): (
        "partners see what each tier asks for (their progress shows it too)",
        200,
    ),
    ("/api/v1/tiers/<id:tier_id>/requirements", "PUT"): (
        "tier requirements are vendor data; partners may not set them",
        403,
    ),
}

# Training is the vendor's programme too: every partner's people take the same courses. Walked
# in one test (both partner roles), not one per route: (rule, method) -> (why, status).
SHARED_PROGRAMME: dict[tuple[str, str], tuple[str, int]] = {
    ("/api/v1/courses/<id:course_id>", "GET"): ("courses are open to every partner", 200),
    ("/api/v1/courses/<id:course_id>", "PATCH"): ("courses are vendor data", 403),
    ("/api/v1/courses/<id:course_id>", "DELETE"): ("courses are vendor data", 403),
    ("/api/v1/paths/<id:path_id>", "PATCH"): ("paths are vendor data", 403),
    ("/api/v1/courses/<id:course_id>/file", "GET"): ("open to all; this course has no file", 404),
    ("/api/v1/courses/<id:course_id>/file", "PUT"): ("courses are vendor data", 403),
    ("/api/v1/courses/<id:course_id>/attempts", "POST"): ("anyone takes the quiz", 201),
    ("/api/v1/paths/<id:path_id>", "GET"): ("paths are open to every partner", 200),
    ("/api/v1/paths/<id:path_id>/enrolments", "POST"): ("anyone enrols themselves", 201),
}

# What partner B's own members get for the same requests: proof that each case is aimed at a
# working route (a 404 from a typo'd URL would otherwise pass).
OWNER_STATUS: dict[tuple[str, str], tuple[int, int]] = {  # (partner admin, partner user)
    # Unsigned: the owner's own token is no signature either.
    (CH + "/bounces", "POST"): (401, 401),
    (P, "GET"): (200, 200),
    (P, "PATCH"): (200, 403),
    (P + "/users", "GET"): (200, 403),
    # Every member sees the organisation's tier progress and history.
    (P + "/tier-progress", "GET"): (200, 200),
    (P + "/tier-history", "GET"): (200, 200),
    (P + "/change-requests", "GET"): (200, 403),
    (P + "/change-requests", "POST"): (201, 403),
    (DECIDE, "POST"): (403, 403),
    (P + "/users", "POST"): (201, 403),
    (P + "/brand-kit", "GET"): (200, 200),
    (P + "/brand-kit", "PATCH"): (200, 403),
    (LOGO, "GET"): (200, 200),
    (LOGO, "PUT"): (200, 403),
    (LOGO, "DELETE"): (200, 403),
    (AS, "GET"): (200, 200),
    (AS, "PATCH"): (403, 403),
    (AS + "/versions", "POST"): (403, 403),
    (AS + "/versions/<id:version_id>/zones", "PUT"): (403, 403),
    (AS + "/versions/<id:version_id>/pages/<id:page>", "GET"): (404, 404),  # the zone editor's
    (AS + "/publish", "POST"): (403, 403),
    (AS + "/unpublish", "POST"): (403, 403),
    (AS + "/thumbnail", "GET"): (200, 200),
    (AS + "/render", "GET"): (200, 200),
    (AS + "/link", "GET"): (200, 200),
    (AS + "/downloads", "GET"): (200, 200),
    (AS + "/batches", "POST"): (403, 403),
    ("/api/v1/jobs/<id:job_id>", "GET"): (404, 404),  # jobs are the vendor's
    ("/api/v1/jobs/<id:job_id>/download", "GET"): (404, 404),
    (IT, "GET"): (200, 200),
    (IT, "PATCH"): (403, 403),
    (IT, "DELETE"): (403, 403),
    (EM, "GET"): (200, 200),
    (EM, "PATCH"): (200, 403),
    (EM + "/stats", "GET"): (200, 200),
    (EM, "DELETE"): (204, 403),
    # Partner users see only leads assigned to them; B's lead is assigned to nobody.
    ("/api/v1/leads/<id:lead_id>", "GET"): (200, 404),
    ("/api/v1/leads/<id:lead_id>", "PATCH"): (200, 404),
    # Channels are the partner admins' (credentials): a partner user is refused by role.
    (CH, "GET"): (200, 403),
    (CH, "DELETE"): (204, 403),
    (CA, "GET"): (200, 200),
    (CA, "PATCH"): (403, 403),
    (CA + "/launch", "POST"): (403, 403),
    (CA + "/pause", "POST"): (403, 403),
    (CA + "/resume", "POST"): (403, 403),
    (CA + "/duplicate", "POST"): (403, 403),
    (CA + "/items", "GET"): (200, 200),
    (CA + "/items", "POST"): (403, 403),
    (CA + "/results", "GET"): (403, 403),
    (EN, "GET"): (200, 200),
    # In this order (the control walk keeps it): approve, then opt out; paused or resumed
    # only from approved or paused, so the admin gets 409s after opting out.
    (EN + "/approve", "POST"): (200, 403),
    (EN + "/opt-out", "POST"): (200, 403),
    (EN + "/pause", "POST"): (409, 403),
    (EN + "/resume", "POST"): (409, 403),
    # MDF is money: a partner's admins only; B's claim is submitted, so more proofs are a 409.
    (FUND, "GET"): (200, 403),
    (FUND + "/allocations", "GET"): (200, 403),
    (FUND + "/allocations", "POST"): (403, 403),
    (FUND + "/reallocations", "POST"): (403, 403),
    (MREQ, "GET"): (200, 403),
    (MREQ + "/resubmit", "POST"): (409, 403),
    (MREQ + "/approve", "POST"): (403, 403),
    (MREQ + "/reject", "POST"): (403, 403),
    (MREQ + "/request-changes", "POST"): (403, 403),
    (CLAIM, "GET"): (200, 403),
    (CLAIM + "/proofs", "POST"): (409, 403),
    (CLAIM + "/approve", "POST"): (403, 403),
    (CLAIM + "/reject", "POST"): (403, 403),
    (CLAIM + "/request-info", "POST"): (403, 403),
    (CLAIM + "/pay", "POST"): (403, 403),
    ("/api/v1/mdf/proofs/<id:proof_id>", "GET"): (200, 403),
    # Every member of the organisation registers and edits its deals.
    ("/api/v1/deals/<id:deal_id>", "GET"): (200, 200),
    ("/api/v1/deals/<id:deal_id>", "PATCH"): (200, 200),
    # B's website lead is B's own (accepted): an admin works it, then converts it (the cases
    # run in the order listed, so after that it is converted and cannot be lost); a member
    # it is not assigned to does not see it.
    (LD + "/accept", "POST"): (409, 404),
    (LD + "/decline", "POST"): (409, 404),
    (LD + "/claim", "POST"): (409, 404),
    (LD + "/working", "POST"): (200, 404),
    (LD + "/convert", "POST"): (200, 404),
    (LD + "/lost", "POST"): (409, 404),
    (RR, "PATCH"): (404, 404),
    (RR, "DELETE"): (404, 404),
    # No DPA is published in this world: nothing to sign (admin); only admins sign (user).
    (P + "/dpa-signatures", "POST"): (404, 403),
    (P + "/onboarding", "GET"): (200, 200),
    (APP_DECIDE, "POST"): (404, 404),
    ("/api/v1/onboarding-rules/<id:rule_id>", "DELETE"): (404, 404),
    ("/api/v1/webhooks/<id:webhook_id>", "DELETE"): (404, 404),
    # A new link for B's member, who never signed in: B's admins send it.
    ("/api/v1/users/<id:user_id>/invitation", "POST"): (201, 403),
    ("/api/v1/webhooks/<id:webhook_id>/deliveries", "GET"): (404, 404),
    # A partner's admins see its scorecard; its other people have no scorecard right.
    ("/api/v1/scorecards/<id:partner_id>", "GET"): (200, 403),
}

PARTNER_ROLES = [Role.PARTNER_ADMIN, Role.PARTNER_USER]


def _id_routes(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and rule.arguments:
            for method in rule.methods or ():
                if method not in ("HEAD", "OPTIONS"):
                    found.add((rule.rule, method))
    return found


def _send(api: Any, key: tuple[str, str], target: Target) -> Any:
    case = CASES[key]
    if case.data is not None:
        return api.request(key[1], case.url(target), data=case.data())
    return api.request(key[1], case.url(target), case.body())


def test_every_id_route_has_a_case(app: Flask) -> None:
    routes = _id_routes(app)
    assert routes, "no API route with a URL parameter found: the walk is broken"
    missing = sorted(routes - CASES.keys() - SHARED.keys() - SHARED_PROGRAMME.keys())
    assert not missing, f"API routes with no cross-tenant case in CASES (or SHARED): {missing}"
    stale = sorted((CASES.keys() | SHARED.keys() | SHARED_PROGRAMME.keys()) - routes)
    assert not stale, f"cases for routes that no longer exist: {stale}"
    assert not CASES.keys() & SHARED.keys()
    assert OWNER_STATUS.keys() == CASES.keys()


def test_the_walk_notices_a_route_without_a_case(app: Flask) -> None:
    app.add_url_rule(
        "/api/v1/widgets/<id:widget_id>", "widget", lambda widget_id: "", methods=["DELETE"]
    )
    missing = _id_routes(app) - CASES.keys() - SHARED.keys() - SHARED_PROGRAMME.keys()
    assert ("/api/v1/widgets/<id:widget_id>", "DELETE") in missing


@pytest.mark.parametrize("role", PARTNER_ROLES, ids=str)
def test_other_tenant_is_refused_and_nothing_changes(
    role: Role, world: World, api_as: Any, session: Session
) -> None:
    api = api_as(world.members["a", role])
    before = snapshot(session)
    wrong = []
    for key, case in sorted(CASES.items()):
        r = _send(api, key, world.b_ids)
        if r.status_code != case.refusal or not r.is_json:
            wrong.append((key, r.status_code, r.get_data()[:200]))
            continue
        codes = {404: "not_found", 403: "forbidden", 401: "invalid_credentials"}
        assert r.json["error"]["code"] == codes[case.refusal]
    for name, url in QUERY_CASES.items():
        r = api.get(url(world, world.b.id))
        if r.status_code != 404:
            wrong.append((name, r.status_code, r.get_data()[:200]))
    assert not wrong, f"cross-tenant requests not refused as expected: {wrong}"
    assert snapshot(session) == before


@pytest.mark.parametrize("role", PARTNER_ROLES, ids=str)
def test_other_tenant_and_missing_object_look_the_same(
    role: Role, world: World, api_as: Any
) -> None:
    api = api_as(world.members["a", role])
    differ = []
    for key in sorted(CASES):
        other, ghost = _send(api, key, world.b_ids), _send(api, key, world.ghost)
        if (other.status_code, other.get_data()) != (ghost.status_code, ghost.get_data()):
            differ.append((key, other.get_data()[:120], ghost.get_data()[:120]))
    for name, url in QUERY_CASES.items():
        other, ghost = api.get(url(world, world.b.id)), api.get(url(world, GHOST))
        if (other.status_code, other.get_data()) != (ghost.status_code, ghost.get_data()):
            differ.append((name, other.get_data()[:120], ghost.get_data()[:120]))
    assert not differ, f"the refusal tells an existing object from a missing one: {differ}"


@pytest.mark.parametrize("role", PARTNER_ROLES, ids=str)
def test_control_own_tenant_reaches_the_routes(role: Role, world: World, api_as: Any) -> None:
    api = api_as(world.members["b", role])
    wrong = []
    # Deletions last: the reads before them need the objects.
    for key in sorted(CASES, key=lambda k: k[1] == "DELETE"):
        expected = OWNER_STATUS[key][PARTNER_ROLES.index(role)]
        r = _send(api, key, world.b_ids)
        if r.status_code != expected:
            wrong.append((key, expected, r.status_code, r.get_data()[:200]))
    assert not wrong, wrong


@pytest.mark.parametrize("role", PARTNER_ROLES, ids=str)
@pytest.mark.parametrize("key", sorted(SHARED), ids=lambda k: f"{k[1]} {k[0]}")
def test_shared_objects_answer_partners_per_policy(
    key: tuple[str, str],
    role: Role,
    make_user: Callable[..., User],
    make_tier: Callable[..., Tier],
    api_as: Any,
    session: Session,
) -> None:
    rule, method = key
    _why, status = SHARED[key]
    api = api_as(make_user(role))
    url = rule.replace("<id:tier_id>", str(make_tier().id))
    body = {
        "PATCH": {"description": "changed by a partner"},
        "PUT": {"min_revenue": "1.00"},
    }.get(method)
    before = snapshot(session)
    r = api.request(method, url, body)
    assert r.status_code == status, r.json
    assert snapshot(session) == before


def test_the_training_programme_answers_partners_per_policy(
    make_user: Callable[..., User], api_as: Any, session: Session
) -> None:
    vendor = make_user(Role.VENDOR_ADMIN)
    course = training.create_course(session, vendor, {"title": "Shared course"})
    path = training.create_path(
        session, vendor, {"name": "Shared", "role": "sales", "course_ids": [course.id],
                          "code": "SHARED"},
    )  # fmt: skip
    session.commit()
    wrong = []
    for role in PARTNER_ROLES:
        api = api_as(make_user(role))
        for (rule, method), (_why, status) in SHARED_PROGRAMME.items():
            url = rule.replace("<id:course_id>", str(course.id)).replace(
                "<id:path_id>", str(path.id)
            )
            before = snapshot(session) if status >= 400 else None
            if method == "PUT":
                r = api.request(method, url, data=brochure(1))
            else:
                body = (
                    {"answers": []}
                    if rule.endswith("/attempts")
                    else {"name": "Mine"}
                    if rule.startswith("/api/v1/paths")
                    else {"title": "Mine"}
                )
                r = api.request(method, url, body if method != "GET" else None)
            if r.status_code != status:
                wrong.append((role, method, rule, r.status_code))
            if before is not None and snapshot(session) != before:
                wrong.append((role, method, rule, "changed rows"))
    assert not wrong, wrong


@pytest.mark.parametrize("role", PARTNER_ROLES, ids=str)
def test_partner_lists_show_only_own_tenant(
    role: Role, make_partner: Callable[..., Partner], make_user: Callable[..., User], api_as: Any
) -> None:
    a, b = make_partner(), make_partner()
    api = api_as(make_user(role, a))
    r = api.get("/api/v1/partners?per_page=200")
    assert r.status_code == 200
    assert [p["id"] for p in r.json["items"]] == [a.id]
    assert r.json["total"] == 1
    # Searching or filtering for the other tenant finds nothing, not even a count.
    for query in (f"q={b.name}", f"tier_id={b.tier_id}", "q=DE"):
        r = api.get(f"/api/v1/partners?{query}")
        assert b.id not in [p["id"] for p in r.json["items"]]
        assert r.json["total"] <= 1


def test_users_of_other_tenant_are_never_listed(
    make_partner: Callable[..., Partner], make_user: Callable[..., User], api_as: Any
) -> None:
    a = make_partner()
    admin, member = make_user(Role.PARTNER_ADMIN, a), make_user(Role.PARTNER_USER, a)
    make_user(Role.PARTNER_USER)  # of another partner
    r = api_as(admin).get(f"/api/v1/partners/{a.id}/users")
    assert r.status_code == 200
    assert {u["id"] for u in r.json["items"]} == {admin.id, member.id}


# --- Vendor roles: every partner is visible, with the rights each role carries ----------------

FOUNDATION = [(P, "GET"), (P, "PATCH"), (P + "/users", "GET"), (P + "/users", "POST")]
VENDOR_EXPECTED: dict[tuple[str, str], dict[Role, int]] = {
    (P, "GET"): {Role.VENDOR_ADMIN: 200, Role.CHANNEL_MANAGER: 200, Role.MARKETING_MANAGER: 200},
    (P, "PATCH"): {Role.VENDOR_ADMIN: 200, Role.CHANNEL_MANAGER: 200, Role.MARKETING_MANAGER: 403},
    (P + "/users", "GET"): {
        Role.VENDOR_ADMIN: 200,
        Role.CHANNEL_MANAGER: 200,
        Role.MARKETING_MANAGER: 200,
    },
    (P + "/users", "POST"): {
        Role.VENDOR_ADMIN: 201,
        Role.CHANNEL_MANAGER: 201,
        Role.MARKETING_MANAGER: 403,
    },
}


@pytest.mark.parametrize(
    "role", [Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.MARKETING_MANAGER], ids=str
)
def test_vendor_roles_reach_every_partner_per_role(
    role: Role,
    make_partner: Callable[..., Partner],
    make_user: Callable[..., User],
    api_as: Any,
    session: Session,
) -> None:
    target = Target(make_partner().id, GHOST, GHOST, GHOST)
    api = api_as(make_user(role))
    for key in FOUNDATION:
        before = snapshot(session)
        r = _send(api, key, target)
        expected = VENDOR_EXPECTED[key][role]
        assert r.status_code == expected, (key, r.json)
        if expected == 403:
            assert r.json["error"]["code"] == "forbidden"
            assert snapshot(session) == before
