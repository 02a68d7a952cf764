"""Demo data: a vendor programme with three tiers, five partners and their users.

Idempotent: every object is looked up by its natural key first, so loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain import assets, brandkits, partners, tiers, users
from prm_domain.models import Asset, Partner, SyndicatedItem, Tier, User
from prm_domain.storage import Storage

DEMO_PASSWORD = "cobrand-demo"  # noqa: S105 - published on purpose: it is the demo's login


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str
    partner: str | None = None


TIERS: list[dict[str, Any]] = [
    {
        "name": "Registered",
        "rank": 1,
        "description": "Entry level: core content and deal registration.",
        "mdf_share_percent": Decimal("0"),
        "discount_percent": Decimal("5"),
        "content_access": ["standard"],
    },
    {
        "name": "Silver",
        "rank": 2,
        "description": "Certified partners with a sales record.",
        "mdf_share_percent": Decimal("2.5"),
        "discount_percent": Decimal("12"),
        "content_access": ["standard", "campaigns"],
    },
    {
        "name": "Gold",
        "rank": 3,
        "description": "Strategic partners: full content, MDF and co-selling.",
        "mdf_share_percent": Decimal("5"),
        "discount_percent": Decimal("20"),
        "content_access": ["standard", "campaigns", "premium"],
    },
]

VENDOR_STAFF = [
    ("vendor_admin", "admin@nimbus.example", "Vera Admin"),
    ("channel_manager", "channel@nimbus.example", "Chris Channel"),
    ("marketing_manager", "marketing@nimbus.example", "Mia Marketing"),
]

PARTNERS: list[dict[str, Any]] = [
    {
        "name": "Alpine IT Solutions",
        "type": "reseller",
        "tier": "Gold",
        "country": "DE",
        "region": "EMEA",
        "verticals": ["manufacturing", "public sector"],
        "business_model": "resale",
        "website_domains": ["alpine-it.example"],
        "status": "active",
        "dpa_signed_on": dt.date(2026, 3, 2),
        "users": [
            ("partner_admin", "anna@alpine-it.example", "Anna Berger"),
            ("partner_user", "lukas@alpine-it.example", "Lukas Huber"),
        ],
    },
    {
        "name": "Bluewave MSP",
        "type": "msp",
        "tier": "Silver",
        "country": "US",
        "region": "NA",
        "verticals": ["healthcare"],
        "business_model": "managed_services",
        "website_domains": ["bluewave-msp.example"],
        "status": "active",
        "dpa_signed_on": dt.date(2026, 5, 14),
        "users": [
            ("partner_admin", "ben@bluewave-msp.example", "Ben Carter"),
            ("partner_user", "maya@bluewave-msp.example", "Maya Lopez"),
        ],
    },
    {
        "name": "Coral Integrators",
        "type": "system_integrator",
        "tier": "Registered",
        "country": "BR",
        "region": "LATAM",
        "timezone": "America/Sao_Paulo",
        "verticals": ["retail"],
        "business_model": "services",
        "website_domains": ["coral-integradores.example"],
        "status": "active",
        "dpa_signed_on": dt.date(2026, 3, 2),
        "users": [("partner_admin", "carla@coral.example", "Carla Souza")],
    },
    {
        "name": "Delta Distribution",
        "type": "distributor",
        "tier": "Gold",
        "country": "SG",
        "region": "APAC",
        "verticals": ["telecom", "finance"],
        "business_model": "resale",
        "website_domains": ["delta-dist.example"],
        "status": "active",
        "dpa_signed_on": dt.date(2025, 11, 20),
        "users": [("partner_admin", "dev@delta-dist.example", "Dev Raman")],
    },
    {
        "name": "Everest Software",
        "type": "isv",
        "tier": "Silver",
        "country": "GB",
        "region": "EMEA",
        "verticals": ["education"],
        "business_model": "subscription",
        "website_domains": ["everest-software.example"],
        "status": "prospect",
        "dpa_signed_on": None,
        "users": [("partner_admin", "ella@everest-software.example", "Ella Hughes")],
    },
]


FILES = Path(__file__).parent / "demo_files"

LOGO_FILES = {
    "Alpine IT Solutions": "alpine-it",
    "Bluewave MSP": "bluewave-msp",
    "Coral Integrators": "coral",
    "Delta Distribution": "delta-dist",
    "Everest Software": "everest-software",
}

CONTACTS = {
    "Alpine IT Solutions": (
        "Anna Berger",
        "Partner manager",
        "+49 89 1234 5670",
        "Leopoldstraße 12, München",
    ),
    "Bluewave MSP": (
        "Ben Carter",
        "Head of sales",
        "+1 415 555 0142",
        "400 Market St, San Francisco",
    ),
    "Coral Integrators": (
        "Carla Souza",
        "Diretora comercial",
        "+55 11 5555 0199",
        "Av. Paulista 1000, São Paulo",
    ),
    "Delta Distribution": (
        "Dev Raman",
        "Channel director",
        "+65 6555 0123",
        "1 Raffles Place, Singapore",
    ),
    "Everest Software": (
        "Ella Hughes",
        "Alliances lead",
        "+44 20 7946 0321",
        "10 Finsbury Sq, London",
    ),
}

BROCHURE_ZONES: list[dict[str, Any]] = [
    # The header band is dark navy: the partner's logo for dark backgrounds goes there.
    {"kind": "logo", "box": [0.66, 0.015, 0.31, 0.1], "align": "right", "on_dark": True},
    {
        "kind": "text",
        "box": [0.05, 0.93, 0.9, 0.05],
        "color": "#ffffff",
        "font_size": 11,
        "text": "{{ partner_name }} · {{ contact.phone }} · {{ contact.email }}",
    },
    {"kind": "qr", "box": [0.84, 0.76, 0.12, 0.12], "pages": "last", "align": "right"},
]
SOCIAL_ZONES: list[dict[str, Any]] = [
    {"kind": "logo", "box": [0.05, 0.74, 0.36, 0.2], "on_dark": True},
    {
        "kind": "text",
        "box": [0.05, 0.64, 0.6, 0.08],
        "color": "#ffffff",
        "bold": True,
        "text": "Ask {{ partner_name }} about the upgrade",
    },
]

ASSETS: list[dict[str, Any]] = [
    {
        "kind": "pdf",
        "file": "brochure.pdf",
        "zones": BROCHURE_ZONES,
        "tiers": [],
        "meta": {
            "name": "Nimbus Cloud Platform brochure",
            "category": "Brochures",
            "tags": ["platform", "overview"],
            "description": "Four pages with your logo, contact details and a QR code.",
            "landing_url": "https://nimbus.example/platform",
        },
    },
    {
        "kind": "email",
        "file": "newsletter.mjml",
        "zones": [],
        "tiers": [],
        "meta": {
            "name": "Newsletter: Nimbus Cloud 5.0 launch",
            "category": "Emails",
            "tags": ["launch", "5.0"],
            "description": "A responsive launch email in your name, with your contact details.",
            "landing_url": "https://nimbus.example/5.0",
        },
    },
    {
        "kind": "social",
        "file": "social-launch.png",
        "zones": SOCIAL_ZONES,
        "tiers": [],
        "meta": {
            "name": "Launch post: Nimbus Cloud 5.0",
            "category": "Social",
            "tags": ["launch", "5.0"],
            "description": "A 1200 x 627 image for LinkedIn and X with your logo.",
        },
    },
    {
        "kind": "pdf",
        "file": "brochure.pdf",
        "zones": BROCHURE_ZONES[:2],
        "tiers": ["Gold"],
        "meta": {
            "name": "Gold partner playbook",
            "category": "Sales playbooks",
            "tags": ["gold"],
            "description": "For Gold partners only: the co-selling playbook.",
            "landing_url": "https://nimbus.example/gold",
        },
    },
]


def _load_brands(session: Session, storage: Storage, admin: User) -> None:
    for name, key in LOGO_FILES.items():
        partner = session.scalar(select(Partner).where(Partner.name_key == name.casefold()))
        if partner is None or brandkits.kit_for(session, partner.id).logo_key:
            continue
        brandkits.set_logo(
            session, admin, storage, partner.id, "light", (FILES / f"logo-{key}.png").read_bytes()
        )
        brandkits.set_logo(
            session,
            admin,
            storage,
            partner.id,
            "dark",
            (FILES / f"logo-{key}-dark.png").read_bytes(),
        )
        contact, title, phone, address = CONTACTS[name]
        domain = partner.website_domains[0] if partner.website_domains else "example.com"
        brandkits.update_brand_kit(
            session,
            admin,
            partner.id,
            {
                "contact_name": contact,
                "contact_title": title,
                "contact_phone": phone,
                "contact_address": address,
                "contact_email": f"{contact.split()[0].lower()}@{domain}",
                "contact_website": f"https://{domain}",
                "primary_color": "#1c5fb8",
            },
        )


def _load_assets(session: Session, storage: Storage, admin: User, tier_ids: dict[str, int]) -> None:
    for spec in ASSETS:
        if session.scalar(select(Asset.id).where(Asset.name == spec["meta"]["name"])):
            continue
        meta = {**spec["meta"], "audience_tier_ids": [tier_ids[t] for t in spec["tiers"]]}
        asset = assets.create_asset(session, admin, spec["kind"], meta)
        version = assets.add_version(
            session, admin, storage, asset.id, spec["file"], (FILES / spec["file"]).read_bytes()
        )
        if spec["zones"]:
            assets.set_zones(session, admin, asset.id, version.id, spec["zones"])
        assets.publish(session, admin, asset.id, version.id)


ITEMS: list[dict[str, Any]] = [
    {
        "kind": "banner",
        "title": "Nimbus 5.0 launch banner",
        "content": {
            "headline": "Nimbus Cloud 5.0 is here",
            "text": "Faster deployments, built-in backups and a new security centre.",
            "cta_label": "See what's new",
            "cta_url": "https://nimbus.example/5.0",
        },
    },
    {
        "kind": "product",
        "title": "Nimbus Compute",
        "content": {
            "name": "Nimbus Compute",
            "summary": "Virtual machines that scale in seconds.",
            "features": ["Per-second billing", "Live migration", "GPU options"],
            "url": "https://nimbus.example/compute",
        },
    },
    {
        "kind": "product",
        "title": "Nimbus Backup",
        "content": {
            "name": "Nimbus Backup",
            "summary": "Immutable backups for every workload.",
            "features": ["Ransomware protection", "Restore in minutes", "EU and US regions"],
            "url": "https://nimbus.example/backup",
        },
    },
    {
        "kind": "resource",
        "title": "Platform brochure (PDF)",
        "asset": "Nimbus Cloud Platform brochure",
        "content": {
            "description": "Four pages on the platform, with your partner's contact details."
        },
    },
    {
        "kind": "lead_form",
        "title": "Talk to a Nimbus partner",
        "content": {
            "fields": ["name", "email", "company", "phone", "message"],
            "required": ["name", "email"],
            "consent_text": "I agree that Nimbus Cloud and this partner may contact me about my "
            "request. See the privacy notice.",
            "privacy_url": "https://nimbus.example/privacy",
            "submit_label": "Request a call",
            "thank_you": "Thank you! We will call you within a day.",
        },
    },
]


def _load_items(session: Session, admin: User) -> None:
    from prm_domain.syndication import items

    for spec in ITEMS:
        if session.scalar(select(SyndicatedItem.id).where(SyndicatedItem.title == spec["title"])):
            continue
        values = {k: v for k, v in spec.items() if k != "asset"}
        if "asset" in spec:
            values["asset_id"] = session.scalar(select(Asset.id).where(Asset.name == spec["asset"]))
            if values["asset_id"] is None:
                continue
        items.create_item(session, admin, values)


def _load_channels(session: Session) -> None:
    """Every demo partner gets the built-in outbox, so approved demo campaign posts publish
    somewhere visible with no outside account."""
    from prm_domain.campaigns.enrolments import outbox_channel

    for partner_id in session.scalars(select(Partner.id).order_by(Partner.id)):
        outbox_channel(session, partner_id)


def load(session: Session, storage: Storage | None = None, base_url: str = "") -> list[DemoLogin]:
    """Create whatever of the demo is missing; return the logins to print.

    With ``storage``, also the brand kits (logos, contacts) and the library's assets.
    """
    by_name = {t.name: t for t in session.scalars(select(Tier))}
    staff_admin = None
    for role, email, name in VENDOR_STAFF:
        user = users.find_by_email(session, email)
        if user is None:
            user = users.create_vendor_user(
                session,
                None,
                {"email": email, "password": DEMO_PASSWORD, "display_name": name, "role": role},
            )
        if role == "vendor_admin":
            staff_admin = user
    assert staff_admin is not None
    for spec in TIERS:
        if spec["name"] not in by_name:
            by_name[str(spec["name"])] = tiers.create_tier(session, staff_admin, spec)
    for spec in PARTNERS:
        partner = session.scalar(
            select(Partner).where(Partner.name_key == str(spec["name"]).casefold())
        )
        if partner is None:
            values = {k: v for k, v in spec.items() if k not in ("tier", "users")}
            values["tier_id"] = by_name[str(spec["tier"])].id
            partner = partners.create_partner(session, staff_admin, values)
        for role, email, name in spec["users"]:
            if users.find_by_email(session, email) is None:
                users.create_partner_user(
                    session,
                    staff_admin,
                    partner.id,
                    {"email": email, "password": DEMO_PASSWORD, "display_name": name, "role": role},
                )
    from prm_domain.deals import demo as deals_demo

    deals_demo.load(session, staff_admin)
    from prm_domain.leads import demo as lead_demo

    lead_demo.load(session, staff_admin)
    _load_channels(session)
    if storage is not None:
        _load_brands(session, storage, staff_admin)
        _load_assets(session, storage, staff_admin, {name: t.id for name, t in by_name.items()})
        _load_items(session, staff_admin)
        from prm_domain.campaigns import demo as campaign_demo

        campaign_demo.load(session, staff_admin, base_url)
        from prm_domain.mdf.demo import load_mdf

        load_mdf(session, storage)
    from prm_domain.training import demo as training_demo

    training_demo.load(session, staff_admin)
    from prm_domain.scorecards import demo as scorecards_demo

    scorecards_demo.load(session)
    # After the scorecards' history: the tier demo sizes Bluewave's last deal on what is won.
    from prm_domain.tier_rules import demo as tier_demo

    tier_demo.load(session, staff_admin)
    return logins(session)


def logins(session: Session) -> list[DemoLogin]:
    out = [DemoLogin(role, email, DEMO_PASSWORD) for role, email, _ in VENDOR_STAFF]
    for spec in PARTNERS:
        for role, email, _ in spec["users"]:
            if role == "partner_admin":
                out.append(DemoLogin(role, email, DEMO_PASSWORD, f"{spec['name']}, {spec['tier']}"))
    existing = set(session.scalars(select(User.email)))
    return [login for login in out if login.email in existing]
