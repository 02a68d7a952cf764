"""Demo rows of the tier rules: requirements for Silver and Gold, partners that earn their tiers
(won deals, certified people), Bluewave close to Gold (80% of its revenue), Delta in grace,
and some history. Idempotent like prm_domain.demo: loaded once (the requirements mark it)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain import notifications, users
from prm_domain.base import utcnow
from prm_domain.deals import registrations
from prm_domain.enums import TierChangeKind
from prm_domain.models import (
    LearningPath,
    Partner,
    Tier,
    TierChange,
    TierGrace,
    TierRequirement,
    User,
)
from prm_domain.tier_rules.evaluation import measure
from prm_domain.tier_rules.requirements import set_requirements
from prm_domain.training import courses, progress

RULES: dict[str, dict[str, Any]] = {
    "Silver": {"min_revenue": "250000.00", "min_certified": {"sales": 1}, "grace_days": 30},
    "Gold": {
        "min_revenue": "500000.00",
        "min_deals_won": 2,
        "min_certified": {"sales": 2, "technical": 1},
        "grace_days": 30,
    },
}
# person -> learning paths they are certified in
CERTIFIED = {
    "anna@alpine-it.example": ("sales", "technical"),
    "lukas@alpine-it.example": ("sales",),
    "ben@bluewave-msp.example": ("sales", "technical"),
    "maya@bluewave-msp.example": ("sales",),
    "dev@delta-dist.example": ("sales",),
}
CLOSE_TO_GOLD = "80% of Gold"
# (partner admin, company, contact, country, value, won this many days ago)
WON = [
    ("anna@alpine-it.example", "Bergbahn Tirol AG", "it@bergbahn.example", "AT", "320000.00", 40),
    ("anna@alpine-it.example", "Donau Stahl GmbH", "ops@donaustahl.example", "DE", "260000.00", 95),
    # Sized at load to bring Bluewave to 80% of Gold's revenue, whatever else it has won.
    ("ben@bluewave-msp.example", "Harborview Clinics", "cio@harborview.example",
     "US", CLOSE_TO_GOLD, 60),
    ("dev@delta-dist.example", "Marina Bay Telecom", "noc@marinabay.example",
     "SG", "120000.00", 150),
]  # fmt: skip
# (partner name, kind, from, to, days ago, reason)
HISTORY = [
    ("Alpine IT Solutions", "promoted", "Silver", "Gold", 150,
     "meets the Gold requirements (deal Donau Stahl GmbH won)"),
    ("Bluewave MSP", "promoted", "Registered", "Silver", 90,
     "meets the Silver requirements (certification NIMBUS-SALES)"),
    ("Delta Distribution", "promoted", "Silver", "Gold", 240,
     "meets the Gold requirements (nightly)"),
]  # fmt: skip
DELTA_GRACE_DAYS_AGO = 9


def _certify(session: Session, person: User, paths: list[LearningPath]) -> None:
    for path in paths:
        progress.enrol(session, person, path.id)
    done: set[int] = set()
    for path in paths:
        for course in courses.courses_of(session, path):
            if course.id not in done:
                progress.submit_attempt(
                    session, person, course.id, [q["answer"] for q in course.questions]
                )
                done.add(course.id)


def load(session: Session, admin: User) -> None:
    if session.scalar(select(TierRequirement.tier_id)) is not None:
        return
    tiers = {t.name: t for t in session.scalars(select(Tier))}
    if not set(RULES) <= set(tiers) or "Registered" not in tiers:
        return
    now = utcnow()
    paths = {p.role: p for p in session.scalars(select(LearningPath).order_by(LearningPath.id))}
    for email, roles in CERTIFIED.items():
        person = users.find_by_email(session, email)
        if person is not None and all(r in paths for r in roles):
            _certify(session, person, [paths[r] for r in roles])
    for email, company, contact, country, value, days in WON:
        partner_admin = users.find_by_email(session, email)
        if partner_admin is None or partner_admin.partner_id is None:
            continue
        if value == CLOSE_TO_GOLD:
            session.flush()
            won = measure(session, [partner_admin.partner_id], now)[partner_admin.partner_id]
            target = Decimal(RULES["Gold"]["min_revenue"]) * Decimal("0.8")
            if won.revenue >= target:
                continue
            value = str((target - won.revenue).quantize(Decimal("0.01")))
        deal = registrations.register_deal(
            session,
            partner_admin,
            {
                "company": company,
                "contact_name": "Demo Contact",
                "contact_email": contact,
                "country": country,
                "products": ["Cobrand Suite"],
                "estimated_value": value,
                "expected_close": (now - dt.timedelta(days=days)).date().isoformat(),
            },
        )
        registrations.update_deal(session, admin, deal.id, {"status": "approved"})
        registrations.update_deal(session, admin, deal.id, {"status": "won"})
        deal.decided_at = now - dt.timedelta(days=days)
    session.flush()
    for name, values in RULES.items():
        set_requirements(session, admin, tiers[name].id, values)
    partners = {p.name: p for p in session.scalars(select(Partner))}
    for partner_name, kind, old, new, days, reason in HISTORY:
        partner = partners.get(partner_name)
        if partner is None:
            continue
        session.add(
            TierChange(
                partner_id=partner.id,
                kind=kind,
                from_tier_id=tiers[old].id,
                to_tier_id=tiers[new].id,
                reason=reason,
                at=now - dt.timedelta(days=days),
            )
        )
    delta = partners.get("Delta Distribution")
    if delta is not None and delta.tier_id == tiers["Gold"].id:
        # Delta's Gold-sized deal left the last twelve months: it meets Silver's requirements
        # only, and keeps Gold until its grace ends.
        started = now - dt.timedelta(days=DELTA_GRACE_DAYS_AGO)
        ends = started + dt.timedelta(days=RULES["Gold"]["grace_days"])
        session.add(
            TierGrace(
                partner_id=delta.id,
                from_tier_id=tiers["Gold"].id,
                to_tier_id=tiers["Silver"].id,
                started_at=started,
                ends_at=ends,
            )
        )
        session.add(
            TierChange(
                partner_id=delta.id,
                kind=TierChangeKind.GRACE_STARTED.value,
                from_tier_id=tiers["Gold"].id,
                to_tier_id=tiers["Silver"].id,
                reason=f"no longer meets the Gold requirements (nightly); keeps Gold until "
                f"{ends:%Y-%m-%d}",
                at=started,
            )
        )
        notifications.notify_user(
            session,
            partner_id=delta.id,
            user_id=None,
            kind="tier",
            text=f"Your organisation no longer meets the Gold requirements. It keeps Gold until "
            f"{ends:%Y-%m-%d}; after that it moves to Silver unless it meets them again.",
            link=f"/partners/{delta.id}/tier",
            dedupe_key=f"tier-grace:{delta.id}:demo",
        )
    session.flush()
