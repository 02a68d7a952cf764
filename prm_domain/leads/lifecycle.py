"""A lead's life: the vendor adds it, routing offers it (or pools it), a partner accepts,
declines or claims it, works it, and converts it to a deal or loses it with a reason.

Every change of state is one conditional UPDATE on the state the caller saw (and the partner
it saw), so two answers at once (two claims, an accept racing the expiry job) have exactly one
winner; the other gets ``Conflict`` (409). Every change is audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from prm_domain import access, audit, validation
from prm_domain.base import utcnow
from prm_domain.enums import LEAD_TRANSITIONS, LeadState, OfferOutcome, Region
from prm_domain.errors import Conflict, NotFound, ValidationError
from prm_domain.leads import routing
from prm_domain.models import Lead, LeadOffer, Notification, Partner, User
from prm_domain.pagination import MAX_PAGE, MAX_PER_PAGE, Page, paginate
from prm_domain.spreadsheet import read_csv
from prm_domain.syndication.leads import get_lead, lead_link

MAX_IMPORT_ROWS = 5000
IMPORT_COLUMNS = ("name", "email", "company", "phone", "country", "region", "vertical", "message")
# How many pool leads a partner's pool page weighs against the rules (newest first).
POOL_SCAN = 500


# -- adding leads (vendor) -------------------------------------------------------------------


def _clean_lead(values: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    def opt(field: str, max_len: int) -> str:
        value = values.get(field)
        if value is None or value == "":
            return ""
        return validation.text(prefix + field, value, max_len=max_len)

    problems = {prefix + f: "unknown field" for f in values if f not in IMPORT_COLUMNS}
    clean: dict[str, str] = {}
    checks: dict[str, Any] = {
        "email": lambda: validation.email(
            prefix + "email", validation.text(prefix + "email", values.get("email"), max_len=254)
        ),
        "name": lambda: opt("name", 120),
        "company": lambda: opt("company", 200),
        "phone": lambda: opt("phone", 40),
        "country": lambda: (
            validation.country(prefix + "country", values["country"])
            if values.get("country")
            else ""
        ),
        "region": lambda: (
            validation.choice(prefix + "region", values["region"], Region).value
            if values.get("region")
            else ""
        ),
        "vertical": lambda: opt("vertical", 80),
        "message": lambda: opt("message", 4000),
    }
    for field, check in checks.items():
        try:
            clean[field] = check()
        except ValidationError as exc:
            problems.update(exc.fields)
    if problems:
        raise ValidationError.for_fields(problems)
    return clean


def create_lead(
    session: Session,
    actor: User,
    values: Mapping[str, Any],
    *,
    accept_within: dt.timedelta,
    source: str = "api",
) -> Lead:
    """A vendor lead, routed at once: offered to a partner, or left in the pool."""
    access.ensure_vendor(actor, access.Right.MANAGE_LEAD_ROUTING)
    return _add(session, actor, _clean_lead(values), source, accept_within)


def _add(
    session: Session, actor: User, clean: dict[str, str], source: str, within: dt.timedelta
) -> Lead:
    now = utcnow()
    lead = Lead(
        partner_id=None,
        source=source,
        state=LeadState.POOL,
        state_changed_at=now,
        created_at=now,
        fingerprint="",
        **clean,
    )
    session.add(lead)
    session.flush()
    audit.record(session, actor, "lead.created", lead, {"source": [None, source]})
    route(session, actor, lead, within)
    return lead


@dataclass(frozen=True)
class ImportResult:
    created: list[Lead]


def import_leads(
    session: Session, actor: User, data: bytes, *, accept_within: dt.timedelta
) -> ImportResult:
    """Leads from a CSV file (a header row naming columns of ``IMPORT_COLUMNS``, email
    required). All or nothing: one bad row refuses the file, naming every bad cell."""
    access.ensure_vendor(actor, access.Right.MANAGE_LEAD_ROUTING)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError.for_fields({"file": "must be UTF-8 CSV text"}) from None
    header, reader = read_csv(text)
    if "email" not in header:
        raise ValidationError.for_fields({"file": "needs a header row with an 'email' column"})
    unknown = [h for h in header if h not in IMPORT_COLUMNS]
    if unknown:
        raise ValidationError.for_fields(
            {"file": "unknown columns: " + ", ".join(unknown[:10])[:200]}
        )
    rows: list[dict[str, str]] = []
    problems: dict[str, str] = {}
    for number, raw in reader:
        if len(rows) >= MAX_IMPORT_ROWS:
            raise ValidationError.for_fields(
                {"file": f"has more than {MAX_IMPORT_ROWS} rows; split it"}
            )
        if None in raw:
            problems[f"row {number}"] = "has more cells than the header"
            continue
        values = {k: v for k, v in raw.items() if v not in (None, "")}
        try:
            rows.append(_clean_lead(values, prefix=f"row {number}."))
        except ValidationError as exc:
            problems.update(exc.fields)
        if len(problems) >= 50:
            break
    if problems:
        raise ValidationError("Some rows need fixing; nothing was imported.", problems)
    if not rows:
        raise ValidationError.for_fields({"file": "has no leads"})
    return ImportResult([_add(session, actor, r, "import", accept_within) for r in rows])


# -- routing -------------------------------------------------------------------------------


def route(session: Session, actor: User | None, lead: Lead, within: dt.timedelta) -> Lead:
    """Offer a pool lead to the partner the rules choose, or leave it in the pool."""
    choice = routing.choose(session, lead)
    if choice is None:
        audit.record(session, actor, "lead.pooled", lead, {"state": [None, "pool"]})
        return lead
    rule, partner_id = choice
    now = utcnow()
    _move(
        session,
        actor,
        lead,
        LeadState.ASSIGNED,
        "lead.offered",
        partner_id=partner_id,
        assigned_user_id=None,
        accept_by=now + within,
    )
    session.add(LeadOffer(lead_id=lead.id, partner_id=partner_id, rule_id=rule.id, offered_at=now))
    when = f"{lead.accept_by:%Y-%m-%d %H:%M} UTC" if lead.accept_by else "soon"
    what = lead.company or (f"a lead from {lead.country}" if lead.country else "a new lead")
    session.add(
        Notification(
            partner_id=partner_id,
            kind="lead",
            text=f"Lead offered to you: {what}; accept it by {when}"[:500],
            link=lead_link(lead.id),
        )
    )
    session.flush()
    return lead


def _move(
    session: Session,
    actor: User | None,
    lead: Lead,
    to: LeadState,
    action: str,
    **values: Any,
) -> None:
    """The state change, if it is legal from the state seen and nobody changed it since."""
    seen_state, seen_partner = lead.state, lead.partner_id
    if to not in LEAD_TRANSITIONS[seen_state]:
        raise Conflict(f"A lead that is {seen_state.value} cannot become {to.value}.")
    stmt = update(Lead).where(Lead.id == lead.id, Lead.state == seen_state)
    stmt = stmt.where(
        Lead.partner_id.is_(None) if seen_partner is None else Lead.partner_id == seen_partner
    )
    moved = session.execute(
        stmt.values(state=to, state_changed_at=utcnow(), **values).execution_options(
            synchronize_session=False
        )
    )
    if getattr(moved, "rowcount", 0) != 1:
        session.expire(lead)
        raise Conflict("The lead changed meanwhile (someone else answered first); reload it.")
    session.refresh(lead)
    changes: dict[str, Any] = {"state": [seen_state.value, to.value]}
    if lead.partner_id != seen_partner:
        changes["partner_id"] = [seen_partner, lead.partner_id]
    for key in ("lost_reason", "converted_deal_id"):
        if key in values:
            changes[key] = [None, values[key]]
    audit.record(session, actor, action, lead, changes, partner_id=lead.partner_id or seen_partner)


def _close_offer(session: Session, lead: Lead, partner_id: int, outcome: OfferOutcome) -> None:
    session.execute(
        update(LeadOffer)
        .where(
            LeadOffer.lead_id == lead.id,
            LeadOffer.partner_id == partner_id,
            LeadOffer.outcome == OfferOutcome.PENDING,
        )
        .values(outcome=outcome, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def _move_on(
    session: Session,
    actor: User | None,
    lead: Lead,
    outcome: OfferOutcome,
    within: dt.timedelta,
) -> Lead:
    """Take an offer back from its partner (declined, or lapsed) and route the lead again."""
    partner_id = lead.partner_id
    assert partner_id is not None  # an assigned lead always has its partner
    _move(
        session,
        actor,
        lead,
        LeadState.POOL,
        f"lead.{outcome.value}",
        partner_id=None,
        assigned_user_id=None,
        accept_by=None,
    )
    _close_offer(session, lead, partner_id, outcome)
    # Its notifications name a lead the partner no longer sees.
    session.execute(
        delete(Notification)
        .where(Notification.partner_id == partner_id, Notification.link == lead_link(lead.id))
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return route(session, actor, lead, within)


def expire_offers(session: Session, *, accept_within: dt.timedelta) -> int:
    """Move on every offer not accepted in time; returns how many. Idempotent: an offer
    accepted, declined or already moved on meanwhile is left alone (the conditional UPDATE
    sees it), and a second run finds nothing due."""
    now = utcnow()
    due = session.scalars(
        select(Lead)
        .where(Lead.state == LeadState.ASSIGNED, Lead.accept_by <= now)
        .order_by(Lead.id)
        .limit(500)
    ).all()
    moved = 0
    for lead in due:
        try:
            _move_on(session, None, lead, OfferOutcome.EXPIRED, accept_within)
        except Conflict:
            continue  # answered meanwhile: nothing to do
        moved += 1
    return moved


# -- a partner's answers ---------------------------------------------------------------------


def accept_lead(session: Session, actor: User, lead_id: int) -> Lead:
    lead = get_lead(session, actor, lead_id)
    access.ensure_can_answer_offer(actor, lead.partner_id)
    assert lead.partner_id is not None
    partner_id = lead.partner_id
    _move(session, actor, lead, LeadState.ACCEPTED, "lead.accepted", accept_by=None)
    _close_offer(session, lead, partner_id, OfferOutcome.ACCEPTED)
    return lead


def decline_lead(
    session: Session, actor: User, lead_id: int, *, accept_within: dt.timedelta
) -> Lead:
    lead = get_lead(session, actor, lead_id)
    access.ensure_can_answer_offer(actor, lead.partner_id)
    if lead.state != LeadState.ASSIGNED:
        raise Conflict(f"A lead that is {lead.state.value} cannot be declined.")
    return _move_on(session, actor, lead, OfferOutcome.DECLINED, accept_within)


def claim_lead(session: Session, actor: User, lead_id: int) -> Lead:
    """Take a pool lead for the actor's organisation: of two claims at once, one wins."""
    # Looked up before the role is asked, so a lead the actor's organisation could not claim
    # is a 404 for every member alike, exactly like a missing one.
    access.ensure_status(actor, access.Area.LEADS)
    lead = session.get(Lead, lead_id)
    partner = session.get(Partner, actor.partner_id) if actor.partner_id else None
    if lead is None or partner is None:
        if actor.is_vendor:
            access.ensure_can_claim_leads(actor)
        raise NotFound("Lead not found.")
    if lead.partner_id is not None:
        if lead.partner_id == actor.partner_id and access.can_see_lead(
            actor, lead.partner_id, lead.assigned_user_id
        ):
            raise Conflict("This lead is already yours.")
        if lead.partner_id != actor.partner_id and _claimed_from_pool_under(session, lead, partner):
            raise Conflict("Another partner claimed this lead first.")
        raise NotFound("Lead not found.")
    if lead.state != LeadState.POOL or not routing.may_claim(session, lead, partner):
        raise NotFound("Lead not found.")
    access.ensure_can_claim_leads(actor)
    try:
        _move(
            session,
            actor,
            lead,
            LeadState.ACCEPTED,
            "lead.claimed",
            partner_id=partner.id,
            accept_by=None,
        )
    except Conflict:
        raise Conflict("Another partner claimed this lead first.") from None
    now = utcnow()
    session.add(
        LeadOffer(
            lead_id=lead.id,
            partner_id=partner.id,
            outcome=OfferOutcome.CLAIMED,
            offered_at=now,
            decided_at=now,
        )
    )
    session.flush()
    return lead


