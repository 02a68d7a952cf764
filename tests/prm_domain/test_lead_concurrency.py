"""Lead routing under real concurrent connections on Postgres: the round-robin pointer hands
each turn out once, and of partners claiming one pool lead at once exactly one wins."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from prm_domain.enums import Role
from prm_domain.errors import Conflict
from prm_domain.leads import lifecycle, routing
from prm_domain.models import Lead, User
from tests.concurrency import Committed, committed_postgres, in_parallel
from tests.seed import add_partner, add_tier

pytestmark = pytest.mark.postgres

WITHIN = dt.timedelta(hours=1)


@pytest.fixture
def db() -> Iterator[Committed]:
    yield from committed_postgres()


def test_round_robin_and_claims_race_safely(db: Committed) -> None:
    with db.sessions() as s:
        tier = add_tier(s, "Lead tier", 100)
        partners = [add_partner(s, f"Partner {i}", tier.id) for i in range(4)]
        admins = [db.user(s, Role.PARTNER_ADMIN, p.id).id for p in partners]
        vendor_user = db.user(s, Role.VENDOR_ADMIN)
        vendor = vendor_user.id
        routing.create_rule(s, vendor_user, {"name": "EMEA", "regions": ["EMEA"]})
        s.commit()

    def add(region: str) -> int | None:
        with db.sessions() as s:
            actor = s.get(User, vendor)
            assert actor is not None
            lead = lifecycle.create_lead(
                s, actor, {"email": "a@b.example", "region": region}, accept_within=WITHIN
            )
            s.commit()
            return lead.partner_id

    # Eight leads routed at once to four equals: two each, never a turn handed out twice.
    got = in_parallel(8, lambda _: add("EMEA"))
    assert Counter(got) == {p.id: 2 for p in partners}

    pool_lead = add("APAC")  # no rule matches: the pool, open to every active partner
    assert pool_lead is None
    with db.sessions() as s:
        lead_id = max(s.scalars(select(Lead.id)))

    def claim(i: int) -> str:
        with db.sessions() as s:
            actor = s.get(User, admins[i])
            assert actor is not None
            try:
                lifecycle.claim_lead(s, actor, lead_id)
            except Conflict:
                return "409"
            s.commit()
            return "won"

    assert sorted(in_parallel(4, claim)) == ["409", "409", "409", "won"]
