"""Shared MDF fixtures: a fund with a partner's allocation, files that pass the proof checks."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from prm_domain.enums import Role
from prm_domain.mdf import funds
from prm_domain.mdf.claims import ProofFile
from prm_domain.models import MdfAllocation, MdfFund, Partner, User

START = dt.date(2026, 1, 1)
END = dt.date(2026, 12, 31)
TODAY = dt.date(2026, 6, 1)


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


ATTENDEES = b"name,email\nAda,ada@example.com\nBo,bo@example.com\n"


def event_proofs() -> list[ProofFile]:
    return [ProofFile("stand.png", png()), ProofFile("attendees.csv", ATTENDEES)]


@dataclass
class MdfWorld:
    fund: MdfFund
    allocation: MdfAllocation
    partner: Partner
    admin: User  # the partner's admin
    vendor: User  # vendor_admin
    channel: User  # channel_manager
    other_partner: Partner
    other_admin: User


def fund_values(**kw: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": f"Fund {id(kw)}-{dt.datetime.now().timestamp()}",
        "currency": "EUR",
        "budget": Decimal("100000.00"),
        "starts_on": START,
        "ends_on": END,
        "claim_days": 60,
    }
    return values | kw


def request_values(fund_id: int, **kw: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "fund_id": fund_id,
        "activity_type": "event",
        "description": "Customer day",
        "starts_on": dt.date(2026, 5, 20),
        "ends_on": dt.date(2026, 5, 21),
        "total_cost": Decimal("2000.00"),
        "requested_amount": Decimal("1000.00"),
        "expected_leads": 20,
    }
    return values | kw


def make_world(
    session: Session, make_partner: Any, make_user: Any, amount: str = "5000.00", **fund_kw: Any
) -> MdfWorld:
    vendor = make_user(Role.VENDOR_ADMIN)
    channel = make_user(Role.CHANNEL_MANAGER)
    partner = make_partner()
    admin = make_user(Role.PARTNER_ADMIN, partner)
    other = make_partner()
    other_admin = make_user(Role.PARTNER_ADMIN, other)
    fund = funds.create_fund(session, vendor, fund_values(**fund_kw))
    allocation = funds.allocate(
        session, vendor, fund.id, {"partner_id": partner.id, "amount": Decimal(amount)}
    )
    funds.allocate(session, vendor, fund.id, {"partner_id": other.id, "amount": Decimal("100.00")})
    return MdfWorld(fund, allocation, partner, admin, vendor, channel, other, other_admin)
