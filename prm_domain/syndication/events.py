"""Impressions, clicks and leads per day, embed and item, counted with one upsert each."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from prm_domain.base import utcnow
from prm_domain.errors import ValidationError
from prm_domain.models import Embed, EmbedDailyStat, User
from prm_domain.syndication.embeds import get_embed

MAX_EVENTS = 100


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


def record(session: Session, embed: Embed, raw: Any, item_ids: set[int]) -> int:
    """Count a batch from the widget; events for items the embed does not show are dropped."""
    if not isinstance(raw, list) or len(raw) > MAX_EVENTS:
        raise ValidationError.for_fields(
            {"events": f"must be a list of at most {MAX_EVENTS} events"}
        )
    tally: Counter[tuple[int, str]] = Counter()
    for event in raw:
        if not isinstance(event, dict):
            raise ValidationError.for_fields({"events": "each event must be an object"})
        kind, item = event.get("type"), event.get("item_id")
        if kind not in ("impression", "click"):
            raise ValidationError.for_fields({"events.type": 'must be "impression" or "click"'})
        if isinstance(item, int) and not isinstance(item, bool) and item in item_ids:
            tally[(item, kind)] += 1
    for (item, kind), n in tally.items():
        count(
            session,
            embed,
            item,
            impressions=n if kind == "impression" else 0,
            clicks=n if kind == "click" else 0,
        )
    return sum(tally.values())


def stats(session: Session, actor: User, embed_id: int, *, days: int = 30) -> dict[str, Any]:
    """Per day and per item: impressions, clicks, click-through rate, leads."""
    embed = get_embed(session, actor, embed_id)
    if not 1 <= days <= 366:
        raise ValidationError.for_fields({"days": "must be between 1 and 366"})
    since = utcnow().date() - dt.timedelta(days=days - 1)
    rows = list(
        session.scalars(
            select(EmbedDailyStat)
            .where(EmbedDailyStat.embed_id == embed.id, EmbedDailyStat.day >= since)
            .order_by(EmbedDailyStat.day)
        )
    )
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
        return round(d["clicks"] / d["impressions"], 4) if d["impressions"] else 0.0

    totals = {k: sum(d[k] for d in by_day.values()) for k in ("impressions", "clicks", "leads")}
    return {
        "embed_id": embed.id,
        "days": [{"day": d.isoformat(), **v, "ctr": ctr(v)} for d, v in by_day.items()],
        "items": [{"item_id": i, **v, "ctr": ctr(v)} for i, v in sorted(per_item.items())],
        "totals": {**totals, "ctr": ctr(totals)},
    }
