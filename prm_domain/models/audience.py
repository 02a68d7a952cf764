"""Audiences as rows, so SQL can match content to a partner with an index.

An asset's or syndicated item's audience is four JSON lists (tier ids, regions, partner types,
verticals; prm_domain.audience). Each value is mirrored here as a tag ("region:EMEA") and the
target keeps ``audience_dims``, the number of non-empty lists (each entry carries it too). A
partner matches a target when the target's entries among the partner's own tags cover all its
dimensions: one indexed pass over the entries with the partner's tags, grouped by target,
gives every matching target at once (prm_domain.audience.sql_matches_tags), not a Python pass
over every row. The lists stay the source of truth; the listeners below rewrite the mirror in
the same flush whenever a target's lists change, so no service can forget to.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, String, delete, event, insert, inspect
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column

from prm_domain.base import Base

# Audience field -> dimension name in the mirror.
DIMENSIONS = {
    "audience_tier_ids": "tier",
    "audience_regions": "region",
    "audience_partner_types": "type",
    "audience_verticals": "vertical",
}
_PENDING = "cobrand.audience_pending"


class AudienceEntry(Base):
    __tablename__ = "audience_entry"
    __table_args__ = (Index("ix_audience_entry_target_type_tag", "target_type", "tag"),)

    # "asset" | "item": the ``__audience_target__`` of the target's class.
    target_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    target_id: Mapped[int] = mapped_column(primary_key=True)
    tag: Mapped[str] = mapped_column(String(80), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16))
    # The target's audience_dims, so one GROUP BY over the entries decides a match.
    target_dims: Mapped[int]


def entries_of(target: Any) -> list[tuple[str, str]]:
    """(dimension, tag) for every value of the target's audience lists."""
    out = []
    for field, dimension in DIMENSIONS.items():
        for value in getattr(target, field) or ():
            out.append((dimension, f"{dimension}:{value}"))
    return out


def dims_of(target: Any) -> int:
    return sum(1 for field in DIMENSIONS if getattr(target, field))


def target_type(obj: Any) -> str | None:
    """The mirror's name for the object's kind, None for anything without an audience."""
    return getattr(type(obj), "__audience_target__", None)


def _is_target(obj: Any) -> bool:
    return target_type(obj) is not None


def _changed(obj: Any) -> bool:
    state = inspect(obj)
    return any(state.attrs[field].history.has_changes() for field in DIMENSIONS)


@event.listens_for(Session, "before_flush")
def _count_dimensions(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    # Recomputed on every flush: a flush that failed leaves nothing stale behind.
    pending: dict[int, Any] = {}
    for obj in session.new:
        if _is_target(obj):
            pending[id(obj)] = obj
    for obj in session.dirty:
        if _is_target(obj) and _changed(obj):
            pending[id(obj)] = obj
    for obj in pending.values():
        obj.audience_dims = dims_of(obj)
    session.info[_PENDING] = list(pending.values())


@event.listens_for(Session, "after_flush")
def _mirror_entries(session: Session, _flush: UOWTransaction) -> None:
    pending = session.info.pop(_PENDING, [])
    gone = [obj for obj in session.deleted if _is_target(obj)]
    connection = session.connection()
    for obj in [*pending, *gone]:
        connection.execute(
            delete(AudienceEntry).where(
                AudienceEntry.target_type == target_type(obj), AudienceEntry.target_id == obj.id
            )
        )
    rows = [
        {
            "target_type": target_type(obj),
            "target_id": obj.id,
            "tag": tag,
            "dimension": dim,
            "target_dims": obj.audience_dims,
        }
        for obj in pending
        if obj not in gone
        for dim, tag in set(entries_of(obj))
    ]
    if rows:
        connection.execute(insert(AudienceEntry), rows)
