"""What a partner's people should see (new leads): listed in the portal, marked read."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from prm_domain import access
from prm_domain.base import utcnow
from prm_domain.errors import NotFound
from prm_domain.models import Notification, User


def unread(session: Session, actor: User, *, limit: int = 5) -> list[Notification]:
    """The actor's organisation's newest unread notifications (vendor staff have none)."""
    if actor.partner_id is None or not access.status_allows(actor, access.Area.EMBEDS):
        return []
    stmt = (
        select(Notification)
        .where(Notification.partner_id == actor.partner_id, Notification.read_at.is_(None))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def mark_all_read(session: Session, actor: User) -> int:
    if actor.partner_id is None:
        raise NotFound("No notifications.")
    access.ensure_status(actor, access.Area.EMBEDS)
    result = session.execute(
        update(Notification)
        .where(Notification.partner_id == actor.partner_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)
