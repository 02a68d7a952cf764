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
)
from prm_domain.errors import PermissionDenied
from prm_domain.models import User


def lead_scope(
    actor: User,
    partner_id_column: SQLColumnExpression[int],
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


def can_see_lead(actor: User, partner_id: int, assigned_user_id: int | None) -> bool:
    if not can_see_partner(actor, partner_id, Area.LEADS):
        return False
    return has(actor, Right.VIEW_LEADS) or (actor.active and assigned_user_id == actor.id)


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
    return and_(partner_id_column == actor.partner_id, or_(user_id_column == actor.id, general))
