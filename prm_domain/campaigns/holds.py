"""Pausing and resuming: what happens to publications already scheduled.

Rule: a pause (the partner's enrolment or the vendor's whole campaign) *holds* every
publication still ``scheduled``: it becomes ``skipped`` with ``last_error == HELD``, so the
dispatcher (which claims ``scheduled`` rows only) never takes it, by the same conditional
UPDATE that makes a concurrent claim and a pause exclusive. A resume puts back to
``scheduled`` the held ones whose time is still ahead; those whose time passed during the
pause stay ``skipped`` with ``MISSED`` (a week-old "launch today" post would be wrong, and a
partner wanting it can re-approve a duplicate). A publication already ``publishing`` when
the pause comes finishes: its request may be on its way.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from prm_domain.base import utcnow
from prm_domain.enums import PublicationState
from prm_domain.models import Publication

HELD = "held: the campaign is paused"
MISSED = "skipped: its time passed while the campaign was paused"


def hold(
    session: Session, *, campaign_id: int | None = None, enrolment_id: int | None = None
) -> int:
    stmt = update(Publication).where(Publication.state == PublicationState.SCHEDULED)
    if campaign_id is not None:
        stmt = stmt.where(Publication.campaign_id == campaign_id)
    if enrolment_id is not None:
        stmt = stmt.where(Publication.enrolment_id == enrolment_id)
    result = session.execute(
        stmt.values(state=PublicationState.SKIPPED, last_error=HELD, updated_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    session.expire_all()
    return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


def release(session: Session, *, enrolment_id: int) -> int:
    now = utcnow()
    held = (
        Publication.enrolment_id == enrolment_id,
        Publication.state == PublicationState.SKIPPED,
        Publication.last_error == HELD,
    )
    result = session.execute(
        update(Publication)
        .where(*held, Publication.due_at > now)
        .values(state=PublicationState.SCHEDULED, last_error="", updated_at=now),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        update(Publication).where(*held).values(last_error=MISSED, updated_at=now),
        execution_options={"synchronize_session": False},
    )
    session.expire_all()
    return int(result.rowcount)  # type: ignore[attr-defined]
