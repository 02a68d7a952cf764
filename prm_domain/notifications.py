"""What a partner's people should see (new leads, newly published assets): listed in the portal,
marked read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from prm_domain import access
from prm_domain.base import utcnow
from prm_domain.errors import NotFound
from prm_domain.models import Asset, Notification, Partner, User


def _mine(actor: User) -> Any:
    return access.notification_scope(
        actor, Notification.partner_id, Notification.user_id, Notification.kind
    )


def unread(session: Session, actor: User, *, limit: int = 5) -> list[Notification]:
    """The actor's newest unread notifications (vendor staff have none); lead data only for
    those who may see the lead."""
    if actor.partner_id is None or not access.status_allows(actor, access.Area.EMBEDS):
        return []
    stmt = (
        select(Notification)
        .where(_mine(actor), Notification.read_at.is_(None))
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
        .where(_mine(actor), Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def notify_published(session: Session, asset: Asset, *, updated: bool = False) -> int:
    """Tell every partner in the asset's audience that its published version is out.

    Idempotent: one notification per partner and published version (a unique key), so a retried
    or repeated publish, even two at once, tells nobody twice. Returns how many were added.
    """
    if asset.published_version_id is None:
        return 0
    key = f"asset:{asset.id}:version:{asset.published_version_id}"
    told = set(
        session.scalars(select(Notification.partner_id).where(Notification.dedupe_key == key))
    )
    # Told only where the asset is visible (access: published, partner active, in the audience):
    # a prospect or a suspended partner is not handed news it cannot open.
    candidates = session.scalars(select(Partner))
    verb = "Updated in the library" if updated else "New in the library"
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "partner_id": p.id,
            "kind": "asset",
            "text": f"{verb}: {asset.name}"[:500],
            "link": f"/library/{asset.id}",
            "dedupe_key": key,
            "created_at": now,
        }
        for p in candidates
        if p.id not in told and access.asset_visible_to_partner(p, asset)
    ]
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(Notification)
        .on_conflict_do_nothing(index_elements=["partner_id", "dedupe_key"])
        .returning(Notification.id)
    )
    # RETURNING counts the rows really added (a batch's rowcount is not reliable).
    return len(session.execute(stmt, rows).all())


def notify_user(
    session: Session,
    *,
    partner_id: int,
    user_id: int | None,
    kind: str,
    text: str,
    link: str,
    dedupe_key: str,
) -> int:
    """One notification, at most once per partner and ``dedupe_key`` (1 if added, else 0)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    row = {
        "partner_id": partner_id,
        "user_id": user_id,
        "kind": kind,
        "text": text[:500],
        "link": link,
        "dedupe_key": dedupe_key,
        "created_at": utcnow(),
    }
    stmt = (
        insert(Notification)
        .on_conflict_do_nothing(index_elements=["partner_id", "dedupe_key"])
        .returning(Notification.id)
    )
    return len(session.execute(stmt, [row]).all())
