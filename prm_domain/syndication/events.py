"""Impressions, clicks and leads per day, embed and item, counted with one upsert each."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from prm_domain.base import utcnow
from prm_domain.errors import ValidationError
from prm_domain.models import Embed, EmbedDailyStat, EmbedViewEvent, User
from prm_domain.syndication import page_views
from prm_domain.syndication.embeds import get_embed

MAX_EVENTS = 100
# How long a page view is remembered: longer than its token is accepted (page_views.TTL), so a
# token can never count again once its rows are purged; small next to the table it fills.
VIEW_MEMORY = dt.timedelta(days=2)


def count(
    session: Session,
    embed: Embed,
    item_id: int,
    *,
    impressions: int = 0,
    clicks: int = 0,
    leads: int = 0,
    day: dt.date | None = None,
) -> None:
    """Add to the item's row and to the embed's total row (item 0) for the day."""
    day = day or utcnow().date()
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    for target in {item_id, 0}:
        stmt = insert(EmbedDailyStat).values(
            embed_id=embed.id,
            item_id=target,
            day=day,
            impressions=impressions,
            clicks=clicks,
            leads=leads,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["embed_id", "item_id", "day"],
            set_={
                "impressions": EmbedDailyStat.impressions + impressions,
                "clicks": EmbedDailyStat.clicks + clicks,
                "leads": EmbedDailyStat.leads + leads,
            },
        )
        session.execute(stmt)


def record(
    session: Session, embed: Embed, raw: Any, item_ids: set[int], page_view: Any, *, secret: str
) -> int:
    """Count a batch from the widget for one page view; returns how many events counted.

    ``page_view`` is the token the content answer issued (page_views.issue, signed with
    ``secret``): a made-up, foreign (another embed's) or day-old one counts nothing
    (PageViewRefused), so a fresh view costs a content fetch and a beacon within the limits.

    A page view counts an item's impression at most once and its click at most once, and the
    click only once that item's impression is in: a batch of 100 identical clicks, a click with
    no impression, or a page view sent again and again adds at most what one visitor's page
    could. So clicks never outnumber impressions, and the click-through rate stays a rate.
    The unique row per (embed, page view, item, kind) decides, so parallel requests agree.
    Events for items the embed does not show are dropped.
    """
    if not isinstance(raw, list) or len(raw) > MAX_EVENTS:
        raise ValidationError.for_fields(
            {"events": f"must be a list of at most {MAX_EVENTS} events"}
        )
    view = page_views.verify(secret, embed.key, page_view)
    wanted: dict[str, set[int]] = {"impression": set(), "click": set()}
    for event in raw:
        if not isinstance(event, dict):
            raise ValidationError.for_fields({"events": "each event must be an object"})
        kind, item = event.get("type"), event.get("item_id")
        if kind not in ("impression", "click"):
            raise ValidationError.for_fields({"events.type": 'must be "impression" or "click"'})
        if isinstance(item, int) and not isinstance(item, bool) and item in item_ids:
            wanted[kind].add(item)
    now = utcnow()
    shown = _first_time(session, embed, view, "impression", wanted["impression"], now)
    for item in shown:
        count(session, embed, item, impressions=1, day=now.date())
    # A click counts on the day of its impression: a day's clicks never exceed its impressions.
    rows = session.execute(
        select(EmbedViewEvent.item_id, EmbedViewEvent.at).where(
            EmbedViewEvent.embed_id == embed.id,
            EmbedViewEvent.page_view == view,
            EmbedViewEvent.kind == "impression",
            EmbedViewEvent.item_id.in_(wanted["click"]),
        )
    )
    seen: dict[int, dt.datetime] = {item: at for item, at in rows}
    clicked = _first_time(session, embed, view, "click", set(seen), now)
    for item in clicked:
        count(session, embed, item, clicks=1, day=seen[item].date())
    return len(shown) + len(clicked)


def _first_time(
    session: Session, embed: Embed, page_view: str, kind: str, items: set[int], now: dt.datetime
) -> list[int]:
    """Record (page view, item, kind) for these items; the items recorded now for the first
    time. INSERT ... ON CONFLICT DO NOTHING RETURNING: a parallel request's row makes ours a
    no-op (it waits for that request to finish first), never a second count."""
    if not items:
        return []
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(EmbedViewEvent)
        .values(
            [
                {
                    "embed_id": embed.id,
                    "page_view": page_view,
                    "item_id": i,
                    "kind": kind,
                    "at": now,
                }
                for i in sorted(items)
            ]
        )
        .on_conflict_do_nothing(index_elements=["embed_id", "page_view", "item_id", "kind"])
        .returning(EmbedViewEvent.item_id)
    )
    return sorted(session.scalars(stmt))


def purge_view_events(session: Session, *, older_than: dt.timedelta = VIEW_MEMORY) -> int:
    """Forget page views old enough that their page no longer sends events (a periodic task)."""
    result = session.execute(
        delete(EmbedViewEvent).where(EmbedViewEvent.at < utcnow() - older_than)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def stats(session: Session, actor: User, embed_id: int, *, days: int = 30) -> dict[str, Any]:
    """Per day and per item: impressions, clicks, click-through rate, leads."""
    embed = get_embed(session, actor, embed_id)
    if not 1 <= days <= 366:
        raise ValidationError.for_fields({"days": "must be between 1 and 366"})
    since = utcnow().date() - dt.timedelta(days=days - 1)
    # The counts only, not objects: a month of an embed's days and items is a few hundred rows.
    rows = session.execute(
        select(
            EmbedDailyStat.item_id,
            EmbedDailyStat.day,
            EmbedDailyStat.impressions,
            EmbedDailyStat.clicks,
            EmbedDailyStat.leads,
        )
        .where(EmbedDailyStat.embed_id == embed.id, EmbedDailyStat.day >= since)
        .order_by(EmbedDailyStat.day)
    ).all()
    by_day = {
        since + dt.timedelta(days=i): {"impressions": 0, "clicks": 0, "leads": 0}
        for i in range(days)
    }
    per_item: dict[int, dict[str, int]] = {}
    for row in rows:
        if row.item_id == 0:
            by_day[row.day] = {
                "impressions": row.impressions,
                "clicks": row.clicks,
                "leads": row.leads,
            }
        else:
            agg = per_item.setdefault(row.item_id, {"impressions": 0, "clicks": 0, "leads": 0})
            for key in agg:
                agg[key] += getattr(row, key)

    def ctr(d: dict[str, int]) -> float:
        # Counting per page view keeps clicks within impressions; days counted before it did
        # may not be, and a rate above 100 % means nothing to anyone.
        return round(min(1.0, d["clicks"] / d["impressions"]), 4) if d["impressions"] else 0.0

    totals = {k: sum(d[k] for d in by_day.values()) for k in ("impressions", "clicks", "leads")}
    return {
        "embed_id": embed.id,
        "days": [{"day": d.isoformat(), **v, "ctr": ctr(v)} for d, v in by_day.items()],
        "items": [{"item_id": i, **v, "ctr": ctr(v)} for i, v in sorted(per_item.items())],
        "totals": {**totals, "ctr": ctr(totals)},
    }