def _claimed_from_pool_under(session: Session, lead: Lead, partner: Partner) -> bool:
    """Whether ``partner`` lost a race for this lead: it was claimed from the pool while this
    partner could have claimed it too (so it saw it in its pool; nothing new is revealed)."""
    claimed = session.scalar(
        select(LeadOffer.id).where(
            LeadOffer.lead_id == lead.id, LeadOffer.outcome == OfferOutcome.CLAIMED
        )
    )
    return claimed is not None and routing.may_claim(session, lead, partner)


def _own_lead(session: Session, actor: User, lead_id: int) -> Lead:
    lead = get_lead(session, actor, lead_id)
    access.ensure_can_work_lead(actor, lead.partner_id, lead.assigned_user_id)
    return lead


def start_working(session: Session, actor: User, lead_id: int) -> Lead:
    lead = _own_lead(session, actor, lead_id)
    _move(session, actor, lead, LeadState.WORKING, "lead.working")
    return lead


def convert_lead(session: Session, actor: User, lead_id: int, deal_id: int | None = None) -> Lead:
    """Record that the lead became a deal registration (``deal_id`` when it is known)."""
    lead = _own_lead(session, actor, lead_id)
    if deal_id is not None and not (
        isinstance(deal_id, int) and not isinstance(deal_id, bool) and 1 <= deal_id <= (2**31 - 1)
    ):
        raise ValidationError.for_fields({"deal_id": "must be a deal registration's id"})
    if deal_id is not None:
        from prm_domain.models import DealRegistration

        deal = session.get(DealRegistration, deal_id)
        if deal is None or deal.partner_id != lead.partner_id:
            raise ValidationError.for_fields({"deal_id": "not one of your deal registrations"})
    _move(session, actor, lead, LeadState.CONVERTED, "lead.converted", converted_deal_id=deal_id)
    return lead


