"""One hostile-input case per write route: who sends it, where, and a valid body to spoil.

Used by tests/app/test_hostile_walker.py, which fails when a write route has no case here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prm_domain.models import Partner, Tier, User
from tests.conftest import PASSWORD
from tests.library_fixtures import NEWSLETTER, png


@dataclass
class World:
    vendor: User
    admin: User  # partner A's admin
    other: User  # a user of partner A, for the activation form
    member: User  # another user of partner A: changes its own password, so nobody else's ends
    partner: Partner
    tier: Tier
    asset: int
    version: int
    email_asset: int
    item: int
    embed: int
    embed_key: str
    lead_item: int
    lead: int  # a lead of partner A's embed
    proposal: int  # partner A's pending change request
    token: str = ""
    page_view: str = ""  # a page-view token of the embed, as its content answer gives one
    deal: int = 0  # partner A's deal registration


@dataclass(frozen=True)
class Case:
    """A write route with a valid body. ``kind`` says how the body travels:
    json (API), form (portal, CSRF token added), page (a portal page's script: JSON, the
    session cookie and the CSRF token in X-CSRF-Token), raw (an upload), public (the embed's
    JSON), none (no body)."""

    actor: str  # vendor | admin | member | public | anon
    url: Callable[[World], str]
    kind: str
    body: Callable[[World], dict[str, Any]] = lambda w: {}
    upload: Callable[[], bytes] | None = None  # the file of an upload route
    # A success ends the actor's sessions and tokens (a password change): the walker gives
    # the actor its password, a token and a session back, so every value meets a valid body.
    ends_sessions: bool = False


def _lead_body(w: World) -> dict[str, Any]:
    return {
        "form_id": w.lead_item,
        "fields": {"email": "lead@buyer.example", "name": "Lee"},
        "consent": True,
        "form_token": w.token,
        "page_url": "https://a.example/page",
    }


A = "/api/v1/assets/<id:asset_id>"
P = "/api/v1/partners/<id:partner_id>"
IT = "/api/v1/syndication/items/<id:item_id>"
EM = "/api/v1/embeds/<id:embed_id>"
LIB = "/library/<id:asset_id>"
SYN = "/syndication/v1/embeds/<key>"
PARTNER_FORM = {
    "name": "Walker Partner",
    "type": "reseller",
    "country": "DE",
    "region": "EMEA",
    "status": "active",
    "dpa_signed_on": "2024-02-29",
    "verticals": "Health",
    "business_model": "resale",
    "website_domains": "walker.example",
}
ITEM_FORM = {
    "title": "Walker",
    "fields": "email",
    "required": "email",
    "consent_text": "I agree.",
    "submit_label": "Send",
    "thank_you": "Thanks",
    "active": "1",
    "starts_at": "2026-01-01T10:00",
    "ends_at": "2027-01-01T10:00",
    "audience_regions": "EMEA",
}
# Differs from the partner in every field, also after the world's own proposal is approved.
PROPOSAL = {
    "name": "Walker Proposed",
    "type": "distributor",
    "region": "NA",
    "verticals": ["Retail"],
    "note": "We moved.",
}
DEAL = {
    "company": "Walker Freight GmbH",
    "contact_name": "Ada Berg",
    "contact_email": "ada@walker.example",
    "country": "DE",
    "products": ["Suite"],
    "estimated_value": "1500.00",
    "expected_close": "2027-02-28",
    "notes": "Forty seats",
}
TEXT_ZONES = [
    {"kind": "text", "box": [0.1, 0.1, 0.5, 0.1], "text": "Call {{ partner_name }}"},
    {"kind": "logo", "box": [0.1, 0.3, 0.2, 0.1]},
]
CASES: dict[tuple[str, str], Case] = {
    # -- API ------------------------------------------------------------------------------------
    ("/api/v1/tokens", "POST"): Case(
        "anon",
        lambda w: "/api/v1/tokens",
        "json",
        lambda w: {"email": w.admin.email, "password": PASSWORD},
    ),
    ("/api/v1/tokens/current", "DELETE"): Case("admin", lambda w: "/api/v1/tokens/current", "none"),
    ("/api/v1/me/password", "POST"): Case(
        "member",
        lambda w: "/api/v1/me/password",
        "json",
        lambda w: {"current_password": PASSWORD, "new_password": "another-long-password"},
        ends_sessions=True,
    ),
    ("/api/v1/tiers", "POST"): Case(
        "vendor",
        lambda w: "/api/v1/tiers",
        "json",
        lambda w: {
            "name": f"T {uuid.uuid4().hex[:6]}",
            "rank": 7,
            "mdf_share_percent": "1.50",
            "discount_percent": "2",
            "content_access": ["standard"],
        },
    ),
    ("/api/v1/tiers/<id:tier_id>", "PATCH"): Case(
        "vendor",
        lambda w: f"/api/v1/tiers/{w.tier.id}",
        "json",
        lambda w: {"description": "d", "rank": 8, "mdf_share_percent": "3"},
    ),
    ("/api/v1/partners", "POST"): Case(
        "vendor",
        lambda w: "/api/v1/partners",
        "json",
        lambda w: {
            "name": f"P {uuid.uuid4().hex[:6]}",
            "type": "reseller",
            "tier_id": w.tier.id,
            "country": "DE",
            "region": "EMEA",
            "verticals": ["Health"],
            "website_domains": ["p.example"],
            "dpa_signed_on": "2024-02-29",
        },
    ),
    (P, "PATCH"): Case(
        "vendor",
        lambda w: f"/api/v1/partners/{w.partner.id}",
        "json",
        lambda w: {"name": "Renamed", "country": "FR", "dpa_signed_on": "2024-01-01"},
    ),
    (P + "/change-requests", "POST"): Case(
        "admin",
        lambda w: f"/api/v1/partners/{w.partner.id}/change-requests",
        "json",
        lambda w: PROPOSAL,
    ),
    (
        "/api/v1/partner-change-requests/<id:request_id>/<any(approve, reject):decision>",
        "POST",
    ): Case(
        "vendor",
        lambda w: f"/api/v1/partner-change-requests/{w.proposal}/approve",
        "json",
        lambda w: {"note": "Agreed."},
    ),
    (P + "/users", "POST"): Case(
        "admin",
        lambda w: f"/api/v1/partners/{w.partner.id}/users",
        "json",
        lambda w: {
            "email": f"new-{uuid.uuid4().hex[:6]}@example.com",
            "password": "long-enough-password",
            "display_name": "New",
            "role": "partner_user",
        },
    ),
    (P + "/brand-kit", "PATCH"): Case(
        "admin",
        lambda w: f"/api/v1/partners/{w.partner.id}/brand-kit",
        "json",
        lambda w: {
            "primary_color": "#112233",
            "contact_name": "Jane",
            "contact_email": "jane@a.example",
            "contact_website": "https://a.example",
            "contact_phone": "+49 30 1",
        },
    ),
    (P + "/brand-kit/logos/<any(light, dark):variant>", "PUT"): Case(
        "admin",
        lambda w: f"/api/v1/partners/{w.partner.id}/brand-kit/logos/dark",
        "raw",
        upload=lambda: png(40, 20),
    ),
    (P + "/brand-kit/logos/<any(light, dark):variant>", "DELETE"): Case(
        "admin", lambda w: f"/api/v1/partners/{w.partner.id}/brand-kit/logos/dark", "none"
    ),
    ("/api/v1/assets", "POST"): Case(
        "vendor",
        lambda w: "/api/v1/assets",
        "json",
        lambda w: {
            "kind": "pdf",
            "name": "Walker",
            "landing_url": "https://nimbus.example/x",
            "tags": ["a"],
            "audience_tier_ids": [w.tier.id],
        },
    ),
    (A, "PATCH"): Case(
        "vendor",
        lambda w: f"/api/v1/assets/{w.asset}",
        "json",
        lambda w: {"name": "Renamed", "description": "d", "category": "c"},
    ),
    (A + "/versions", "POST"): Case(
        "vendor",
        lambda w: f"/api/v1/assets/{w.email_asset}/versions?filename=n.mjml",
        "raw",
        upload=lambda: NEWSLETTER.encode(),
    ),
    (A + "/versions/<id:version_id>/zones", "PUT"): Case(
        "vendor",
        lambda w: f"/api/v1/assets/{w.asset}/versions/{w.version}/zones",
        "json",
        lambda w: {"zones": [{"kind": "text", "box": [0.1, 0.1, 0.5, 0.1], "text": "x"}]},
    ),
    (A + "/publish", "POST"): Case(
        "vendor",
        lambda w: f"/api/v1/assets/{w.asset}/publish",
        "json",
        lambda w: {"version_id": w.version},
    ),
    (A + "/unpublish", "POST"): Case(
        "vendor", lambda w: f"/api/v1/assets/{w.asset}/unpublish", "none"
    ),
    (A + "/batches", "POST"): Case(
        "vendor",
        lambda w: f"/api/v1/assets/{w.asset}/batches",
        "json",
        lambda w: {"format": "pdf", "segment": {"tier_ids": [w.tier.id], "statuses": ["active"]}},
    ),
    ("/api/v1/syndication/items", "POST"): Case(
        "vendor",
        lambda w: "/api/v1/syndication/items",
        "json",
        lambda w: {
            "kind": "banner",
            "title": "B",
            "content": {"headline": "H", "cta_label": "Go", "cta_url": "https://x.example"},
            "starts_at": "2026-01-01T00:00:00+00:00",
            "ends_at": "2027-01-01T00:00:00+00:00",
        },
    ),
    (IT, "PATCH"): Case(
        "vendor",
        lambda w: f"/api/v1/syndication/items/{w.item}",
        "json",
        lambda w: {"title": "T", "starts_at": "2026-01-01T00:00:00Z", "ends_at": None},
    ),
    (IT, "DELETE"): Case("vendor", lambda w: f"/api/v1/syndication/items/{w.item}", "none"),
    ("/api/v1/embeds", "POST"): Case(
        "admin",
        lambda w: "/api/v1/embeds",
        "json",
        lambda w: {"kind": "lead_form", "allowed_domains": ["b.example"], "name": "E"},
    ),
    (EM, "PATCH"): Case(
        "admin",
        lambda w: f"/api/v1/embeds/{w.embed}",
        "json",
        lambda w: {
            "name": "E2",
            "allowed_domains": ["a.example"],
            "theme": {"primary_color": "#000000"},
        },
    ),
    (EM, "DELETE"): Case("admin", lambda w: f"/api/v1/embeds/{w.embed}", "none"),
    ("/api/v1/leads/<id:lead_id>", "PATCH"): Case(
        "admin",
        lambda w: f"/api/v1/leads/{w.lead}",
        "json",
        lambda w: {"assigned_user_id": w.other.id},
    ),
    ("/api/v1/accounts", "POST"): Case(
        "vendor",
        lambda w: "/api/v1/accounts",
        "json",
        lambda w: {
            "name": f"Walker Account {uuid.uuid4().hex[:8]}",
            "domain": "walker-account.example",
            "aliases": ["WA"],
            "owner": "Kim",
            "stage": "Customer",
            "opportunities": [{"name": "Fleet", "stage": "Proposal", "is_open": True}],
        },
    ),
    ("/api/v1/accounts/import", "POST"): Case(
        "vendor",
        lambda w: "/api/v1/accounts/import",
        "raw",
        upload=lambda: (
            "name,domain,aliases,owner,stage\n"
            f"Walker Import {uuid.uuid4().hex[:8]},wi.example,WI;W.I.,Kim,Customer\n"
        ).encode(),
    ),
    ("/api/v1/deals/check", "POST"): Case(
        "admin",
        lambda w: "/api/v1/deals/check",
        "json",
        lambda w: {"company": "Walker Freight GmbH", "contact_email": "ada@walker.example"},
    ),
    ("/api/v1/deals", "POST"): Case("admin", lambda w: "/api/v1/deals", "json", lambda w: DEAL),
    ("/api/v1/deals/<id:deal_id>", "PATCH"): Case(
        "vendor",
        lambda w: f"/api/v1/deals/{w.deal}",
        "json",
        lambda w: {"stage": "Proposal", "decision_reason": "CRM sync"},
    ),
    # -- portal ---------------------------------------------------------------------------------
    ("/deals/new", "POST"): Case(
        "admin",
        lambda w: "/deals/new",
        "form",
        lambda w: DEAL | {"products": "Suite, Analytics"},
    ),
    ("/deals/check", "POST"): Case(
        "admin",
        lambda w: "/deals/check",
        "page",
        lambda w: {"company": "Walker Freight", "contact_email": "ada@walker.example"},
    ),
    ("/deals/<id:deal_id>", "POST"): Case(
        "vendor",
        lambda w: f"/deals/{w.deal}",
        "form",
        lambda w: {"action": "reject", "reason": "Direct customer"},
    ),
    ("/accounts", "POST"): Case(
        "vendor",
        lambda w: "/accounts",
        "form",
        upload=lambda: (
            "name,domain,aliases,owner,stage\n"
            f"Walker Portal {uuid.uuid4().hex[:8]},wp.example,WP,Kim,Customer\n"
        ).encode(),
    ),
    ("/sign-in", "POST"): Case(
        "anon",
        lambda w: "/sign-in",
        "form",
        lambda w: {"email": w.admin.email, "password": "x" * 10, "next": "/"},
    ),
    ("/sign-out", "POST"): Case("admin", lambda w: "/sign-out", "form"),
    ("/visits", "POST"): Case("admin", lambda w: "/visits", "form"),
    ("/account/password", "POST"): Case(
        "member",
        lambda w: "/account/password",
        "form",
        lambda w: {"current_password": PASSWORD, "new_password": "another-long-password"},
        ends_sessions=True,
    ),
    ("/tiers", "POST"): Case(
        "vendor",
        lambda w: "/tiers",
        "form",
        lambda w: {
            "name": "F",
            "rank": "9",
            "mdf_share_percent": "1",
            "discount_percent": "2",
            "content_access": "standard",
            "description": "",
        },
    ),
    ("/partners/new", "POST"): Case(
        "vendor",
        lambda w: "/partners/new",
        "form",
        lambda w: PARTNER_FORM | {"tier_id": str(w.tier.id)},
    ),
    ("/partners/<id:partner_id>/edit", "POST"): Case(
        "vendor",
        lambda w: f"/partners/{w.partner.id}/edit",
        "form",
        lambda w: PARTNER_FORM | {"tier_id": str(w.tier.id), "name": w.partner.name},
    ),
    ("/partners/<id:partner_id>/change-requests", "POST"): Case(
        "admin",
        lambda w: f"/partners/{w.partner.id}/change-requests",
        "form",
        lambda w: PROPOSAL | {"verticals": "Retail", "clear_verticals": "0"},
    ),
    ("/partner-change-requests/<id:request_id>/decide", "POST"): Case(
        "vendor",
        lambda w: f"/partner-change-requests/{w.proposal}/decide",
        "form",
        lambda w: {"decision": "approve", "note": "Agreed."},
    ),
    ("/partners/<id:partner_id>/users", "POST"): Case(
        "admin",
        lambda w: f"/partners/{w.partner.id}/users",
        "form",
        lambda w: {
            "email": f"f-{uuid.uuid4().hex[:6]}@example.com",
            "password": "long-enough-pw",
            "display_name": "F",
            "role": "partner_user",
        },
    ),
    ("/users/<id:user_id>/active", "POST"): Case(
        "admin", lambda w: f"/users/{w.other.id}/active", "form", lambda w: {"active": "1"}
    ),
    ("/partners/<id:partner_id>/brand-kit", "POST"): Case(
        "admin",
        lambda w: f"/partners/{w.partner.id}/brand-kit",
        "form",
        lambda w: {
            "primary_color": "#112233",
            "contact_name": "Jane",
            "contact_email": "j@a.example",
            "contact_website": "a.example",
            "contact_phone": "+1",
            "contact_title": "",
            "contact_address": "",
        },
    ),
    ("/partners/<id:partner_id>/brand-kit/logos/<any(light, dark):variant>", "POST"): Case(
        "admin",
        lambda w: f"/partners/{w.partner.id}/brand-kit/logos/dark",
        "form",
        lambda w: {"remove": "0"},
        upload=lambda: png(40, 20),
    ),
    ("/library/new", "POST"): Case(
        "vendor",
        lambda w: "/library/new",
        "form",
        lambda w: {
            "kind": "pdf",
            "name": "N",
            "description": "",
            "category": "",
            "tags": "a",
            "landing_url": "https://x.example",
            "audience_tier_ids": str(w.tier.id),
            "audience_regions": "EMEA",
        },
    ),
    (LIB, "POST"): Case(
        "vendor",
        lambda w: f"/library/{w.asset}",
        "form",
        lambda w: {
            "name": "N",
            "description": "",
            "category": "",
            "tags": "",
            "landing_url": "https://x.example",
            "audience_tier_ids": str(w.tier.id),
        },
    ),
    (LIB + "/versions", "POST"): Case(
        "vendor",
        lambda w: f"/library/{w.email_asset}/versions",
        "form",
        upload=lambda: NEWSLETTER.encode(),
    ),
    (LIB + "/versions/<id:version_id>/zones", "POST"): Case(
        "vendor",
        lambda w: f"/library/{w.asset}/versions/{w.version}/zones",
        "page",
        lambda w: {"zones": [{"kind": "logo", "box": [0.1, 0.1, 0.2, 0.1]}]},
    ),
    (LIB + "/versions/<id:version_id>/zones/fit", "POST"): Case(
        "vendor",
        lambda w: f"/library/{w.asset}/versions/{w.version}/zones/fit",
        "page",
        lambda w: {"zones": TEXT_ZONES, "partner_id": w.partner.id},
    ),
    (LIB + "/versions/<id:version_id>/zones/preview", "POST"): Case(
        "vendor",
        lambda w: f"/library/{w.asset}/versions/{w.version}/zones/preview",
        "page",
        lambda w: {"zones": TEXT_ZONES, "partner_id": w.partner.id, "page": 1},
    ),
    (LIB + "/partner-footer", "POST"): Case(
        "vendor", lambda w: f"/library/{w.email_asset}/partner-footer", "form"
    ),
    (LIB + "/publish", "POST"): Case(
        "vendor",
        lambda w: f"/library/{w.asset}/publish",
        "form",
        lambda w: {"version_id": str(w.version)},
    ),
    (LIB + "/unpublish", "POST"): Case("vendor", lambda w: f"/library/{w.asset}/unpublish", "form"),
    (LIB + "/batches", "POST"): Case(
        "vendor",
        lambda w: f"/library/{w.asset}/batches",
        "form",
        lambda w: {
            "format": "pdf",
            "tier_ids": str(w.tier.id),
            "regions": "EMEA",
            "statuses": "active",
        },
    ),
    ("/syndicated-items/new", "POST"): Case(
        "vendor",
        lambda w: "/syndicated-items/new?kind=lead_form",
        "form",
        lambda w: dict(ITEM_FORM),
    ),
    ("/syndicated-items/<id:item_id>/edit", "POST"): Case(
        "vendor",
        lambda w: f"/syndicated-items/{w.lead_item}/edit",
        "form",
        lambda w: dict(ITEM_FORM),
    ),
    ("/syndicated-items/<id:item_id>/delete", "POST"): Case(
        "vendor", lambda w: f"/syndicated-items/{w.item}/delete", "form"
    ),
    ("/embeds/new", "POST"): Case(
        "admin",
        lambda w: "/embeds/new",
        "form",
        lambda w: {
            "name": "E",
            "kind": "lead_form",
            "items_mode": "all",
            "allowed_domains": "c.example",
            "primary_color": "#000000",
        },
    ),
    ("/embeds/<id:embed_id>/edit", "POST"): Case(
        "admin",
        lambda w: f"/embeds/{w.embed}/edit",
        "form",
        lambda w: {
            "name": "E",
            "kind": "lead_form",
            "items_mode": "some",
            "item_ids": str(w.lead_item),
            "allowed_domains": "a.example",
            "primary_color": "#000000",
        },
    ),
    ("/embeds/<id:embed_id>/enabled", "POST"): Case(
        "admin", lambda w: f"/embeds/{w.embed}/enabled", "form", lambda w: {"enabled": "1"}
    ),
    ("/embeds/<id:embed_id>/delete", "POST"): Case(
        "admin", lambda w: f"/embeds/{w.embed}/delete", "form"
    ),
    ("/leads/<id:lead_id>/assign", "POST"): Case(
        "admin",
        lambda w: f"/leads/{w.lead}/assign",
        "form",
        lambda w: {"assigned_user_id": str(w.other.id)},
    ),
    ("/notifications/read", "POST"): Case(
        "admin", lambda w: "/notifications/read", "form", lambda w: {"next": "/"}
    ),
    # -- public syndication endpoints -----------------------------------------------------------
    (SYN + "/leads", "POST"): Case(
        "public", lambda w: f"/syndication/v1/embeds/{w.embed_key}/leads", "public", _lead_body
    ),
    (SYN + "/events", "POST"): Case(
        "public",
        lambda w: f"/syndication/v1/embeds/{w.embed_key}/events",
        "public",
        lambda w: {
            "page_view": w.page_view,
            "events": [{"type": "impression", "item_id": w.lead_item}],
        },
    ),
}
