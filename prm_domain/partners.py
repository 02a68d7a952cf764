"""Partner organisations: the tenants of the portal."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from prm_domain import access, audit, auth, changes, timezones, validation
from prm_domain.access import Right
from prm_domain.enums import BusinessModel, PartnerStatus, PartnerType, Region
from prm_domain.errors import Conflict, NotFound, ValidationError
from prm_domain.models import Partner, Tier, User
from prm_domain.pagination import Page, paginate

REQUIRED = ("name", "type", "tier_id", "country", "region")


def _tier_id(session: Session) -> Callable[[Any], int]:
    def rule(value: Any) -> int:
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not 1 <= value <= validation.MAX_ID  # beyond the column: would overflow the driver
            or session.get(Tier, value) is None
        ):
            raise validation.fail("tier_id", "is not a known tier")
        return value

    return rule


def clean_values(session: Session, values: Mapping[str, Any]) -> dict[str, Any]:
    """Partner fields checked and normalised (``name_key`` added for a name)."""
    rules: dict[str, Callable[[Any], Any]] = {
        "name": lambda v: validation.text("name", v, max_len=200),
        "type": lambda v: validation.choice("type", v, PartnerType),
        "tier_id": _tier_id(session),
        "country": lambda v: validation.country("country", v),
        "region": lambda v: validation.choice("region", v, Region),
        "verticals": lambda v: validation.string_list("verticals", v, max_items=20, max_len=60),
        "business_model": lambda v: (
            None if v is None else validation.choice("business_model", v, BusinessModel)
        ),
        "website_domains": lambda v: [
            validation.hostname("website_domains", d)
            for d in validation.string_list("website_domains", v, max_items=20, max_len=253)
        ],
        "status": lambda v: validation.choice("status", v, PartnerStatus),
        "dpa_signed_on": lambda v: validation.past_date("dpa_signed_on", v),
        "timezone": lambda v: timezones.clean("timezone", v),
    }
    problems = {f: "unknown field" for f in values if f not in rules}
    clean: dict[str, Any] = {}
    for field, value in values.items():
        if field in rules:
            try:
                clean[field] = rules[field](value)
            except ValidationError as exc:
                problems.update(exc.fields)
    if problems:
        raise ValidationError.for_fields(problems)
    if "name" in clean:
        clean["name_key"] = clean["name"].casefold()
        # Case-folding can lengthen ("ß" -> "ss"); the key column holds 200 like the name.
        if len(clean["name_key"]) > 200:
            raise ValidationError.for_fields({"name": "is too long once case-folded"})
    return clean


def _ensure_unique_name(session: Session, name_key: str, exclude_id: int | None = None) -> None:
    clash = session.scalar(
        select(Partner.id).where(Partner.name_key == name_key, Partner.id != (exclude_id or 0))
    )
    if clash:
        raise Conflict("A partner with this name exists already.", {"name": "already used"})


def get_partner(session: Session, actor: User, partner_id: int) -> Partner:
    access.ensure_visible(actor, partner_id, "Partner")
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise NotFound("Partner not found.")
    return partner


def names(session: Session, actor: User, ids: Iterable[int]) -> dict[int, str]:
    """The names of the partners among ``ids`` that ``actor`` may see: a list's rows name their
    partner (a vendor's lead, deal or embed lists). Kept until a partner changes: the same page
    asks the same names again."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    stmt = select(Partner.id, Partner.name).where(
        Partner.id.in_(wanted), access.partner_scope(actor, Partner.id)
    )
    rows = changes.kept(
        session,
        "partner names",
        stmt,
        lambda: tuple((pid, name) for pid, name in session.execute(stmt)),
    )
    return dict(rows)


def list_partners(
    session: Session,
    actor: User,
    *,
    q: str | None = None,
    tier_id: int | None = None,
    status: PartnerStatus | None = None,
    type: PartnerType | None = None,
    region: Region | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[Partner]:
    stmt = select(Partner).where(access.partner_scope(actor, Partner.id))
    if q is not None:
        q = validation.text("q", q, max_len=200, required=False)  # no NUL: Postgres refuses it
    if q:
        like = validation.contains_pattern(q.casefold())
        stmt = stmt.where(
            or_(Partner.name_key.like(like, escape="\\"), Partner.country == q.strip().upper())
        )
    if tier_id is not None:
        in_range = 1 <= tier_id <= validation.MAX_ID
        stmt = stmt.where(Partner.tier_id == tier_id if in_range else false())
    if status is not None:
        stmt = stmt.where(Partner.status == status)
    if type is not None:
        stmt = stmt.where(Partner.type == type)
    if region is not None:
        stmt = stmt.where(Partner.region == region)
    return paginate(session, stmt.order_by(Partner.name_key), page=page, per_page=per_page)


def create_partner(session: Session, actor: User, values: Mapping[str, Any]) -> Partner:
    access.require(
        actor, Right.MANAGE_PARTNERS, "Only channel managers and vendor admins add partners."
    )
    missing = {f: "is required" for f in REQUIRED if f not in values}
    if missing:
        raise ValidationError.for_fields(missing)
    if values.get("timezone", "") is None:  # not given: the country's default below
        values = {k: v for k, v in values.items() if k != "timezone"}
    clean = clean_values(session, values)
    _ensure_unique_name(session, clean["name_key"])
    # The country's zone where it has one; else UTC until the partner sets its own.
    zone = timezones.default_for_country(clean["country"])
    partner = Partner(**{"verticals": [], "website_domains": [], "timezone": zone, **clean})
    session.add(partner)
    session.flush()
    audit.record(
        session,
        actor,
        "partner.created",
        partner,
        {k: v for k, v in clean.items() if k != "name_key"},
        partner_id=partner.id,
    )
    return partner


def update_partner(
    session: Session, actor: User, partner_id: int, values: Mapping[str, Any]
) -> Partner:
    partner = get_partner(session, actor, partner_id)
    access.ensure_can_edit_partner(actor, partner, set(values))
    if any(values.get(f, "") is None for f in (*REQUIRED, "status")):
        nulls = [f for f in (*REQUIRED, "status") if f in values and values[f] is None]
        raise ValidationError.for_fields({f: "may not be null" for f in nulls})
    clean = clean_values(session, values)
    if "name_key" in clean:
        _ensure_unique_name(session, clean["name_key"], exclude_id=partner.id)
    changes = audit.diff(partner, {k: v for k, v in clean.items() if k != "name_key"})
    old_tier_id = partner.tier_id
    for field, value in clean.items():
        setattr(partner, field, value)
    session.flush()
    if "tier_id" in clean:
        session.expire(partner, ["tier"])  # else tier_name still shows the old tier
        if partner.tier_id != old_tier_id:
            from prm_domain import tier_rules

            tier_rules.record_tier_set(session, actor, partner, old_tier_id)
    if changes:
        audit.record(session, actor, "partner.updated", partner, changes, partner_id=partner.id)
    if clean.get("status") == PartnerStatus.EXITED:
        # Exit ends every session and token for good, not only while exited: the status gate
        # alone would let them answer again the day the vendor re-activates the partner.
        # Suspension keeps them (its people are led to the notice, docs/access.md).
        ended = auth.end_partner_sessions(session, partner.id)
        if ended:
            audit.record(
                session,
                actor,
                "partner.sessions_ended",
                partner,
                {"ended": ended},
                partner_id=partner.id,
            )
    return partner
