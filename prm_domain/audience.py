"""Who a piece of vendor content is for. One rule for assets and syndicated items alike.

An audience is four lists: tier ids, regions, partner types, verticals. An empty list means
everyone; a partner must match every non-empty list (verticals by overlap).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    bindparam,
    case,
    delete,
    distinct,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from prm_domain import changes, validation
from prm_domain.enums import PartnerStatus, PartnerType, Region
from prm_domain.errors import ValidationError
from prm_domain.models import Partner, Tier
from prm_domain.models.audience import DIMENSIONS, AudienceEntry

FIELDS = ("audience_tier_ids", "audience_regions", "audience_partner_types", "audience_verticals")


class HasAudience(Protocol):
    audience_tier_ids: list[int]
    audience_regions: list[str]
    audience_partner_types: list[str]
    audience_verticals: list[str]


def matches(target: HasAudience, partner: Partner) -> bool:
    return (
        (not target.audience_tier_ids or partner.tier_id in target.audience_tier_ids)
        and (not target.audience_regions or partner.region.value in target.audience_regions)
        and (
            not target.audience_partner_types or partner.type.value in target.audience_partner_types
        )
        and (
            not target.audience_verticals
            or bool(set(partner.verticals) & set(target.audience_verticals))
        )
    )


def _tier_names(tiers: Mapping[int, tuple[str, int]], ids: list[int]) -> list[str]:
    found = [tiers[i] for i in ids if i in tiers]
    return [name for name, _rank in sorted(found, key=lambda t: -t[1])]


# Every tier's name and rank: a vendor has a handful of tiers, and every library page names
# them on its cards; kept in a web process until a tier changes (prm_domain.changes).
_TIER_NAMES = select(Tier.id, Tier.name, Tier.rank)


def _tiers(session: Session, targets: Sequence[HasAudience]) -> Mapping[int, tuple[str, int]]:
    """The name and rank of each tier, by id (when the targets' audiences name any)."""
    if not any(t.audience_tier_ids for t in targets):
        return {}
    return changes.kept(
        session,
        "tier_names",
        _TIER_NAMES,
        lambda: {id_: (name, rank) for id_, name, rank in session.execute(_TIER_NAMES)},
    )


def _groups(tiers: Mapping[int, tuple[str, int]], target: HasAudience) -> list[list[str]]:
    return [
        g
        for g in (
            _tier_names(tiers, target.audience_tier_ids),
            [Region(r).label for r in target.audience_regions],
            [PartnerType(t).label for t in target.audience_partner_types],
            list(target.audience_verticals),
        )
        if g
    ]


def describe(session: Session, target: HasAudience) -> str:
    """Who the content is for, in a few words for a card: "All partners", "Gold only",
    "Gold, Silver · EMEA"."""
    return _label(_groups(_tiers(session, [target]), target))


def describe_each(session: Session, targets: Sequence[HasAudience]) -> list[str]:
    """``describe`` for each of a page of targets (a library's cards), in their order, with one
    query for the tiers they name."""
    tiers = _tiers(session, targets)
    return [_label(_groups(tiers, t)) for t in targets]


def _label(groups: list[list[str]]) -> str:
    if not groups:
        return "All partners"
    label = " · ".join(", ".join(g) for g in groups)
    return f"{label} only" if len(groups) == 1 else label


def why_not(session: Session, target: HasAudience, partner: Partner) -> str | None:
    """Why ``partner`` is outside the audience (None when it is inside), e.g. "tier Silver"."""
    reasons = []
    if target.audience_tier_ids and partner.tier_id not in target.audience_tier_ids:
        tier = session.get(Tier, partner.tier_id) if partner.tier_id else None
        reasons.append(f"tier {tier.name if tier else 'none'}")
    if target.audience_regions and partner.region.value not in target.audience_regions:
        reasons.append(f"region {partner.region.label}")
    if target.audience_partner_types and partner.type.value not in target.audience_partner_types:
        reasons.append(f"type {partner.type.label}")
    if target.audience_verticals and not set(partner.verticals) & set(target.audience_verticals):
        reasons.append("no matching vertical")
    return ", ".join(reasons) or None


def reach(session: Session, target: HasAudience) -> int:
    """How many active partners the content reaches: what a publish tells the vendor."""
    active = session.scalars(select(Partner).where(Partner.status == PartnerStatus.ACTIVE))
    # Matched in Python with the same rule as listing and reading, not re-derived in SQL.
    return sum(1 for partner in active if matches(target, partner))


def clean(session: Session, values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate whichever audience fields ``values`` holds; other keys are left alone."""
    out: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for field in FIELDS:
        if field not in values:
            continue
        try:
            out[field] = _RULES[field](session, values[field])
        except ValidationError as exc:
            problems.update(exc.fields)
    if problems:
        raise ValidationError.for_fields(problems)
    return out


def _tier_ids(session: Session, value: Any) -> list[int]:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and 0 < v <= validation.MAX_ID for v in value
    ):
        raise validation.fail("audience_tier_ids", "must be a list of tier ids")
    unknown = [v for v in value if session.get(Tier, v) is None]
    if unknown:
        raise validation.fail("audience_tier_ids", f"unknown tier ids: {unknown}")
    return sorted(set(value))


def _choices(field: str, enum: Any) -> Any:
    def rule(_session: Session, value: Any) -> list[str]:
        items = validation.string_list(field, value, max_items=10, max_len=40)
        return [validation.choice(field, v, enum).value for v in items]

    return rule


_RULES: dict[str, Any] = {
    "audience_tier_ids": _tier_ids,
    "audience_regions": _choices("audience_regions", Region),
    "audience_partner_types": _choices("audience_partner_types", PartnerType),
    "audience_verticals": lambda _s, v: validation.string_list(
        "audience_verticals", v, max_items=30, max_len=60
    ),
}


def partner_tags(partner: Partner) -> list[str]:
    """The partner's side of the mirror (prm_domain.models.audience): one tag per value it
    has in each dimension."""
    return [
        f"tier:{partner.tier_id}",
        f"region:{partner.region.value}",
        f"type:{partner.type.value}",
        *(f"vertical:{v}" for v in partner.verticals),
    ]


def tags_of(partner: Partner) -> tuple[str, ...]:
    """``partner_tags`` as a value to key on: partners with equal tags are in the same
    audiences."""
    return tuple(partner_tags(partner))


def sql_matches_tags(
    model: Any, tags: tuple[str, ...], *, per_row: bool = False
) -> ColumnElement[bool]:
    # Built once per audience: partners with the same tags ask the same condition, and building
    # it (a few hundred clause objects) cost as much as running it. SQL clauses are immutable.
    return _sql_matches(model, tags, per_row)


@functools.lru_cache(maxsize=1024)
def _sql_matches(model: Any, tags: tuple[str, ...], per_row: bool) -> ColumnElement[bool]:
    """``matches`` as a SQL condition on ``model`` (Asset or SyndicatedItem): everyone, or the
    target's entries among the partner's tags cover all of its dimensions. The subquery does
    not depend on the row, so the database runs it once (an index range per tag, grouped by
    target) and probes its result; tests hold it equal to ``matches``.

    ``per_row``: the same rule as a subquery per row (a few entries read through the mirror's
    primary key), for queries that stop after a few rows in an index's order (an embed's
    newest items): they then read a few rows' entries instead of grouping every target's."""
    if per_row:
        covered = (
            select(func.count(distinct(AudienceEntry.dimension)))
            .where(
                AudienceEntry.target_type == model.__audience_target__,
                AudienceEntry.target_id == model.id,
                AudienceEntry.tag.in_(tags),
            )
            .scalar_subquery()
        )
        return or_(model.audience_dims == 0, covered == model.audience_dims)
    matching = (
        select(AudienceEntry.target_id)
        .where(
            AudienceEntry.target_type == model.__audience_target__,
            AudienceEntry.tag.in_(tags),
        )
        .group_by(AudienceEntry.target_id, AudienceEntry.target_dims)
        # The dimensions covered: count(DISTINCT dimension), as a sum of one flag per dimension
        # (a hash aggregate; no sort of every group).
        .having(
            sum(
                (
                    func.max(case((AudienceEntry.dimension == d, 1), else_=0))
                    for d in DIMENSIONS.values()
                ),
                literal(0),
            )
            == AudienceEntry.target_dims
        )
    )
    return or_(model.audience_dims == 0, model.id.in_(matching))


def rebuild_entries(session: Session) -> None:
    """Rewrite the mirror from the lists, for rows written in bulk past the ORM (the size-up
    data set); the ORM's own writes keep it by themselves."""
    from prm_domain.models import Asset, SyndicatedItem

    session.execute(delete(AudienceEntry))
    for model in (Asset, SyndicatedItem):
        rows = session.execute(select(model.id, *(getattr(model, f) for f in FIELDS))).all()
        entries = []
        dims = []
        for row in rows:
            target = dict(zip(FIELDS, row[1:], strict=True))
            count = sum(1 for f in FIELDS if target[f])
            if count:
                dims.append({"tid": row[0], "dims": count})
            for field, dimension in DIMENSIONS.items():
                for value in set(target[field] or ()):
                    entries.append(
                        {
                            "target_type": model.__audience_target__,
                            "target_id": row[0],
                            "tag": f"{dimension}:{value}",
                            "dimension": dimension,
                            "target_dims": count,
                        }
                    )
        table: Any = model.__table__
        session.execute(update(table).values(audience_dims=0))
        if dims:
            session.execute(
                update(table)
                .where(table.c.id == bindparam("tid"))
                .values(audience_dims=bindparam("dims")),
                dims,
            )
        for start in range(0, len(entries), 5000):
            session.execute(insert(AudienceEntry), entries[start : start + 5000])
