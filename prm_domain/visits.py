"""What is new for a person: assets published and leads arrived since their last visit.

A visit's end is ``User.last_seen_at``, recorded by a small POST from the portal's pages (a GET
never writes). The portal keeps the value it found at sign-in for the whole session, so what
was new stays marked while the person looks around.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from prm_domain import access, changes
from prm_domain.access import Right
from prm_domain.base import utcnow
from prm_domain.enums import AssetStatus
from prm_domain.models import Asset, AuditEvent, Lead, Partner, User

# Without a previous visit, an asset is "new" this long after it was published.
NEW_FOR = dt.timedelta(days=14)
# Pages POST a visit at most this often: one write per person per few minutes, not per page.
VISIT_RESOLUTION = dt.timedelta(minutes=5)


def is_new(asset: Asset, since: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """Published after ``since`` (the previous visit), or within NEW_FOR when there was none."""
    if asset.published_at is None or asset.status != AssetStatus.PUBLISHED:
        return False
    if since is not None:
        return asset.published_at > since
    return asset.published_at > (now or utcnow()) - NEW_FOR


def visit_due(actor: User, now: dt.datetime | None = None) -> bool:
    """Whether the page should report this visit (the stored one is missing or stale)."""
    seen = actor.last_seen_at
    return seen is None or seen < (now or utcnow()) - VISIT_RESOLUTION


def record_visit(session: Session, actor: User, now: dt.datetime | None = None) -> bool:
    """Note that ``actor`` is in the portal now. Returns False when it was noted moments ago."""
    now = now or utcnow()
    if not visit_due(actor, now):
        return False
    actor.last_seen_at = now
    session.flush()
    return True


# The newest of the new assets a dashboard names; the rest it counts.
SHOWN_NEW_ASSETS = 5


@dataclass
class Changes:
    since: dt.datetime | None
    new_assets: list[Asset] = field(default_factory=list)  # the newest SHOWN_NEW_ASSETS
    new_asset_count: int = 0
    new_leads: int = 0
    new_partners: int = 0

    @property
    def any(self) -> bool:
        return bool(self.new_asset_count or self.new_leads or self.new_partners)


def changes_since(session: Session, actor: User, since: dt.datetime | None) -> Changes:
    """What appeared for ``actor`` after ``since`` (or within NEW_FOR when there was no visit,
    counted from the minute: a dashboard's counts need not move by the second)."""
    after = since if since is not None else (utcnow() - NEW_FOR).replace(second=0, microsecond=0)
    out = Changes(since=since)
    own_publishes = _own(session, actor, "asset.published", after)
    count_stmt, newest_stmt = _new_assets_statements(access.audience_of(actor), bool(own_publishes))
    params = {"after": after, "own": list(own_publishes)}
    # The count checks the audience of every asset published since (hundreds of rows); its
    # moment is fixed, so the answer is kept until the library changes.
    out.new_asset_count = changes.kept(
        session,
        "new assets",
        count_stmt,
        lambda: session.scalar(count_stmt, params) or 0,
        params,
        fixed_moments=True,
    )
    if out.new_asset_count:
        out.new_assets = list(session.scalars(newest_stmt, params))
    # Counted by the lead rule, like every face that shows leads: a partner user's dashboard
    # counts only the leads assigned to them, and nothing while leads are closed to them.
    if access.status_allows(actor, access.Area.LEADS):
        out.new_leads = (
            session.scalar(
                select(func.count())
                .select_from(Lead)
                .where(
                    access.lead_scope(actor, Lead.partner_id, Lead.assigned_user_id),
                    Lead.created_at > after,
                )
            )
            or 0
        )
    if access.has(actor, Right.VIEW_ALL_PARTNERS):
        own_partners = _own(session, actor, "partner.created", after)
        out.new_partners = sum(
            1
            for pid in session.scalars(select(Partner.id).where(Partner.created_at > after))
            if pid not in own_partners
        )
    return out


@functools.lru_cache(maxsize=512)
def _new_assets_statements(
    audience_key: access.AudienceKey, skip_own: bool
) -> tuple[Select[int], Select[Asset]]:
    """The count and the newest few of the assets published after ``:after`` that the
    audience (``access.audience_of``) sees, less ``:own`` when ``skip_own``. Built once per
    audience, as the library's statements are.

    The library's rule (access.assets_visible_to) as SQL: counted and the newest few read, not
    every recent asset loaded and judged one by one."""
    shown = select(Asset).where(
        Asset.status == AssetStatus.PUBLISHED,
        Asset.published_version_id.is_not(None),
        Asset.published_at > bindparam("after"),
    )
    if skip_own:
        shown = shown.where(Asset.id.not_in(bindparam("own", expanding=True)))
    if audience_key != access.EVERY_ASSET:
        # Row by row (per_row), for the count too: the recent ones are a few found through the
        # published_at index, where the grouped form would first read every audience entry.
        shown = shown.where(access.assets_visible_to(audience_key, per_row=True))
    return (
        select(func.count()).select_from(shown.subquery()),
        shown.order_by(Asset.published_at.desc(), Asset.id.desc()).limit(SHOWN_NEW_ASSETS),
    )


def _own(session: Session, actor: User, action: str, after: dt.datetime) -> set[int]:
    """Objects whose latest ``action`` since ``after`` was the vendor actor's own doing.

    What a person did themselves is not news to them. Partner users get vendor content, which
    they never publish, so only vendor staff are filtered.
    """
    if not actor.is_vendor:
        return set()
    last_actor: dict[int, int | None] = {}
    rows = session.execute(
        select(AuditEvent.object_id, AuditEvent.actor_id)
        .where(AuditEvent.action == action, AuditEvent.at > after)
        .order_by(AuditEvent.id)
    )
    for object_id, actor_id in rows:
        if object_id is not None:
            last_actor[object_id] = actor_id
    return {oid for oid, who in last_actor.items() if who == actor.id}
