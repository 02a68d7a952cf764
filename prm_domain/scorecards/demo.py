"""Demo history for the scorecards: two years of closed deals, lead offers, sign-ins and
downloads of the active demo partners, spread over the months, so the ranking has an order,
the charts have shape and each card has a change against the year before.

History is written as rows with their past dates (the services stamp "now"); it is what those
services would have left behind. Idempotent: nothing is added once a history deal exists.
Revenue stays below the Gold tier's threshold for the Silver and Registered partners, so the
demo's "close to promotion" partner stays close.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain.base import utcnow
from prm_domain.enums import DealStatus, LeadState, OfferOutcome, PartnerStatus
from prm_domain.models import (
    Asset,
    AssetDownload,
    DealRegistration,
    Lead,
    LeadOffer,
    Partner,
    SignIn,
    User,
)

HISTORY_DOMAIN = "history.example"
# Per partner: (won deals a month, typical value, sign-ins a month, downloads a month).
PROFILES: dict[str, tuple[float, int, int, int]] = {
    "Alpine IT Solutions": (1.6, 42_000, 14, 6),
    "Delta Distribution": (1.2, 36_000, 8, 3),
    "Bluewave MSP": (0.9, 18_000, 10, 5),
    "Coral Integrators": (0.5, 12_000, 5, 2),
}
COMPANIES = (
    "Aurora Foods",
    "Birchwood Clinics",
    "Cobalt Mining",
    "Dunmore Insurance",
    "Elm Street Bakeries",
    "Fairview Logistics",
    "Granite Legal",
    "Hilltop Hotels",
    "Ironbridge Steel",
    "Juniper Schools",
)


def _month_day(today: dt.date, back: int, rng: random.Random) -> dt.datetime:
    index = today.year * 12 + today.month - 1 - back
    year, month = index // 12, index % 12 + 1
    last = today.day if back == 0 else 28
    day = rng.randint(1, max(1, last))
    when = dt.datetime(year, month, day, rng.randint(8, 18), tzinfo=dt.UTC)
    # Today's history is in the past too: a lead "received" this afternoon when the demo is
    # loaded in the morning would be news at every visit until then.
    return min(when, utcnow() - dt.timedelta(minutes=5))


def load(session: Session) -> None:
    exists = session.scalar(
        select(DealRegistration.id)
        .where(DealRegistration.contact_email.like(f"%@{HISTORY_DOMAIN}"))
        .limit(1)
    )
    if exists is not None:
        return
    today = utcnow().date()
    asset = session.scalar(
        select(Asset).where(Asset.published_version_id.is_not(None)).order_by(Asset.id).limit(1)
    )
    for name, (won_rate, value, sign_ins, downloads) in PROFILES.items():
        partner = session.scalar(select(Partner).where(Partner.name == name))
        if partner is None or partner.status != PartnerStatus.ACTIVE:
            continue
        admin = session.scalar(
            select(User).where(User.partner_id == partner.id).order_by(User.id).limit(1)
        )
        # Seeded by name: the same history on every fresh demo.
        rng = random.Random(int(hashlib.sha256(name.encode()).hexdigest()[:8], 16))  # noqa: S311 - demo figures, no secret
        for back in range(23, -1, -1):
            # The recent year grows a little on the one before, more for the leaders.
            growth = 1.0 if back >= 12 else 1.0 + won_rate / 4
            wins = int(won_rate * growth + rng.random())
            losses = rng.choice((0, 0, 1))
            for n in range(wins + losses):
                closed = _month_day(today, back, rng)
                session.add(
                    DealRegistration(
                        partner_id=partner.id,
                        created_by_id=admin.id if admin else None,
                        company=rng.choice(COMPANIES),
                        contact_name="Demo Contact",
                        contact_email=f"buyer{back}-{n}@{HISTORY_DOMAIN}",
                        country=partner.country,
                        products=["Cobrand Suite"],
                        estimated_value=Decimal(rng.randint(value // 2, value * 3 // 2)).quantize(
                            Decimal("1.00")
                        ),
                        expected_close=closed.date(),
                        status=DealStatus.WON if n < wins else DealStatus.LOST,
                        stage="Closed Won" if n < wins else "Closed Lost",
                        decided_at=closed,
                        created_at=closed - dt.timedelta(days=rng.randint(20, 60)),
                        decision_reason="" if n < wins else "Went with a competitor.",
                    )
                )
            if admin is not None:
                for _ in range(max(0, int(sign_ins * growth) - rng.randint(0, 3))):
                    session.add(
                        SignIn(
                            at=_month_day(today, back, rng),
                            user_id=admin.id,
                            partner_id=partner.id,
                        )
                    )
            if asset is not None and asset.published_version_id is not None:
                for _ in range(rng.randint(0, downloads)):
                    session.add(
                        AssetDownload(
                            asset_id=asset.id,
                            version_id=asset.published_version_id,
                            partner_id=partner.id,
                            user_id=admin.id if admin else None,
                            format="pdf",
                            at=_month_day(today, back, rng),
                        )
                    )
            if back < 12 and back % 3 == 0:
                _lead_history(session, partner, today, back, rng)
    session.flush()


def _lead_history(
    session: Session, partner: Partner, today: dt.date, back: int, rng: random.Random
) -> None:
    """A quarter's leads offered by routing: most accepted, some converted, one declined."""
    for n, (outcome, state) in enumerate(
        (
            (OfferOutcome.ACCEPTED, LeadState.CONVERTED),
            (OfferOutcome.ACCEPTED, rng.choice((LeadState.CONVERTED, LeadState.LOST))),
            (OfferOutcome.ACCEPTED, LeadState.WORKING),
            (OfferOutcome.DECLINED, None),
        )
    ):
        when = _month_day(today, back, rng)
        email = f"lead{back}-{n}-{partner.id}@{HISTORY_DOMAIN}"
        lead = Lead(
            partner_id=partner.id if state else None,
            source="api",
            name="Demo Prospect",
            email=email,
            company=rng.choice(COMPANIES),
            country=partner.country,
            region=partner.region.value,
            fingerprint=hashlib.sha256(email.encode()).hexdigest(),
            created_at=when,
            state=state or LeadState.LOST,
            state_changed_at=when + dt.timedelta(days=3),
            lost_reason="" if state != LeadState.LOST else "No budget this year.",
        )
        if state is None:
            # Declined, then lost by the vendor's team: nobody's lead now.
            lead.lost_reason = "Declined by the partner; closed by the vendor."
        session.add(lead)
        session.flush()
        session.add(
            LeadOffer(
                lead_id=lead.id,
                partner_id=partner.id,
                outcome=outcome,
                offered_at=when,
                decided_at=when + dt.timedelta(hours=rng.randint(2, 40)),
            )
        )
