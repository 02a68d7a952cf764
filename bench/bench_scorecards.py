"""Benchmark: the vendor's scorecard ranking at programme size, on Postgres.

Run:  TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
      .venv/bin/python bench/bench_scorecards.py [--partners 1000] [--leads 100000] [--rounds 5]

Builds its own schema (dropped afterwards) migrated by the real migrations, fills it with Core
inserts spread over two years: the partners, 100,000 leads with an offer each, deals won and
lost, sign-ins, downloads, certifications and campaign approvals; then times, as a vendor,
the ranking's first page sorted by revenue, by win rate and by name, a search, one partner's
scorecard and the CSV export of the whole ranking. Medians are printed. Not a test: numbers
depend on the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from prm_domain import scorecards
from prm_domain.base import utcnow
from prm_domain.database import make_engine, upgrade
from prm_domain.enums import (
    AssetKind,
    DealStatus,
    EnrolmentStatus,
    LeadState,
    OfferOutcome,
    PartnerStatus,
    PartnerType,
    Region,
    Role,
)
from prm_domain.models import (
    Asset,
    AssetDownload,
    AssetVersion,
    Campaign,
    Certification,
    DealRegistration,
    Enrolment,
    Lead,
    LeadOffer,
    LearningPath,
    Partner,
    SignIn,
    Tier,
    User,
)

BATCH = 5000


def _bulk(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), BATCH):
        session.execute(insert(model), rows[i : i + BATCH])


def fill(session: Session, partners: int, leads: int, rng: random.Random) -> User:
    now = utcnow()

    def when() -> dt.datetime:
        return now - dt.timedelta(minutes=rng.randint(0, 2 * 365 * 24 * 60))

    tiers = [
        Tier(name=n, rank=r, mdf_share_percent=Decimal("1.00"), discount_percent=Decimal("5.00"))
        for n, r in (("Gold", 3), ("Silver", 2))
    ]
    session.add_all(tiers)
    session.flush()
    _bulk(
        session,
        Partner,
        [
            {
                "name": f"Partner {n:04d}",
                "name_key": f"partner {n:04d}",
                "type": PartnerType.RESELLER,
                "tier_id": tiers[n % 2].id,
                "country": "DE",
                "region": Region.EMEA,
                "verticals": [],
                "website_domains": [],
                "status": PartnerStatus.ACTIVE,
                "timezone": "UTC",
                "created_at": now,
                "updated_at": now,
            }
            for n in range(partners)
        ],
    )
    pids = list(session.scalars(text("SELECT id FROM partner ORDER BY id")))
    vendor = User(
        email="vendor@bench.example",
        password_hash="x",  # noqa: S106 - nobody signs in; not a secret
        display_name="Vendor",
        role=Role.VENDOR_ADMIN,
    )
    session.add(vendor)
    _bulk(
        session,
        User,
        [
            {
                "email": f"p{pid}@bench.example",
                "password_hash": "x",
                "display_name": "P",
                "role": Role.PARTNER_ADMIN,
                "partner_id": pid,
                "active": True,
            }
            for pid in pids
        ],
    )
    users = dict(
        session.execute(
            text("SELECT partner_id, id FROM user_account WHERE partner_id IS NOT NULL")
        ).all()
    )
    lead_rows = []
    states = [
        LeadState.ACCEPTED,
        LeadState.WORKING,
        LeadState.CONVERTED,
        LeadState.LOST,
        LeadState.ASSIGNED,
    ]
    for n in range(leads):
        lead_rows.append(
            {
                "partner_id": rng.choice(pids),
                "email": f"l{n}@x.example",
                "fingerprint": uuid.uuid4().hex,
                "state": rng.choice(states),
                "created_at": when(),
                "source": "api",
                "utm": {},
            }
        )
    _bulk(session, Lead, lead_rows)
    offers = session.execute(text("SELECT id, partner_id, created_at FROM lead")).all()
    outcomes = [
        OfferOutcome.ACCEPTED,
        OfferOutcome.ACCEPTED,
        OfferOutcome.DECLINED,
        OfferOutcome.EXPIRED,
        OfferOutcome.PENDING,
    ]
    _bulk(
        session,
        LeadOffer,
        [
            {"lead_id": i, "partner_id": p, "outcome": rng.choice(outcomes), "offered_at": c}
            for i, p, c in offers
        ],
    )
    deal_rows = []
    for n in range(leads // 5):
        closed = when()
        deal_rows.append(
            {
                "partner_id": rng.choice(pids),
                "company": "Co",
                "contact_name": "A",
                "contact_email": f"d{n}@x.example",
                "country": "DE",
                "products": [],
                "estimated_value": Decimal(rng.randint(1000, 90000)),
                "expected_close": closed.date(),
                "status": rng.choice([DealStatus.WON, DealStatus.LOST, DealStatus.APPROVED]),
                "decided_at": closed,
                "created_at": closed - dt.timedelta(days=30),
                "updated_at": closed,
                "conflicts": [],
                "reminders_sent": [],
                "notes": "",
                "stage": "",
                "decision_reason": "",
                "extension_status": "",
                "extension_reason": "",
                "flagged": False,
            }
        )
    _bulk(session, DealRegistration, deal_rows)
    _bulk(
        session,
        SignIn,
        [
            {"partner_id": (p := rng.choice(pids)), "user_id": users[p], "at": when()}
            for _ in range(leads // 2)
        ],
    )
    asset = Asset(kind=AssetKind.PDF, name="Bench")
    session.add(asset)
    session.flush()
    version = AssetVersion(asset_id=asset.id, number=1, template_key="k", filename="b.pdf", size=1)
    session.add(version)
    session.flush()
    _bulk(
        session,
        AssetDownload,
        [
            {
                "asset_id": asset.id,
                "version_id": version.id,
                "partner_id": rng.choice(pids),
                "format": "pdf",
                "at": when(),
            }
            for _ in range(leads // 2)
        ],
    )
    path = LearningPath(name="Bench path", role="sales", code="BENCH")
    session.add(path)
    session.flush()
    _bulk(
        session,
        Certification,
        [
            {
                "user_id": users[p],
                "partner_id": p,
                "path_id": path.id,
                "code": "BENCH",
                "role": "sales",
                "granted_at": when(),
                "expires_at": now + dt.timedelta(days=rng.randint(-200, 300)),
                "renewals": 0,
                "points": 0,
            }
            for p in pids
        ],
    )
    campaign = Campaign(name="Bench campaign")
    session.add(campaign)
    session.flush()
    _bulk(
        session,
        Enrolment,
        [
            {
                "campaign_id": campaign.id,
                "partner_id": p,
                "status": EnrolmentStatus.APPROVED,
                "channel_ids": [],
                "edits": {},
                "invited_at": now,
                "approved_at": when(),
                "updated_at": now,
            }
            for p in pids
        ],
    )
    session.flush()
    session.execute(text("ANALYZE"))
    return vendor


def timed(label: str, rounds: int, work: Callable[[], Any]) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    median = statistics.median(times)
    print(f"{label:<44} median {median:8.1f} ms  (min {min(times):.1f}, max {max(times):.1f})")
    return median


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=1000)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    url = os.environ["TEST_DATABASE_URL"]
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-c search_path={schema}"})
    try:
        upgrade(engine)
        with Session(engine) as session:
            start = time.perf_counter()
            vendor = fill(session, args.partners, args.leads, random.Random(7))  # noqa: S311 - benchmark data, no secret
            session.commit()
            print(
                f"filled in {time.perf_counter() - start:.1f} s: {args.partners} partners, "
                f"{args.leads} leads and offers, {args.leads // 5} deals"
            )
            partner_id = session.scalar(text("SELECT min(id) FROM partner"))
            for sort in ("revenue", "win_rate", "name"):
                timed(
                    f"ranking page 1 by {sort}",
                    args.rounds,
                    lambda s=sort: scorecards.rank_partners(session, vendor, sort=s),
                )
            timed(
                "ranking, search 'Partner 09'",
                args.rounds,
                lambda: scorecards.rank_partners(session, vendor, q="Partner 09"),
            )
            timed(
                "one partner's scorecard (+ previous, trends)",
                args.rounds,
                lambda: scorecards.get_scorecard(session, vendor, partner_id),
            )
            timed(
                "CSV export of the whole ranking",
                args.rounds,
                lambda: scorecards.export_ranking(session, vendor),
            )
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
