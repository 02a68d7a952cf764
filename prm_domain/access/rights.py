"""Roles and rights, tenant scopes, and the checks on partners, users, brand kits and embeds."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ColumnElement, SQLColumnExpression, false, true

from prm_domain.access.status import (
    Area,
    ensure_status,
    status_allows,
)
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
    # Connect, list and remove the organisation's publishing channels (LinkedIn, X, SMTP,
    # webhook): its own accounts and credentials, so its admins only; never the vendor.
    MANAGE_OWN_CHANNELS = "manage_own_channels"
    # Package, launch, pause and duplicate campaigns; see every partner's enrolment and results.
    MANAGE_CAMPAIGNS = "manage_campaigns"
    # Approve, edit, opt out of and pause the organisation's campaigns; its mailing contacts.
    RUN_OWN_CAMPAIGNS = "run_own_campaigns"
    # Market development funds: see balances, requests, claims, ROI (own organisation's only
    # for partner admins); the vendor's funds and allocations, payment and export; deciding
    # requests and claims; a partner admin's requests and claims.
    VIEW_MDF = "view_mdf"
    MANAGE_MDF = "manage_mdf"
    APPROVE_MDF = "approve_mdf"
    REQUEST_MDF = "request_mdf"
    # The vendor's direct pipeline (accounts, opportunities) and the review of registrations.
    MANAGE_ACCOUNTS = "manage_accounts"
    REVIEW_DEALS = "review_deals"
    REGISTER_DEALS = "register_deals"
    # The CRM's deal webhooks: their signing secrets, and every deal leaves through them.
    MANAGE_DEAL_WEBHOOKS = "manage_deal_webhooks"
    # The vendor's own leads: add them (API, CSV import) and set the routing rules.
    MANAGE_LEAD_ROUTING = "manage_lead_routing"
    MANAGE_TRAINING = "manage_training"  # courses, quizzes, learning paths
    SIGN_DPA = "sign_dpa"  # sign the data processing addendum for the own organisation
    # Scorecards: every partner's performance, ranked (vendor staff); the own organisation's
    # (partner admins, who see its deals, leads and MDF already).
    VIEW_SCORECARDS = "view_scorecards"


RIGHTS: dict[Role, frozenset[Right]] = {
    Role.VENDOR_ADMIN: frozenset(Right)
    - {
        Right.EDIT_OWN_PARTNER_PROFILE,
        Right.MANAGE_OWN_USERS,
        Right.EDIT_OWN_BRAND,
        Right.MANAGE_OWN_EMBEDS,
        Right.ASSIGN_OWN_LEADS,
        Right.PROPOSE_PARTNER_CHANGE,
        Right.MANAGE_OWN_CHANNELS,
        Right.RUN_OWN_CAMPAIGNS,
        Right.REQUEST_MDF,
        Right.REGISTER_DEALS,
        Right.SIGN_DPA,
    },
    Role.CHANNEL_MANAGER: frozenset(
        {
            Right.VIEW_MDF,
            Right.MANAGE_MDF,
            Right.APPROVE_MDF,
            Right.MANAGE_ACCOUNTS,
            Right.REVIEW_DEALS,
            Right.VIEW_ALL_PARTNERS,
            Right.MANAGE_TRAINING,
            Right.VIEW_LEADS,
            Right.MANAGE_PARTNERS,
            Right.MANAGE_ALL_PARTNER_USERS,
            Right.VIEW_AUDIT,
            Right.MANAGE_LEAD_ROUTING,
            Right.VIEW_SCORECARDS,
        }
    ),
    Role.MARKETING_MANAGER: frozenset(
        {
            Right.VIEW_ALL_PARTNERS,
            Right.MANAGE_ASSETS,
            Right.VIEW_LEADS,
            Right.MANAGE_CAMPAIGNS,
            Right.VIEW_MDF,
            Right.APPROVE_MDF,
            Right.MANAGE_TRAINING,
            Right.VIEW_SCORECARDS,
        }
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
            Right.MANAGE_OWN_CHANNELS,
            Right.RUN_OWN_CAMPAIGNS,
            Right.VIEW_MDF,
            Right.REQUEST_MDF,
            Right.REGISTER_DEALS,
            Right.SIGN_DPA,
            Right.VIEW_SCORECARDS,
        }
    ),
    Role.PARTNER_USER: frozenset({Right.REGISTER_DEALS}),
}


# The area each right belongs to (vendor rights too, for completeness: vendors pass every gate).
RIGHT_AREAS: dict[Right, Area] = {
    Right.VIEW_ALL_PARTNERS: Area.ORGANISATION,
    Right.MANAGE_PARTNERS: Area.ORGANISATION,
    Right.EDIT_OWN_PARTNER_PROFILE: Area.ORGANISATION,
    Right.MANAGE_TIERS: Area.ORGANISATION,
    Right.MANAGE_VENDOR_USERS: Area.ORGANISATION,
    Right.MANAGE_ALL_PARTNER_USERS: Area.ORGANISATION,
    Right.MANAGE_OWN_USERS: Area.ORGANISATION,
    Right.VIEW_AUDIT: Area.ORGANISATION,
    Right.MANAGE_ASSETS: Area.CONTENT,
    Right.EDIT_OWN_BRAND: Area.ORGANISATION,
    Right.MANAGE_ALL_BRANDS: Area.ORGANISATION,
    Right.MANAGE_OWN_EMBEDS: Area.EMBEDS,
    Right.VIEW_LEADS: Area.LEADS,
    Right.ASSIGN_OWN_LEADS: Area.LEADS,
    Right.PROPOSE_PARTNER_CHANGE: Area.ORGANISATION,
    # Connecting accounts is preparation (a prospect may do it); posts go out only for
    # partners whose status opens campaigns.
    Right.MANAGE_OWN_CHANNELS: Area.ORGANISATION,
    Right.MANAGE_CAMPAIGNS: Area.CONTENT,
    # Campaigns are vendor content in the partner's brand: active partners only.
    Right.RUN_OWN_CAMPAIGNS: Area.CONTENT,
    Right.VIEW_MDF: Area.MDF,
    Right.MANAGE_MDF: Area.MDF,
    Right.APPROVE_MDF: Area.MDF,
    Right.REQUEST_MDF: Area.MDF,
    Right.MANAGE_ACCOUNTS: Area.ORGANISATION,
    Right.REVIEW_DEALS: Area.ORGANISATION,
    Right.REGISTER_DEALS: Area.DEALS,
    Right.MANAGE_DEAL_WEBHOOKS: Area.ORGANISATION,
    Right.MANAGE_LEAD_ROUTING: Area.ORGANISATION,
    # Training is part of onboarding: open to prospects and onboarding partners too.
    Right.MANAGE_TRAINING: Area.ORGANISATION,
    Right.SIGN_DPA: Area.ORGANISATION,
    # Revenue and MDF return are what an active partnership produces: active partners only.
    # Counts only, no personal data, so no data processing addendum is asked for.
    Right.VIEW_SCORECARDS: Area.MDF,
}


# Fields of their own organisation that a partner admin may change; the rest (tier, status,
# type, region, verticals, DPA date) is the vendor's: tier, type, region and verticals decide
# which content a partner gets. The name is the vendor's too: names are unique, and a
# partner trying names would learn other tenants' (see PROPOSABLE_PARTNER_FIELDS).
PARTNER_PROFILE_FIELDS = frozenset({"business_model", "website_domains", "timezone"})
# What a partner admin may ask the vendor to change (a PartnerChangeRequest the vendor decides).
PROPOSABLE_PARTNER_FIELDS = frozenset({"name", "type", "region", "verticals"})


def has(actor: User, right: Right) -> bool:
    return actor.active and right in RIGHTS[actor.role] and status_allows(actor, RIGHT_AREAS[right])


def require(actor: User, right: Right, message: str = "Your role does not allow this.") -> None:
    if actor.active and right in RIGHTS[actor.role]:
        ensure_status(actor, RIGHT_AREAS[right])  # the role would allow it: say why not
    if not has(actor, right):
        raise PermissionDenied(message)


def partner_scope(
    actor: User,
    partner_id_column: SQLColumnExpression[int] | SQLColumnExpression[int | None],
    area: Area = Area.ORGANISATION,
) -> ColumnElement[bool]:
    """A WHERE clause limiting a query on a tenant-owned table to what ``actor`` may see."""
    ensure_status(actor, area)
    if has(actor, Right.VIEW_ALL_PARTNERS):
        return true()
    if actor.partner_id is None:
        return false()
    return partner_id_column == actor.partner_id


def can_see_partner(actor: User, partner_id: int, area: Area = Area.ORGANISATION) -> bool:
    return status_allows(actor, area) and (
        has(actor, Right.VIEW_ALL_PARTNERS) or actor.partner_id == partner_id
    )


def ensure_visible(
    actor: User, partner_id: int | None, what: str = "Object", area: Area = Area.ORGANISATION
) -> None:
    """Raise NotFound unless ``actor`` may see an object owned by ``partner_id``.

    The status gate comes first: a suspended partner's user learns why, and nothing about
    whether the object exists.
    """
    ensure_status(actor, area)
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
    ensure_visible(actor, partner_id, "Partner", Area.EMBEDS)
    if has(actor, Right.MANAGE_OWN_EMBEDS) and actor.partner_id == partner_id:
        return
    raise PermissionDenied("Only the partner's admins manage its embeds.")


def can_edit_brand(actor: User, partner_id: int) -> bool:
    try:
        ensure_can_edit_brand(actor, partner_id)
    except (NotFound, PermissionDenied):
        return False
    return True


def can_manage_embeds(actor: User, partner_id: int | None) -> bool:
    if partner_id is None:
        return False
    try:
        ensure_can_manage_embeds(actor, partner_id)
    except (NotFound, PermissionDenied):
        return False
    return True


def can_edit_partner(actor: User, partner: Partner) -> bool:
    """Whether the actor may change at least the profile fields of ``partner``."""
    fields = set() if has(actor, Right.MANAGE_PARTNERS) else set(PARTNER_PROFILE_FIELDS)
    try:
        ensure_can_edit_partner(actor, partner, fields)
    except (NotFound, PermissionDenied):
        return False
    return True


def ensure_vendor(
    actor: User, right: Right | None = None, message: str = "Your role does not allow this."
) -> None:
    """For vendor-only pages: a partner user gets NotFound (the page does not exist for them),
    vendor staff without ``right`` get PermissionDenied."""
    if not actor.is_vendor:
        raise NotFound("Page not found.")
    if right is not None:
        require(actor, right, message)


def can_propose_partner_change(actor: User, partner_id: int) -> bool:
    try:
        ensure_can_propose_partner_change(actor, partner_id)
    except (NotFound, PermissionDenied):
        return False
    return True


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
