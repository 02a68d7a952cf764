"""Benchmark: launching a campaign of 5 items for 1,000 partners, and the 1,000 approvals that
schedule its posts (each partner on an X and a LinkedIn channel: 10,000 publications).

Run:  TEST_DATABASE_URL=postgresql://... .venv/bin/python bench/bench_campaign_launch.py
      [--partners 1000] [--sqlite]

The domain functions the API calls (``launch_campaign``, ``enrolments.approve``), each unit
committed as a request commits it: the launch is one request; each approval is one partner's
request (timed one by one). ``--sqlite`` runs on a SQLite file (the embedded default).
Not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from prm_domain.campaigns import campaigns, enrolments  # noqa: E402
from prm_domain.database import make_engine, make_sessionmaker, upgrade  # noqa: E402
from prm_domain.enums import ChannelKind, Role  # noqa: E402
from prm_domain.models import Enrolment, Partner, Publication, Tier, User  # noqa: E402
from prm_domain.models.channel import Channel  # noqa: E402

BASE = "https://portal.example"
HASH = "not-a-password-hash"
ITEMS = [
    "{{ partner.name }} now sells Nimbus: {{ link }}",
    "Day two with Nimbus at {{ partner.name }}. Questions? {{ contact.phone }}",
    "Why our customers pick Nimbus, by {{ partner.name }}: {{ link }}",
    "Nimbus webinar next week, hosted by {{ partner.name }}.",
    "Last call: Nimbus spring offer at {{ partner.name }}, {{ link }}",
]


def world(url: str, partners: int) -> tuple[int, list[tuple[int, int, list[int]]]]:
    """A vendor marketer, ``partners`` partners each with an admin and two channels; returns
    the marketer's id and (partner id, admin id, channel ids) per partner."""
    engine = make_engine(url)
    upgrade(engine)
    with make_sessionmaker(engine)() as s:
        tier = Tier(name="T", rank=1, mdf_share_percent=0, discount_percent=0, content_access=[])
        marketer = User(email="mm@vendor.example", password_hash=HASH, display_name="MM",
                        role=Role.MARKETING_MANAGER)  # fmt: skip
        s.add_all([tier, marketer])
        s.flush()
        tag = uuid.uuid4().hex[:6]
        ids = s.scalars(
            insert(Partner).returning(Partner.id, sort_by_parameter_order=True),
            [
                {
                    "name": f"Partner {n} {tag}",
                    "name_key": f"partner {n} {tag}",
                    "type": "reseller",
                    "tier_id": tier.id,
                    "country": "DE",
                    "region": "EMEA",
                    "status": "active",
                    "timezone": "Europe/Berlin",
                }
                for n in range(partners)
            ],
        ).all()
        admins = s.scalars(
            insert(User).returning(User.id, sort_by_parameter_order=True),
            [
                {
                    "email": f"admin{n}-{tag}@p.example",
                    "password_hash": HASH,
                    "display_name": "Admin",
                    "role": Role.PARTNER_ADMIN,
                    "partner_id": pid,
                }
                for n, pid in enumerate(ids)
            ],
        ).all()
        out = []
        for pid, admin in zip(ids, admins, strict=True):
            channels = []
            for kind in (ChannelKind.X, ChannelKind.LINKEDIN):
                c = Channel(partner_id=pid, kind=kind, account=f"{kind.value}-{pid}")
                s.add(c)
                channels.append(c)
            out.append((pid, admin, channels))
        s.flush()
        result = [(pid, admin, [c.id for c in cs]) for pid, admin, cs in out]
        s.commit()
        marketer_id = marketer.id
    engine.dispose()
    return marketer_id, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=1000)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    schema = ""
    admin_engine = None
    if args.sqlite:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-launch-')}/bench.db"
    else:
        base = os.environ["TEST_DATABASE_URL"]
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin_engine = make_engine(base)
        with admin_engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in base else "?"
        url = f"{base}{sep}options=-csearch_path%3D{schema}"
    try:
        t = time.perf_counter()
        marketer_id, partners = world(url, args.partners)
        print(f"world: {args.partners} partners in {time.perf_counter() - t:.1f} s")
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        with sessions() as s:
            marketer = s.get(User, marketer_id)
            assert marketer is not None
            campaign = campaigns.create_campaign(s, marketer, {"name": "Nimbus spring launch"})
            for day, body in enumerate(ITEMS):
                values: dict[str, Any] = {"kind": "social", "text": body, "editable": ["text"],
                          "max_length": 280, "day": day, "time": "09:00"}  # fmt: skip
                campaigns.add_item(s, marketer, campaign.id, values)
            s.commit()
            campaign_id = campaign.id
        # The launch: one request.
        with sessions() as s:
            marketer = s.get(User, marketer_id)
            assert marketer is not None
            t = time.perf_counter()
            campaigns.launch_campaign(s, marketer, campaign_id)
            s.commit()
            launch = time.perf_counter() - t
        with sessions() as s:
            invited = s.scalar(select(func.count()).where(Enrolment.campaign_id == campaign_id))
            by_partner = dict(
                s.execute(
                    select(Enrolment.partner_id, Enrolment.id).where(
                        Enrolment.campaign_id == campaign_id
                    )
                ).all()
            )
        print(f"launch (5 items, {invited} partners invited): {launch:.2f} s")
        # Each partner approves: one request each.
        took = []
        t0 = time.perf_counter()
        for pid, admin_id, channel_ids in partners:
            with sessions() as s:
                admin = s.get(User, admin_id)
                assert admin is not None
                t = time.perf_counter()
                enrolments.approve(s, admin, by_partner[pid], {"channel_ids": channel_ids}, BASE)
                s.commit()
                took.append(time.perf_counter() - t)
        total = time.perf_counter() - t0
        with sessions() as s:
            posts = s.scalar(select(func.count()).where(Publication.campaign_id == campaign_id))
        took.sort()
        q = statistics.quantiles(took, n=100)
        print(
            f"approvals: {len(took)} in {total:.1f} s, {posts} publications scheduled; "
            f"per approval median {statistics.median(took) * 1000:.0f} ms, "
            f"p95 {q[94] * 1000:.0f} ms, max {took[-1] * 1000:.0f} ms"
        )
        print(f"load average now: {os.getloadavg()}")
        engine.dispose()
    finally:
        if admin_engine is not None:
            with admin_engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin_engine.dispose()


if __name__ == "__main__":
    main()