def lose_lead(session: Session, actor: User, lead_id: int, reason: Any) -> Lead:
    lead = _own_lead(session, actor, lead_id)
    clean = validation.text("reason", reason, max_len=500)
    _move(session, actor, lead, LeadState.LOST, "lead.lost", lost_reason=clean)
    return lead


# -- reading -------------------------------------------------------------------------------


def list_pool(session: Session, actor: User, *, page: int = 1, per_page: int = 50) -> Page[Lead]:
    """Pool leads: every one for vendor staff; for a partner, those it may claim."""
    stmt = (
        select(Lead)
        .where(Lead.state == LeadState.POOL, Lead.partner_id.is_(None))
        .order_by(Lead.id.desc())
    )
    if actor.is_vendor:
        access.ensure_vendor(actor, access.Right.VIEW_LEADS)
        return paginate(session, stmt, page=page, per_page=per_page)
    access.ensure_can_claim_leads(actor)
    if not (1 <= page <= MAX_PAGE and 1 <= per_page <= MAX_PER_PAGE):
        return paginate(session, stmt, page=page, per_page=per_page)  # raises the field errors
    partner = session.get(Partner, actor.partner_id)
    assert partner is not None
    mine = [
        lead
        for lead in session.scalars(stmt.limit(POOL_SCAN))
        if routing.may_claim(session, lead, partner)
    ]
    start = (page - 1) * per_page
    return Page(items=mine[start : start + per_page], total=len(mine), page=page, per_page=per_page)


def offers_of(session: Session, actor: User, lead_id: int) -> list[LeadOffer]:
    """A lead's assignment history: the vendor's view (a partner sees only its own turns)."""
    lead = get_lead(session, actor, lead_id)
    stmt = select(LeadOffer).where(LeadOffer.lead_id == lead.id).order_by(LeadOffer.id)
    if not actor.is_vendor:
        stmt = stmt.where(LeadOffer.partner_id == actor.partner_id)
    return list(session.scalars(stmt))
