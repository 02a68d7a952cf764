"""The one access policy. Every service and query asks here; nothing else decides who may do what.

Partner users see and change only their own organisation's objects; vendor roles see every
partner, with the rights their role carries. Where a partner user asks for another tenant's
object, the answer is ``NotFound``: whether it exists is itself private.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, false, or_, true

from prm_domain.enums import Role
from prm_domain.errors import NotFound, PermissionDenied
from prm_domain.models import Partner, User


class Right(StrEnum):
    VIEW_ALL_PARTNERS = "view_all_partners"
    MANAGE_PARTNERS = "manage_partners"  # create partners, change any field
    EDIT_OWN_PARTNER_PROFILE = "edit_own_partner_profile"
    MANAGE_TIERS = "manage_tiers"
    MANAGE_VENDOR_USERS = "manage_vendor_users"  # add and deactivate the vendor's own staff
    MANAGE_ALL_PARTNER_USERS = "manage_all_partner_users"
    MANAGE_OWN_USERS = "manage_own_users"
    VIEW_AUDIT = "view_audit"
    MANAGE_ASSETS = "manage_assets"  # upload templates, set zones, publish, batch-render
    EDIT_OWN_BRAND = "edit_own_brand"
    MANAGE_ALL_BRANDS = "manage_all_brands"
    MANAGE_OWN_EMBEDS = "manage_own_embeds"
    # Leads are personal data: every lead in scope (vendor: all partners; partner admin: their
    # organisation's). Without it, a partner user sees only the leads assigned to them.
    VIEW_LEADS = "view_leads"
    ASSIGN_OWN_LEADS = "assign_own_leads"
    PROPOSE_PARTNER_CHANGE = "propose_partner_change"


RIGHTS: dict[Role, frozenset[Right]] = {
    Role.VENDOR_ADMIN: frozenset(Right)
    - {
        Right.EDIT_OWN_PARTNER_PROFILE,
        Right.MANAGE_OWN_USERS,
        Right.EDIT_OWN_BRAND,
        Right.MANAGE_OWN_EMBEDS,
        Right.ASSIGN_OWN_LEADS,
        Right.PROPOSE_PARTNER_CHANGE,
    },
    Role.CHANNEL_MANAGER: frozenset(
        {
            Right.VIEW_ALL_PARTNERS,
            Right.VIEW_LEADS,
            Right.MANAGE_PARTNERS,
            Right.MANAGE_ALL_PARTNER_USERS,
            Right.VIEW_AUDIT,
        }
    ),
    Role.MARKETING_MANAGER: frozenset(
        {Right.VIEW_ALL_PARTNERS, Right.MANAGE_ASSETS, Right.VIEW_LEADS}
    ),
    Role.PARTNER_ADMIN: frozenset(
        {
            Right.EDIT_OWN_PARTNER_PROFILE,
            Right.MANAGE_OWN_USERS,
            Right.EDIT_OWN_BRAND,
            Right.MANAGE_OWN_EMBEDS,
            Right.VIEW_LEADS,
            Right.ASSIGN_OWN_LEADS,
            Right.PROPOSE_PARTNER_CHANGE,
        }
    ),
    Role.PARTNER_USER: frozenset(),
}

# Fields of their own organisation that a partner admin may change; the rest (tier, status,
# type, region, verticals, DPA date) is the vendor's: tier, type, region and verticals decide
# which content a partner gets. The name is the vendor's too: names are unique, and a
# partner trying names would learn other tenants' (see PROPOSABLE_PARTNER_FIELDS).
PARTNER_PROFILE_FIELDS = frozenset({"business_model", "website_domains"})
# What a partner admin may ask the vendor to change (a PartnerChangeRequest the vendor decides).
PROPOSABLE_PARTNER_FIELDS = frozenset({"name", "type", "region", "verticals"})


def has(actor: User, right: Right) -> bool:
    return actor.active and right in RIGHTS[actor.role]


def require(actor: User, right: Right, message: str = "Your role does not allow this.") -> None:
    if not has(actor, right):
        raise PermissionDenied(message)


def partner_scope(actor: User, partner_id_column: ColumnElement[int]) -> ColumnElement[bool]:
    """A WHERE clause limiting a query on a tenant-owned table to what ``actor`` may see."""
    if has(actor, Right.VIEW_ALL_PARTNERS):
        return true()
    if actor.partner_id is None:
        return false()
    return partner_id_column == actor.partner_id


def can_see_partner(actor: User, partner_id: int) -> bool:
    return has(actor, Right.VIEW_ALL_PARTNERS) or actor.partner_id == partner_id


def ensure_visible(actor: User, partner_id: int | None, what: str = "Object") -> None:
    """Raise NotFound unless ``actor`` may see an object owned by ``partner_id``."""
    if partner_id is None:
        if not actor.is_vendor:
            raise NotFound(f"{what} not found.")
        return
    if not can_see_partner(actor, partner_id):
        raise NotFound(f"{what} not found.")


def ensure_can_edit_partner(actor: User, partner: Partner, fields: set[str]) -> None:
    ensure_visible(actor, partner.id, "Partner")
    if has(actor, Right.MANAGE_PARTNERS):
        return
    if has(actor, Right.EDIT_OWN_PARTNER_PROFILE) and actor.partner_id == partner.id:
        vendor_only = sorted(fields - PARTNER_PROFILE_FIELDS)
        if vendor_only:
            raise PermissionDenied(
                "Only the vendor may change: " + ", ".join(vendor_only) + ".",
                {
                    f: "set by the vendor; propose a change"
                    if f in PROPOSABLE_PARTNER_FIELDS
                    else "set by the vendor"
                    for f in vendor_only
                },
            )
        return
    raise PermissionDenied("Your role may not change this partner.")


def ensure_can_view_users(actor: User, partner_id: int) -> None:
    ensure_visible(actor, partner_id, "Partner")
    if has(actor, Right.VIEW_ALL_PARTNERS):
        return
    if has(actor, Right.MANAGE_OWN_USERS) and actor.partner_id == partner_id:
        return
    raise PermissionDenied("Only partner admins see their organisation's users.")


def ensure_can_manage_users(actor: User, partner_id: int) -> None:
    ensure_visible(actor, partner_id, "Partner")
    if has(actor, Right.MANAGE_ALL_PARTNER_USERS):
        return
    if has(actor, Right.MANAGE_OWN_USERS) and actor.partner_id == partner_id:
        return
    raise PermissionDenied("Your role may not manage this organisation's users.")


def ensure_can_edit_brand(actor: User, partner_id: int) -> None:
    ensure_visible(actor, partner_id, "Partner")
    if has(actor, Right.MANAGE_ALL_BRANDS):
        return
    if has(actor, Right.EDIT_OWN_BRAND) and actor.partner_id == partner_id:
        return
    raise PermissionDenied("Only the partner's admins change its brand kit.")


def ensure_can_manage_embeds(actor: User, partner_id: int) -> None:
    """Embeds are the partner's own website business: its admins, nobody else, change them."""
    ensure_visible(actor, partner_id, "Partner")
    if has(actor, Right.MANAGE_OWN_EMBEDS) and actor.partner_id == partner_id:
        return
    raise PermissionDenied("Only the partner's admins manage its embeds.")


