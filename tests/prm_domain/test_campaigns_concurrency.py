"""Approving at once from many connections schedules one set of publications (Postgres, real
concurrent transactions: the conditional UPDATE of the enrolment and the unique keys)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from prm_domain.campaigns import campaigns, enrolments
from prm_domain.enums import EnrolmentStatus, Role
from prm_domain.models import Enrolment, Publication, User
from tests.concurrency import Committed, committed_postgres, in_parallel

pytestmark = pytest.mark.postgres

APPROVALS = 8


@pytest.fixture
def db() -> Iterator[Committed]:
    yield from committed_postgres()


def test_parallel_approvals_schedule_one_set(db: Committed) -> None:
    with db.sessions() as s:
        partner = db.partner(s)
        admin = db.user(s, Role.PARTNER_ADMIN, partner.id)
        marketing = db.user(s, Role.MARKETING_MANAGER)
        campaign = campaigns.create_campaign(s, marketing, {"name": "Race"})
        for day in (0, 1, 2):
            campaigns.add_item(
                s, marketing, campaign.id, {"kind": "social", "text": "Hi", "day": day}
            )
        campaigns.launch_campaign(s, marketing, campaign.id)
        enrolment_id = s.scalars(
            select(Enrolment.id).where(Enrolment.partner_id == partner.id)
        ).one()
        admin_id = admin.id
        s.commit()

    def approve(_i: int) -> EnrolmentStatus:
        with db.sessions() as s:
            actor = s.get(User, admin_id)
            assert actor is not None
            enrolment = enrolments.approve(s, actor, enrolment_id, {}, "https://p.example")
            s.commit()
            return enrolment.status

    outcomes = in_parallel(APPROVALS, approve)
    assert outcomes == [EnrolmentStatus.APPROVED] * APPROVALS
    with db.sessions() as s:
        count = s.scalar(
            select(func.count())
            .select_from(Publication)
            .where(Publication.enrolment_id == enrolment_id)
        )
        assert count == 3
