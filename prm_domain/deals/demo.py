"""Demo rows of deal registration: the vendor's direct accounts and opportunities, and deals in
each state (one flagged as a conflict). Idempotent like prm_domain.demo: adds what is missing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain import users
from prm_domain.deals import accounts, registrations
from prm_domain.models import CrmAccount, DealRegistration, User

ACCOUNTS: list[dict[str, Any]] = [
    {
        "name": "General Electric Company",
        "domain": "ge.example",
        "aliases": ["GE"],
        "owner": "Kim Direct",
        "stage": "Customer",
        "opportunities": [{"name": "Turbine analytics", "stage": "Proposal"}],
    },
    {
        "name": "Initech LLC",
        "domain": "initech.example",
        "owner": "Lee Direct",
        "stage": "Prospect",
    },
    {
        "name": "Globex Corporation",
        "domain": "globex.example",
        "aliases": ["Globex"],
        "owner": "Kim Direct",
        "stage": "Customer",
        "opportunities": [{"name": "Fleet renewal", "stage": "Negotiation"}],
    },
]
# (partner admin's email, form values, what the vendor then does)
CORAL, BLUEWAVE = "carla@coral.example", "ben@bluewave-msp.example"
APPROVE = {"status": "approved"}
DEALS: list[tuple[str, str, str, dict[str, Any] | None]] = [
    (CORAL, "Nordwind Logistik GmbH", "ada@nordwind.example", None),
    # Flagged: the vendor's own open opportunity at General Electric.
    (CORAL, "General Electric Co.", "sam@ge.example", None),
    (CORAL, "Sol Nascente Varejo", "ana@solnascente.example", APPROVE),
    (
        BLUEWAVE,
        "Harbor Dental Group",
        "li@harbordental.example",
        {"status": "rejected", "decision_reason": "Already a reseller's customer."},
    ),
    (BLUEWAVE, "Pinecrest Schools", "it@pinecrest.example", APPROVE | {"stage": "Closed Won"}),
    (BLUEWAVE, "Lakeside Hotels", "ops@lakeside.example", APPROVE),
    (BLUEWAVE, "Fjord Fisheries", "kari@fjord.example", APPROVE),
]
AFTER_APPROVAL = {
    "Pinecrest Schools": {"status": "won"},
    "Lakeside Hotels": {"status": "lost", "decision_reason": "Customer chose to wait."},
}


def load(session: Session, admin: User) -> None:
    for spec in ACCOUNTS:
        if session.scalar(select(CrmAccount.id).where(CrmAccount.name == spec["name"])) is None:
            accounts.create_account(session, admin, spec)
    for email, company, contact, review in DEALS:
        partner_admin = users.find_by_email(session, email)
        if partner_admin is None or session.scalar(
            select(DealRegistration.id).where(DealRegistration.company == company)
        ):
            continue
        form = {
            "company": company,
            "contact_email": contact,
            "contact_name": "Demo Contact",
            "country": "BR",
            "products": ["Cobrand Suite"],
            "estimated_value": "48000.00",
            "expected_close": "2027-03-31",
            "notes": "",
        }
        deal = registrations.register_deal(session, partner_admin, form)
        if review:
            registrations.update_deal(session, admin, deal.id, review)
        if deal.company in AFTER_APPROVAL:
            registrations.update_deal(session, admin, deal.id, AFTER_APPROVAL[deal.company])
        if deal.company == "Fjord Fisheries":
            # Approved long ago: its protection has run out, and the daily job expires it.
            deal.protected_until = dt.date(2026, 1, 31)
            registrations.send_reminders(session)
