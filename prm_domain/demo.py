"""Demo data: a vendor programme with three tiers, five partners and their users.

Idempotent: every object is looked up by its natural key first, so loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain import partners, tiers, users
from prm_domain.models import Partner, Tier, User

DEMO_PASSWORD = "cobrand-demo"  # noqa: S105 - published on purpose: it is the demo's login


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str
    partner: str | None = None


TIERS = [
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

PARTNERS = [
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
        "verticals": ["retail"],
        "business_model": "services",
        "website_domains": ["coral-integradores.example"],
        "status": "onboarding",
        "dpa_signed_on": None,
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


def load(session: Session) -> list[DemoLogin]:
    """Create whatever of the demo is missing; return the logins to print."""
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
        for role, email, name in spec["users"]:  # type: ignore[attr-defined]
            if users.find_by_email(session, email) is None:
                users.create_partner_user(
                    session,
                    staff_admin,
                    partner.id,
                    {"email": email, "password": DEMO_PASSWORD, "display_name": name, "role": role},
                )
    return logins(session)


def logins(session: Session) -> list[DemoLogin]:
    out = [DemoLogin(role, email, DEMO_PASSWORD) for role, email, _ in VENDOR_STAFF]
    for spec in PARTNERS:
        for role, email, _ in spec["users"]:  # type: ignore[attr-defined]
            if role == "partner_admin":
                out.append(DemoLogin(role, email, DEMO_PASSWORD, f"{spec['name']}, {spec['tier']}"))
    existing = set(session.scalars(select(User.email)))
    return [login for login in out if login.email in existing]
