"""Who sees lead data: all of an organisation's leads with VIEW_LEADS, else only those assigned."""

from __future__ import annotations

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, false, or_

from prm_domain.access.rights import (
    Right,
    can_see_partner,
    has,
    partner_scope,
)
from prm_domain.access.status import (
    Area,
    ensure_status,
    status_allows,
)
from prm_domain.enums import LEAD_OWNED_STATES, LeadState
from prm_domain.errors import PermissionDenied
from prm_domain.models import User


def lead_scope(
    actor: User,
    partner_id_column: SQLColumnExpression[int] | SQLColumnExpression[int | None],
    assigned_user_column: SQLColumnExpression[int | None],
) -> ColumnElement[bool]:
    """A WHERE clause on leads: all in the actor's partner scope with VIEW_LEADS, else only
    those of the actor's organisation assigned to the actor."""
    if has(actor, Right.VIEW_LEADS):
        return partner_scope(actor, partner_id_column, Area.LEADS)
    ensure_status(actor, Area.LEADS)
    if actor.partner_id is None or not actor.active:
        return false()
    return and_(partner_id_column == actor.partner_id, assigned_user_column == actor.id)


def can_see_lead(actor: User, partner_id: int | None, assigned_user_id: int | None) -> bool:
    """A lead in the pool (no partner) is the vendor's; partners see pool leads only through
    :func:`ensure_can_claim_leads` and the routing rules, without contact details."""
    if partner_id is None:
        return actor.is_vendor and has(actor, Right.VIEW_LEADS)
    if not can_see_partner(actor, partner_id, Area.LEADS):
        return False
    return has(actor, Right.VIEW_LEADS) or (actor.active and assigned_user_id == actor.id)


def can_see_lead_contact(actor: User, state: LeadState, partner_id: int | None) -> bool:
    """Whether ``actor`` may read a lead's email and phone (given they may see the lead).

    Vendor staff always; a partner only once it owns the lead (accepted or claimed it): a lead
    in the pool or offered but not yet accepted shows who and where, not how to reach them,
    so a partner cannot decline a lead and still call it.
    """
    if actor.is_vendor:
        return has(actor, Right.VIEW_LEADS)
    return partner_id is not None and actor.partner_id == partner_id and state in LEAD_OWNED_STATES


def ensure_can_claim_leads(actor: User) -> None:
    """Claiming from the pool, like accepting and declining an offer, is the partner
    organisation's decision: its admins make it (which pool leads it may claim is routing's)."""
    ensure_status(actor, Area.LEADS)
    if actor.partner_id is not None and has(actor, Right.ASSIGN_OWN_LEADS):
        return
    raise PermissionDenied("Only a partner's admins claim leads from the pool.")


def can_claim_leads(actor: User) -> bool:
    try:
        ensure_can_claim_leads(actor)
    except PermissionDenied:
        return False
    return True


def ensure_can_answer_offer(actor: User, partner_id: int | None) -> None:
    """Accept or decline a lead offered to the organisation: its admins."""
    if partner_id is None:
        raise PermissionDenied("This lead is not offered to your organisation.")
    ensure_can_assign_leads(actor, partner_id)


def ensure_can_work_lead(actor: User, partner_id: int | None, assigned_user_id: int | None) -> None:
    """Move an owned lead on (working, converted, lost): the organisation's admins, or the
    member it is assigned to. The vendor watches; it does not work partners' leads."""
    if partner_id is not None and actor.partner_id == partner_id:
        if has(actor, Right.ASSIGN_OWN_LEADS):
            return
        if actor.active and assigned_user_id == actor.id and status_allows(actor, Area.LEADS):
            return
    raise PermissionDenied("Only the partner's admins or the lead's assignee move it on.")


def can_work_lead(actor: User, partner_id: int | None, assigned_user_id: int | None) -> bool:
    try:
        ensure_can_work_lead(actor, partner_id, assigned_user_id)
    except PermissionDenied:
        return False
    return True


def can_assign_leads(actor: User, partner_id: int) -> bool:
    try:
        ensure_can_assign_leads(actor, partner_id)
    except PermissionDenied:
        return False
    return True


def ensure_can_assign_leads(actor: User, partner_id: int) -> None:
    """Assigning is the partner's own sales business: its admins do it."""
    if has(actor, Right.ASSIGN_OWN_LEADS) and actor.partner_id == partner_id:
        return
    raise PermissionDenied("Only the partner's admins assign its leads.")


# Notifications that carry lead data (a new lead's name or email).
LEAD_NOTIFICATION_KINDS = frozenset({"lead"})
# MDF reminders speak of money: for those who see the organisation's MDF (its admins).
MDF_NOTIFICATION_KINDS = frozenset({"mdf"})


def notification_scope(
    actor: User,
    partner_id_column: SQLColumnExpression[int],
    user_id_column: SQLColumnExpression[int | None],
    kind_column: SQLColumnExpression[str],
) -> ColumnElement[bool]:
    """The notifications ``actor`` may read: their organisation's, minus those meant for
    someone else, minus lead notifications unless the actor may see every lead."""
    if actor.partner_id is None or not actor.active:
        return false()
    general: ColumnElement[bool] = user_id_column.is_(None)
    if not has(actor, Right.VIEW_LEADS):
        general = and_(general, kind_column.not_in(LEAD_NOTIFICATION_KINDS))
    if not has(actor, Right.VIEW_MDF):
        general = and_(general, kind_column.not_in(MDF_NOTIFICATION_KINDS))
    return and_(partner_id_column == actor.partner_id, or_(user_id_column == actor.id, general))
