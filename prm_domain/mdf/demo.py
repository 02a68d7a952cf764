"""MDF demo data: a fund with allocations for every demo partner (by tier), requests and claims
in each state, a paid claim with its proof, and tagged leads so the ROI charts show something.

Idempotent: nothing is added when the demo fund exists.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain import users
from prm_domain.mdf import claims, funds, requests
from prm_domain.models import Lead, MdfFund, Partner, User
from prm_domain.storage import Storage

FILES = Path(__file__).parent.parent / "demo_files"
ATTENDEES = (
    b"name,company,email\nAda Lovelace,Analytical,ada@example.com\n"
    b"Alan T,Bletchley,al@example.com\n"
)


def _user(session: Session, email: str) -> User:
    user = users.find_by_email(session, email)
    assert user is not None, email
    return user


def load_mdf(session: Session, storage: Storage, today: dt.date | None = None) -> None:
    today = today or dt.date.today()
    name = f"FY{today.year} market development funds"
    if session.scalar(select(MdfFund.id).where(MdfFund.name == name)) is not None:
        return
    admin = _user(session, "admin@nimbus.example")
    channel = _user(session, "channel@nimbus.example")
    anna = _user(session, "anna@alpine-it.example")
    ben = _user(session, "ben@bluewave-msp.example")
    year_start, year_end = dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
    fund = funds.create_fund(
        session,
        admin,
        {
            "name": name,
            "currency": "EUR",
            "budget": Decimal("100000.00"),
            "starts_on": year_start,
            "ends_on": year_end,
            "claim_days": 60,
            "second_approval_above": Decimal("10000.00"),
            "tier_amounts": {
                "Gold": Decimal("20000.00"),
                "Silver": Decimal("5000.00"),
                "Registered": Decimal("2000.00"),
            },
        },
    )
    for partner in session.scalars(select(Partner).order_by(Partner.id)):
        funds.allocate(session, admin, fund.id, {"partner_id": partner.id, "rule": "tier"})

    def day(offset: int) -> dt.date:
        return min(max(today + dt.timedelta(days=offset), year_start), year_end)

    def ask(who: User, activity: str, text: str, amount: str, start: int, end: int) -> Any:
        return requests.submit_request(
            session,
            who,
            {
                "fund_id": fund.id,
                "activity_type": activity,
                "description": text,
                "starts_on": day(start),
                "ends_on": day(end),
                "total_cost": Decimal(amount) * 2,
                "requested_amount": Decimal(amount),
                "expected_leads": 40,
                "expected_pipeline": Decimal(amount) * 10,
            },
        )

    photo = claims.ProofFile("stand.png", (FILES / "social-launch.png").read_bytes())
    attendees = claims.ProofFile("attendees.csv", ATTENDEES)

    # Paid, with its proofs and tagged leads: the ROI has something to show.
    paid = ask(anna, "event", "Customer day in Munich", "4000.00", -50, -45)
    requests.approve_request(session, channel, paid.id)
    claim = claims.submit_claim(
        session,
        anna,
        storage,
        {
            "request_id": paid.id,
            "amount": Decimal("3800.00"),
            "actual_cost": Decimal("8100.00"),
            "results": "62 attendees, 14 meetings booked",
            "leads_reported": 14,
        },
        [photo, attendees],
        day(-40),
    )
    claims.approve_claim(session, admin, claim.id)
    claims.pay_claim(session, admin, claim.id, "SEPA-2026-0042", day(-30))
    for i, who in enumerate(("Ada", "Ben", "Cleo")):
        session.add(
            Lead(
                partner_id=paid.partner_id,
                name=who,
                email=f"{who.lower()}@buyer.example",
                fingerprint=f"demo-mdf-{paid.id}-{i}",
                source="embed",
                utm={"utm_campaign": f"mdf-{paid.id}"},
                created_at=dt.datetime.combine(day(-44), dt.time(10), dt.UTC),
            )
        )
    # Approved, claimed and approved (awaiting payment); claimed (awaiting a decision).
    webinar = ask(ben, "webinar", "Backup webinar series", "1500.00", -20, -18)
    requests.approve_request(session, channel, webinar.id, Decimal("1200.00"), "Cap at 1,200")
    c2 = claims.submit_claim(
        session,
        ben,
        storage,
        {"request_id": webinar.id, "amount": Decimal("1100.00"), "actual_cost": Decimal("2300.00")},
        [attendees],
        today,
    )
    claims.approve_claim(session, admin, c2.id, Decimal("1000.00"), "One invoice was missing")
    ads = ask(anna, "digital_advertising", "LinkedIn campaign", "2500.00", -15, -5)
    requests.approve_request(session, channel, ads.id)
    claims.submit_claim(
        session,
        anna,
        storage,
        {"request_id": ads.id, "amount": Decimal("2400.00"), "actual_cost": Decimal("5200.00")},
        [photo],
        today,
    )
    # Approved, no claim yet (due soon); in the queue; awaiting the second approver; sent back;
    # rejected.
    mail = ask(anna, "email_campaign", "Newsletter to installed base", "900.00", -50, -40)
    requests.approve_request(session, channel, mail.id)
    ask(anna, "trade_show", "CeBIT-style booth", "3000.00", 5, 7)
    big = ask(anna, "event", "Partner summit", "12000.00", 10, 12)
    requests.approve_request(session, channel, big.id)  # above 10,000: the admin approves next
    changes = ask(ben, "telemarketing", "Call campaign", "800.00", 2, 20)
    requests.request_changes(session, channel, changes.id, "Add the expected pipeline.")
    rejected = ask(ben, "other", "Branded mugs", "400.00", 1, 2)
    requests.reject_request(session, channel, rejected.id, "Merchandise is not covered.")
    # A claim sent back for more information, and one rejected (Delta); a lapsed request.
    dev = _user(session, "dev@delta-dist.example")
    show = ask(dev, "trade_show", "Regional trade show", "3000.00", -12, -10)
    requests.approve_request(session, channel, show.id)
    c3 = claims.submit_claim(
        session,
        dev,
        storage,
        {"request_id": show.id, "amount": Decimal("2900.00"), "actual_cost": Decimal("6000.00")},
        [photo, attendees],
        today,
    )
    claims.request_info(session, channel, c3.id, "Please add the booth invoice.")
    syn = ask(dev, "content_syndication", "Syndicated whitepaper", "700.00", -9, -8)
    requests.approve_request(session, channel, syn.id)
    c4 = claims.submit_claim(
        session,
        dev,
        storage,
        {"request_id": syn.id, "amount": Decimal("700.00"), "actual_cost": Decimal("700.00")},
        [attendees],
        today,
    )
    claims.reject_claim(session, channel, c4.id, "The lead list is from another campaign.")
    if day(-80) > year_start:
        late = ask(ben, "content_syndication", "Content syndication pilot", "600.00", -80, -75)
        requests.approve_request(session, channel, late.id)
        requests.lapse_overdue(session, today)
    session.flush()
