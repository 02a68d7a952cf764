"""One hostile-input case per write route: who sends it, where, and a valid body to spoil.

Used by tests/app/test_hostile_walker.py, which fails when a write route has no case here.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prm_domain.models import Partner, Tier, User
from tests.conftest import PASSWORD
from tests.library_fixtures import NEWSLETTER, brochure, png


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
    channel: int  # partner A's X channel
    token: str = ""
    page_view: str = ""  # a page-view token of the embed, as its content answer gives one
    campaign: int = 0  # a launched campaign partner A is invited to
    campaign_item: int = 0  # its social post (editable text)
    enrolment: int = 0  # partner A's invitation
    contact_token: str = ""  # the unsubscribe token of one of partner A's contacts
    # MDF: a fund partner A holds money in, another partner there, an approved request (an
    # "other" activity: one image proves it), a submitted one, and a submitted claim.
    mdf_fund: int = 0
    mdf_other_partner: int = 0
    mdf_request: int = 0
    mdf_submitted: int = 0
    mdf_claim: int = 0
    deal: int = 0  # partner A's deal registration
    rule: int = 0  # a lead routing rule
    course: int = 0  # a course with a one-question quiz
    path: int = 0
    application: int = 0  # a pending partner application
    onboarding_rule: int = 0  # an onboarding rule (`rule` is the lead routing rule)
    spare_course: int = 0  # a course in no path, nobody took: deletable
    webhook: int = 0  # a deal webhook of the vendor's CRM
    invitation: str = ""  # a one-time link of a new vendor user


@dataclass(frozen=True)
class Case:
    """A write route with a valid body. ``kind`` says how the body travels:
    json (API), form (portal, CSRF token added), page (a portal page's script: JSON, the
    session cookie and the CSRF token in X-CSRF-Token), raw (an upload), public (the embed's
    JSON), multipart (API: form fields and ``upload`` as ``file_field``, with the token),
    none (no body)."""

    actor: str  # vendor | admin | member | public | anon
    url: Callable[[World], str]
    kind: str
    body: Callable[[World], dict[str, Any]] = lambda w: {}
    upload: Callable[[], bytes] | None = None  # the file of an upload route
    file_field: str | None = None  # the multipart field of the upload (default: file / logo)
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
LD = "/api/v1/leads/<id:lead_id>"
RR = "/api/v1/lead-routing-rules/<id:rule_id>"
VENDOR_LEAD = {
    "email": "vendor-lead@buyer.example",
    "name": "Vera",
    "company": "Buyer GmbH",
    "phone": "+49 30 2",
    "country": "DE",
    "region": "EMEA",
    "vertical": "Health",
    "message": "Please call.",
}
LEAD_CSV = b"email,name,country,region\nimport@buyer.example,Ines,DE,EMEA\n"
RULE = {
    "name": "Walker rule",
    "position": 3,
    "active": True,
    "countries": ["DE"],
    "regions": ["EMEA"],
    "partner_types": ["msp"],
    "verticals": ["Health"],
    "required_certifications": ["SEC-1"],
    "tier_ids": [],
    "capacity": 5,
}
P = "/api/v1/partners/<id:partner_id>"
IT = "/api/v1/syndication/items/<id:item_id>"
EM = "/api/v1/embeds/<id:embed_id>"
LIB = "/library/<id:asset_id>"
CA = "/api/v1/campaigns/<id:campaign_id>"
EN = "/api/v1/enrolments/<id:enrolment_id>"
SYN = "/syndication/v1/embeds/<key>"
MF = "/api/v1/mdf/funds/<id:fund_id>"
MR = "/api/v1/mdf/requests/<id:request_id>"
MC = "/api/v1/mdf/claims/<id:claim_id>"
MDF_DAY = dt.date.today()
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
    ("/api/v1/tiers/<id:tier_id>/requirements", "PUT"): Case(
        "vendor",
        lambda w: f"/api/v1/tiers/{w.tier.id}/requirements",
        "json",
        lambda w: {
            "min_revenue": "40000.00",
            "min_deals_won": 2,
            "min_certified": {"sales": 2, "technical": 1},
            "grace_days": 30,
        },
    ),
    ("/api/v1/tiers/evaluate", "POST"): Case("vendor", lambda w: "/api/v1/tiers/evaluate", "none"),
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
    ("/api/v1/channels", "POST"): Case(
        "admin",
        lambda w: "/api/v1/channels",
        "json",
        lambda w: {
            "kind": "webhook",
            "url": "https://hooks.partner.example/cobrand",
            "secret": "a-long-webhook-secret",
            "name": "CRM hook",  # optional, spoiled too
        },
    ),
    ("/api/v1/channels/<id:channel_id>", "DELETE"): Case(
        "admin", lambda w: f"/api/v1/channels/{w.channel}", "none"
    ),
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
    ("/api/v1/leads", "POST"): Case(
        "vendor", lambda w: "/api/v1/leads", "json", lambda w: VENDOR_LEAD
    ),
    ("/api/v1/leads/import", "POST"): Case(
        "vendor",
        lambda w: "/api/v1/leads/import",
        "raw",
        upload=lambda: LEAD_CSV,
    ),
    **{
        (LD + f"/{action}", "POST"): Case(
            "admin", lambda w, a=action: f"/api/v1/leads/{w.lead}/{a}", "none"
        )
        for action in ("accept", "decline", "claim", "working")
    },
    (LD + "/convert", "POST"): Case(
        "admin", lambda w: f"/api/v1/leads/{w.lead}/convert", "json", lambda w: {"deal_id": 12}
    ),
    (LD + "/lost", "POST"): Case(
        "admin", lambda w: f"/api/v1/leads/{w.lead}/lost", "json", lambda w: {"reason": "No budget"}
    ),
    ("/api/v1/lead-routing-rules", "POST"): Case(
        "vendor", lambda w: "/api/v1/lead-routing-rules", "json", lambda w: dict(RULE)
    ),
    (RR, "PATCH"): Case(
        "vendor", lambda w: f"/api/v1/lead-routing-rules/{w.rule}", "json", lambda w: dict(RULE)
    ),
    (RR, "DELETE"): Case("vendor", lambda w: f"/api/v1/lead-routing-rules/{w.rule}", "none"),
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
    ("/channels/connect/<any(linkedin, x):kind>", "POST"): Case(
        "admin", lambda w: "/channels/connect/x", "form", lambda w: {"channel_id": str(w.channel)}
    ),
    ("/channels/<id:channel_id>/delete", "POST"): Case(
        "admin", lambda w: f"/channels/{w.channel}/delete", "form"
    ),
    ("/channels/add/<any(smtp, webhook):service>", "POST"): Case(
        "admin",
        lambda w: "/channels/add/smtp",
        "form",
        lambda w: {
            "host": "smtp.walker.example",
            "port": "587",
            "security": "starttls",
            "from": "news@walker.example",
            "name": "Newsletter",  # optional, spoiled too
            "bounce_secret": "a-long-bounce-secret",
        },
    ),
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
    ("/tier-programme/<id:tier_id>", "POST"): Case(
        "vendor",
        lambda w: f"/tier-programme/{w.tier.id}",
        "form",
        lambda w: {
            "min_revenue": "40000.00",
            "min_deals_won": "2",
            "certified_sales": "2",
            "certified_technical": "1",
            "grace_days": "30",
        },
    ),
    ("/tier-programme/evaluate", "POST"): Case(
        "vendor", lambda w: "/tier-programme/evaluate", "form"
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
    ("/leads/<id:lead_id>/move", "POST"): Case(
        "admin",
        lambda w: f"/leads/{w.lead}/move",
        "form",
        lambda w: {"action": "lost", "reason": "No budget", "deal_id": "12"},
    ),
    ("/leads/import", "POST"): Case(
        "vendor", lambda w: "/leads/import", "form", upload=lambda: LEAD_CSV
    ),
    ("/lead-routing", "POST"): Case(
        "vendor",
        lambda w: "/lead-routing",
        "form",
        lambda w: {
            "name": "Walker rule",
            "position": "3",
            "countries": "DE, FR",
            "regions": "EMEA",
            "partner_types": "msp",
            "tier_ids": str(w.tier.id),
            "verticals": "Health",
            "required_certifications": "SEC-1",
            "capacity": "5",
            "active": "on",
        },
    ),
    ("/lead-routing/<id:rule_id>/delete", "POST"): Case(
        "vendor", lambda w: f"/lead-routing/{w.rule}/delete", "form"
    ),
    ("/notifications/read", "POST"): Case(
        "admin", lambda w: "/notifications/read", "form", lambda w: {"next": "/"}
    ),
    # -- campaigns (API, then portal, then the public unsubscribe link) ---------------------------
    ("/api/v1/campaigns", "POST"): Case(
        "vendor",
        lambda w: "/api/v1/campaigns",
        "json",
        lambda w: {
            "name": "Walk campaign",
            "audience_regions": ["EMEA"],
            "starts_on": "2027-01-01",
            "mdf_fund_id": 5,
        },
    ),
    (CA, "PATCH"): Case(
        "vendor",
        lambda w: f"/api/v1/campaigns/{w.campaign}",
        "json",
        lambda w: {"name": "Renamed", "starts_on": "2027-02-01"},
    ),
    **{
        (CA + f"/{action}", "POST"): Case(
            "vendor", lambda w, action=action: f"/api/v1/campaigns/{w.campaign}/{action}", "none"
        )
        for action in ("launch", "pause", "resume", "duplicate")
    },
    (CA + "/items", "POST"): Case(
        "vendor",
        lambda w: f"/api/v1/campaigns/{w.campaign}/items",
        "json",
        lambda w: {
            "kind": "social",
            "text": "Hi from {{ partner.name }}: {{ link }}",
            "max_length": 200,
            "day": 1,
            "time": "10:00",
        },
    ),
    (EN + "/approve", "POST"): Case(
        "admin",
        lambda w: f"/api/v1/enrolments/{w.enrolment}/approve",
        "json",
        lambda w: {
            "item_ids": [w.campaign_item],
            "edits": {str(w.campaign_item): {"text": "Mine"}},
        },
    ),
    **{
        (EN + f"/{step}", "POST"): Case(
            "admin", lambda w, step=step: f"/api/v1/enrolments/{w.enrolment}/{step}", "none"
        )
        for step in ("opt-out", "pause", "resume")
    },
    ("/api/v1/contacts", "POST"): Case(
        "admin",
        lambda w: "/api/v1/contacts",
        "json",
        lambda w: {"email": "walk@example.com", "consent_source": "fair 2026"},
    ),
    # Unsigned, so every spoilt body meets the signature check first (401, never a 500); the
    # signed hostile bodies are in tests/app/test_api_channels.py.
    ("/api/v1/channels/<id:channel_id>/bounces", "POST"): Case(
        "anon",
        lambda w: f"/api/v1/channels/{w.channel}/bounces",
        "raw",
        upload=lambda: b'{"bounces": [{"email": "walk@example.com", "type": "hard"}]}',
    ),
    ("/api/v1/contacts/import", "POST"): Case(
        "admin",
        lambda w: "/api/v1/contacts/import?consent_source=fair",
        "raw",
        upload=lambda: b"email,name\nwalk2@example.com,Walk\n",
    ),
    ("/campaigns", "POST"): Case(
        "vendor",
        lambda w: "/campaigns",
        "form",
        lambda w: {"name": "Walk portal campaign", "starts_on": "2027-01-01", "mdf_fund_id": "5"},
    ),
    ("/campaigns/<id:campaign_id>/edit", "POST"): Case(
        "vendor",
        lambda w: f"/campaigns/{w.campaign}/edit",
        "form",
        lambda w: {"name": "Renamed", "mdf_fund_id": "7"},
    ),
    ("/campaigns/<id:campaign_id>/items", "POST"): Case(
        "vendor",
        lambda w: f"/campaigns/{w.campaign}/items",
        "form",
        lambda w: {"kind": "email", "subject": "News", "text": "Hello", "day": "2", "at": ""},
    ),
    ("/campaigns/<id:campaign_id>/<any(launch, pause, resume, duplicate):action>", "POST"): Case(
        "vendor", lambda w: f"/campaigns/{w.campaign}/pause", "form"
    ),
    ("/enrolments/<id:enrolment_id>/approve", "POST"): Case(
        "admin",
        lambda w: f"/enrolments/{w.enrolment}/approve",
        "form",
        lambda w: {"scope": "some", f"edit-{w.campaign_item}-text": "Mine", "channel_ids": "1"},
    ),
    ("/enrolments/<id:enrolment_id>/<any('opt-out', pause, resume):step>", "POST"): Case(
        "admin", lambda w: f"/enrolments/{w.enrolment}/pause", "form"
    ),
    ("/contacts", "POST"): Case(
        "admin",
        lambda w: "/contacts",
        "form",
        lambda w: {"email": "walk3@example.com", "consent_source": "fair"},
    ),
    ("/contacts/import", "POST"): Case(
        "admin",
        lambda w: "/contacts/import",
        "form",
        lambda w: {"consent_source": "fair"},
        upload=lambda: b"email,name\nwalk4@example.com,W\n",
    ),
    ("/unsubscribe/<token>", "POST"): Case(
        "anon",
        lambda w: f"/unsubscribe/{w.contact_token}",
        "form",
        lambda w: {"List-Unsubscribe": "One-Click"},
    ),
    # -- MDF ------------------------------------------------------------------------------------
    ("/api/v1/mdf/funds", "POST"): Case(
        "vendor",
        lambda w: "/api/v1/mdf/funds",
        "json",
        lambda w: {
            "name": "Walk fund",
            "currency": "EUR",
            "budget": "1000.00",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "claim_days": 60,
            "expires_on": "2027-03-01",
            "second_approval_above": "500.00",
            "tier_amounts": {"Gold": "10.00"},
        },
    ),
    (MF + "/allocations", "POST"): Case(
        "vendor",
        lambda w: f"/api/v1/mdf/funds/{w.mdf_fund}/allocations",
        "json",
        lambda w: {"partner_id": w.partner.id, "rule": "fixed", "amount": "1.00", "reason": "w"},
    ),
    (MF + "/reallocations", "POST"): Case(
        "vendor",
        lambda w: f"/api/v1/mdf/funds/{w.mdf_fund}/reallocations",
        "json",
        lambda w: {
            "from_partner_id": w.partner.id,
            "to_partner_id": w.mdf_other_partner,
            "amount": "1.00",
            "reason": "walk",
        },
    ),
    ("/api/v1/mdf/requests", "POST"): Case(
        "admin",
        lambda w: "/api/v1/mdf/requests",
        "json",
        lambda w: {
            "fund_id": w.mdf_fund,
            "activity_type": "webinar",
            "description": "Walk webinar",
            "starts_on": str(MDF_DAY),
            "ends_on": str(MDF_DAY),
            "total_cost": "20.00",
            "requested_amount": "10.00",
            "expected_leads": 5,
            "expected_pipeline": "100.00",
            "campaign_id": 7,
        },
    ),
    (MR + "/resubmit", "POST"): Case(
        "admin",
        lambda w: f"/api/v1/mdf/requests/{w.mdf_submitted}/resubmit",
        "json",
        lambda w: {"description": "Changed", "requested_amount": "5.00"},
    ),
    (MR + "/approve", "POST"): Case(
        "vendor",
        lambda w: f"/api/v1/mdf/requests/{w.mdf_submitted}/approve",
        "json",
        lambda w: {"amount": "1.00", "reason": "walk"},
    ),
    **{
        (MR + f"/{verb}", "POST"): Case(
            "vendor",
            lambda w, verb=verb: f"/api/v1/mdf/requests/{w.mdf_submitted}/{verb}",
            "json",
            lambda w: {"reason": "walk"},
        )
        for verb in ("reject", "request-changes")
    },
    ("/api/v1/mdf/claims", "POST"): Case(
        "admin",
        lambda w: "/api/v1/mdf/claims",
        "multipart",
        lambda w: {
            "request_id": str(w.mdf_request),
            "amount": "1.00",
            "actual_cost": "2.00",
            "results": "done",
            "leads_reported": "3",
        },
        upload=lambda: png(8, 8),
        file_field="proof",
    ),
    (MC + "/proofs", "POST"): Case(
        "admin",
        lambda w: f"/api/v1/mdf/claims/{w.mdf_claim}/proofs",
        "multipart",
        lambda w: {"note": "more"},
        upload=lambda: png(8, 8),
        file_field="proof",
    ),
    (MC + "/approve", "POST"): Case(
        "vendor",
        lambda w: f"/api/v1/mdf/claims/{w.mdf_claim}/approve",
        "json",
        lambda w: {"amount": "1.00", "reason": "walk"},
    ),
    **{
        (MC + f"/{verb}", "POST"): Case(
            "vendor",
            lambda w, verb=verb: f"/api/v1/mdf/claims/{w.mdf_claim}/{verb}",
            "json",
            lambda w: {"reason": "walk"},
        )
        for verb in ("reject", "request-info")
    },
    (MC + "/pay", "POST"): Case(
        "vendor",
        lambda w: f"/api/v1/mdf/claims/{w.mdf_claim}/pay",
        "json",
        lambda w: {"reference": "SEPA-1", "paid_on": "2026-06-01"},
    ),
    ("/mdf/requests", "POST"): Case(
        "admin",
        lambda w: "/mdf/requests",
        "form",
        lambda w: {
            "fund_id": str(w.mdf_fund),
            "activity_type": "webinar",
            "description": "Walk webinar",
            "starts_on": str(MDF_DAY),
            "ends_on": str(MDF_DAY),
            "total_cost": "20.00",
            "requested_amount": "10.00",
            "expected_leads": "5",
            "campaign_id": "7",
        },
    ),
    ("/mdf/requests/<id:request_id>/decision", "POST"): Case(
        "vendor",
        lambda w: f"/mdf/requests/{w.mdf_submitted}/decision",
        "form",
        lambda w: {"decision": "approve", "amount": "1.00", "reason": "walk"},
    ),
    ("/mdf/requests/<id:request_id>/claims", "POST"): Case(
        "admin",
        lambda w: f"/mdf/requests/{w.mdf_request}/claims",
        "form",
        lambda w: {"amount": "1.00", "actual_cost": "2.00", "results": "ok", "leads_reported": "2"},
        upload=lambda: png(8, 8),
        file_field="proof",
    ),
    ("/mdf/claims/<id:claim_id>/decision", "POST"): Case(
        "vendor",
        lambda w: f"/mdf/claims/{w.mdf_claim}/decision",
        "form",
        lambda w: {"decision": "pay", "reference": "R-1", "paid_on": "2026-06-01", "reason": "w"},
    ),
    ("/mdf/requests/<id:request_id>/resubmit", "POST"): Case(
        "admin",
        lambda w: f"/mdf/requests/{w.mdf_submitted}/resubmit",
        "form",
        lambda w: {
            "activity_type": "webinar",
            "description": "Walk webinar, changed",
            "starts_on": str(MDF_DAY),
            "ends_on": str(MDF_DAY),
            "total_cost": "20.00",
            "requested_amount": "10.00",
            "expected_leads": "5",
            "expected_pipeline": "100.00",
            "campaign_id": "7",
        },
    ),
    ("/mdf/claims/<id:claim_id>/answer", "POST"): Case(
        "admin",
        lambda w: f"/mdf/claims/{w.mdf_claim}/answer",
        "form",
        lambda w: {"note": "The invoice is attached."},
        upload=lambda: png(8, 8),
        file_field="proof",
    ),
    # -- training and onboarding ----------------------------------------------------------------
    ("/training/courses/<id:course_id>/quiz", "POST"): Case(
        "admin", lambda w: f"/training/courses/{w.course}/quiz", "form", lambda w: {"q0": "1"}
    ),
    ("/training/paths/<id:path_id>/enrol", "POST"): Case(
        "member", lambda w: f"/training/paths/{w.path}/enrol", "form"
    ),
    ("/training/manage/courses", "POST"): Case(
        "vendor",
        lambda w: "/training/manage/courses",
        "form",
        lambda w: {
            "title": f"Course {uuid.uuid4().hex[:6]}",
            "url": "https://learn.example/c",
            "pass_percent": "80",
            "points": "5",
            "questions": "Q?\n*yes\nno",
        },
    ),
    ("/training/manage/paths", "POST"): Case(
        "vendor",
        lambda w: "/training/manage/paths",
        "form",
        lambda w: {
            "name": f"Path {uuid.uuid4().hex[:6]}",
            "role": "sales",
            "code": f"C-{uuid.uuid4().hex[:6]}",
            "validity_days": "365",
            "course_ids": str(w.course),
        },
    ),
    ("/dpa", "POST"): Case("admin", lambda w: "/dpa", "form", lambda w: {"version_id": "1"}),
    ("/apply", "POST"): Case(
        "anon",
        lambda w: "/apply",
        "form",
        lambda w: {
            "company": "Applicant Ltd",
            "contact_name": "Ann",
            "contact_email": "ann@applicant.example",
            "country": "DE",
            "region": "EMEA",
            "type": "reseller",
            "verticals": "retail",
        },
    ),
    ("/applications/<id:application_id>/decide", "POST"): Case(
        "vendor",
        lambda w: f"/applications/{w.application}/decide",
        "form",
        lambda w: {"decision": "reject", "note": "Not now"},
    ),
    ("/onboarding-rules", "POST"): Case(
        "vendor",
        lambda w: "/onboarding-rules",
        "form",
        lambda w: {"name": "R", "priority": "5", "vertical": "retail", "path_ids": str(w.path)},
    ),
    ("/onboarding-rules/<id:rule_id>/delete", "POST"): Case(
        "vendor", lambda w: f"/onboarding-rules/{w.onboarding_rule}/delete", "form"
    ),
    ("/api/v1/courses", "POST"): Case(
        "vendor",
        lambda w: "/api/v1/courses",
        "json",
        lambda w: {
            "title": f"API course {uuid.uuid4().hex[:6]}",
            "url": "https://learn.example/a",
            "questions": [{"text": "Q", "choices": ["a", "b"], "answer": 0}],
            "pass_percent": 50,
        },
    ),
    ("/api/v1/courses/<id:course_id>", "PATCH"): Case(
        "vendor",
        lambda w: f"/api/v1/courses/{w.course}",
        "json",
        lambda w: {"description": "Changed", "points": 7},
    ),
    ("/api/v1/courses/<id:course_id>/file", "PUT"): Case(
        "vendor", lambda w: f"/api/v1/courses/{w.course}/file", "raw", upload=lambda: brochure(1)
    ),
    ("/api/v1/courses/<id:course_id>/attempts", "POST"): Case(
        "admin",
        lambda w: f"/api/v1/courses/{w.course}/attempts",
        "json",
        lambda w: {"answers": [1]},
    ),
    ("/api/v1/paths", "POST"): Case(
        "vendor",
        lambda w: "/api/v1/paths",
        "json",
        lambda w: {
            "name": f"API path {uuid.uuid4().hex[:6]}",
            "role": "technical",
            "course_ids": [w.course],
            "code": f"T-{uuid.uuid4().hex[:6]}",
        },
    ),
    ("/api/v1/paths/<id:path_id>/enrolments", "POST"): Case(
        "admin", lambda w: f"/api/v1/paths/{w.path}/enrolments", "none"
    ),
    ("/api/v1/dpa", "POST"): Case(
        "vendor", lambda w: "/api/v1/dpa", "json", lambda w: {"version": "v9", "text": "Terms."}
    ),
    (P + "/dpa-signatures", "POST"): Case(
        "admin",
        lambda w: f"/api/v1/partners/{w.partner.id}/dpa-signatures",
        "json",
        lambda w: {"version_id": 1},
    ),
    ("/api/v1/applications/<id:application_id>/<any(approve, reject):decision>", "POST"): Case(
        "vendor",
        lambda w: f"/api/v1/applications/{w.application}/approve",
        "json",
        lambda w: {"note": "Welcome"},
    ),
    ("/api/v1/onboarding-rules", "POST"): Case(
        "vendor",
        lambda w: "/api/v1/onboarding-rules",
        "json",
        lambda w: {
            "name": "API rule",
            "vertical": "health",
            "business_model": "resale",
            "path_ids": [w.path],
            "categories": ["Health"],
        },
    ),
    ("/api/v1/onboarding-rules/<id:rule_id>", "DELETE"): Case(
        "vendor", lambda w: f"/api/v1/onboarding-rules/{w.onboarding_rule}", "none"
    ),
    ("/training/manage/courses/<id:course_id>", "POST"): Case(
        "vendor",
        lambda w: f"/training/manage/courses/{w.course}",
        "form",
        lambda w: {
            "title": "Walk course",
            "url": "https://learn.example/c",
            "pass_percent": "80",
            "points": "5",
            "questions": "Q\na\n*b",
            "published": "1",
        },
    ),
    ("/training/manage/courses/<id:course_id>/delete", "POST"): Case(
        "vendor", lambda w: f"/training/manage/courses/{w.spare_course}/delete", "form"
    ),
    ("/training/manage/paths/<id:path_id>", "POST"): Case(
        "vendor",
        lambda w: f"/training/manage/paths/{w.path}",
        "form",
        lambda w: {
            "name": "Walk path",
            "role": "sales",
            "validity_days": "365",
            "points": "50",
            f"position_{w.course}": "1",
        },
    ),
    ("/api/v1/paths/<id:path_id>", "PATCH"): Case(
        "vendor",
        lambda w: f"/api/v1/paths/{w.path}",
        "json",
        lambda w: {"name": "Walk path", "course_ids": [w.course], "validity_days": 400},
    ),
    ("/api/v1/courses/<id:course_id>", "DELETE"): Case(
        "vendor", lambda w: f"/api/v1/courses/{w.spare_course}", "none"
    ),
    ("/users/<id:user_id>/invitation", "POST"): Case(
        "vendor", lambda w: f"/users/{w.other.id}/invitation", "form"
    ),
    ("/api/v1/users/<id:user_id>/invitation", "POST"): Case(
        "vendor", lambda w: f"/api/v1/users/{w.other.id}/invitation", "none"
    ),
    ("/invitation/<token>", "POST"): Case(
        "anon",
        lambda w: f"/invitation/{w.invitation}",
        "form",
        lambda w: {"password": "walk-password-1", "confirm": "walk-password-1"},
    ),
    # -- the CRM's deal webhooks ----------------------------------------------------------------
    ("/webhooks", "POST"): Case(
        "vendor", lambda w: "/webhooks", "form", lambda w: {"url": "https://crm.example/walk"}
    ),
    ("/webhooks/<id:webhook_id>/delete", "POST"): Case(
        "vendor", lambda w: f"/webhooks/{w.webhook}/delete", "form"
    ),
    ("/api/v1/webhooks", "POST"): Case(
        "vendor", lambda w: "/api/v1/webhooks", "json", lambda w: {"url": "https://crm.example/a"}
    ),
    ("/api/v1/webhooks/<id:webhook_id>", "DELETE"): Case(
        "vendor", lambda w: f"/api/v1/webhooks/{w.webhook}", "none"
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