def ensure_can_propose_partner_change(actor: User, partner_id: int) -> None:
    ensure_visible(actor, partner_id, "Partner")
    if has(actor, Right.PROPOSE_PARTNER_CHANGE) and actor.partner_id == partner_id:
        return
    raise PermissionDenied("Only the partner's admins propose changes to its profile.")


def ensure_can_view_partner_changes(actor: User, partner_id: int) -> None:
    ensure_visible(actor, partner_id, "Partner")
    if has(actor, Right.VIEW_ALL_PARTNERS):
        return
    if has(actor, Right.PROPOSE_PARTNER_CHANGE) and actor.partner_id == partner_id:
        return
    raise PermissionDenied("Only the partner's admins see its proposed changes.")


def lead_scope(
    actor: User,
    partner_id_column: SQLColumnExpression[int],
    assigned_user_column: SQLColumnExpression[int | None],
) -> ColumnElement[bool]:
    """A WHERE clause on leads: all in the actor's partner scope with VIEW_LEADS, else only
    those of the actor's organisation assigned to the actor."""
    if has(actor, Right.VIEW_LEADS):
        return partner_scope(actor, partner_id_column)  # type: ignore[arg-type]
    if actor.partner_id is None or not actor.active:
        return false()
    return and_(partner_id_column == actor.partner_id, assigned_user_column == actor.id)


def can_see_lead(actor: User, partner_id: int, assigned_user_id: int | None) -> bool:
    if not can_see_partner(actor, partner_id):
        return False
    return has(actor, Right.VIEW_LEADS) or (actor.active and assigned_user_id == actor.id)


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
