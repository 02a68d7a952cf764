"""The one access policy. Every service and query asks here; nothing else decides who may do what.

Partner users see and change only their own organisation's objects; vendor roles see every
partner, with the rights their role carries. Where a partner user asks for another tenant's
object, the answer is ``NotFound``: whether it exists is itself private.

Three more questions are answered here and nowhere else (docs/access.md has the table):

- **Partner status**: what a partner's people may use depends on its organisation's status
  (``STATUS_AREAS``). Every right, tenant scope and content read of a partner user passes
  :func:`ensure_status`; a refusal is :class:`PartnerInactive`, which names the status.
- **Visibility of content**: :func:`asset_visible_to_partner` and
  :func:`item_visible_to_partner` decide what vendor content a partner gets, for the library,
  renders, downloads, batch jobs, tracked links, syndicated items, embeds and their downloads.
- **Embeds and tracked links of a partner**: :func:`embeds_served_for` and
  :func:`link_attributed`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, false, or_, true

from prm_domain import audience
from prm_domain.base import utcnow
from prm_domain.enums import AssetStatus, PartnerStatus, Role
from prm_domain.errors import NotFound, PermissionDenied
from prm_domain.models import Asset, AssetVersion, Partner, SyndicatedItem, User


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


class Area(StrEnum):
    """What a partner's people use, as far as the organisation's status decides it."""

    NOTICE = "notice"  # sign in to the portal, read the own account and the status notice
    ORGANISATION = "organisation"  # API tokens, own profile, users, brand kit, the tier programme
    CONTENT = "content"  # the library, renders, downloads, tracked links, syndicated items
    EMBEDS = "embeds"  # embeds made, changed and served on websites; their stats and leads


# What each partner status opens. Prospects and onboarding partners prepare (profile, team,
# brand kit) but get no vendor content and no embeds until the vendor activates them; a
# suspended partner's people may sign in to read why, nothing else; an exited partner's
# people cannot sign in at all. Vendor staff are never gated by a partner's status.
STATUS_AREAS: dict[PartnerStatus, frozenset[Area]] = {
    PartnerStatus.PROSPECT: frozenset({Area.NOTICE, Area.ORGANISATION}),
    PartnerStatus.ONBOARDING: frozenset({Area.NOTICE, Area.ORGANISATION}),
    PartnerStatus.ACTIVE: frozenset(Area),
    PartnerStatus.SUSPENDED: frozenset({Area.NOTICE}),
    PartnerStatus.EXITED: frozenset(),
}

STATUS_NOTICES: dict[PartnerStatus, str] = {
    PartnerStatus.PROSPECT: (
        "Your organisation is a prospective partner: the content library, website embeds and "
        "leads open once the vendor activates the partnership."
    ),
    PartnerStatus.ONBOARDING: (
        "Your organisation is still onboarding: the content library, website embeds and leads "
        "open once the vendor activates the partnership. Meanwhile, set up your brand kit and team."
    ),
    PartnerStatus.ACTIVE: "Your organisation's partnership is active.",
    PartnerStatus.SUSPENDED: (
        "Your organisation's partnership is suspended: the portal, the API and your website "
        "embeds are closed until the vendor lifts the suspension. Contact your channel manager."
    ),
    PartnerStatus.EXITED: (
        "Your organisation's partnership has ended: its accounts can no longer sign in."
    ),
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
    Right.VIEW_LEADS: Area.EMBEDS,
    Right.ASSIGN_OWN_LEADS: Area.EMBEDS,
    Right.PROPOSE_PARTNER_CHANGE: Area.ORGANISATION,
}


class PartnerInactive(PermissionDenied):
    """The partner's status does not open this (``code`` names the status: partner_suspended)."""

    def __init__(self, status: PartnerStatus) -> None:
        super().__init__(STATUS_NOTICES[status], {"partner_status": status.value})
        self.status = status
        self.code = f"partner_{status.value}"


# -- partner status ---------------------------------------------------------------------------


def partner_allows(partner: Partner | None, area: Area) -> bool:
    return partner is not None and area in STATUS_AREAS[partner.status]


def _partner_of(actor: User) -> Partner | None:
    partner = actor.partner
    if partner is None or partner.id != actor.partner_id:
        return None  # unknown (an unsaved user): closed, never open by default
    return partner


def status_allows(actor: User, area: Area) -> bool:
    """Whether the actor's organisation's status opens ``area`` (vendor staff: always)."""
    if actor.is_vendor:
        return True
    return partner_allows(_partner_of(actor), area)


def ensure_status(actor: User, area: Area) -> None:
    """PartnerInactive (naming the status) unless the actor's organisation may use ``area``."""
    if status_allows(actor, area):
        return
    partner = _partner_of(actor)
    raise PartnerInactive(partner.status if partner is not None else PartnerStatus.EXITED)


def may_sign_in(user: User) -> bool:
    """Sign-in, sessions and tokens: the account is active and its organisation not exited."""
    return user.active and status_allows(user, Area.NOTICE)


def ensure_may_sign_in(user: User) -> None:
    ensure_status(user, Area.NOTICE)


# Fields of their own organisation that a partner admin may change; the rest (tier, status,
# type, region, verticals, DPA date) is the vendor's: tier, type, region and verticals decide
# which content a partner gets. The name is the vendor's too: names are unique, and a
# partner trying names would learn other tenants' (see PROPOSABLE_PARTNER_FIELDS).
PARTNER_PROFILE_FIELDS = frozenset({"business_model", "website_domains"})
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


# -- visibility of content --------------------------------------------------------------------


def item_is_live(item: SyndicatedItem, now: dt.datetime | None = None) -> bool:
    """Active and inside its window (either end open)."""
    now = now or utcnow()
    return (
        item.active
        and (item.starts_at is None or item.starts_at <= now)
        and (item.ends_at is None or now < item.ends_at)
    )


def asset_is_published(asset: Asset) -> bool:
    return asset.status == AssetStatus.PUBLISHED and asset.published_version_id is not None


def is_published_version(asset: Asset, version: AssetVersion) -> bool:
    """Whether ``version`` is what partners get now (edits to it reach them at once)."""
    return asset_is_published(asset) and asset.published_version_id == version.id


def asset_visible_to_partner(partner: Partner, asset: Asset) -> bool:
    """Published, the partner's status opens content, and the partner is in the audience."""
    return (
        asset_is_published(asset)
        and partner_allows(partner, Area.CONTENT)
        and audience.matches(asset, partner)
    )


def item_visible_to_partner(
    partner: Partner, item: SyndicatedItem, asset: Asset | None, now: dt.datetime | None = None
) -> bool:
    """Live, in the item's audience and, for an item that offers an asset, the asset is
    visible to the partner too: an item never widens its asset's audience.

    ``asset`` is the item's asset (None when it has none, or it was deleted).
    """
    if item.asset_id is not None and (asset is None or asset.id != item.asset_id):
        return False
    return (
        partner_allows(partner, Area.CONTENT)
        and item_is_live(item, now)
        and audience.matches(item, partner)
        and (asset is None or asset_visible_to_partner(partner, asset))
    )


def asset_visible_to(actor: User, asset: Asset, partner: Partner | None = None) -> bool:
    """Vendor staff see every asset; a partner user what their organisation may see."""
    if actor.is_vendor:
        return True
    partner = partner if partner is not None else _partner_of(actor)
    return (
        partner is not None
        and partner.id == actor.partner_id
        and asset_visible_to_partner(partner, asset)
    )


def item_visible_to(actor: User, item: SyndicatedItem, asset: Asset | None) -> bool:
    if actor.is_vendor:
        return True
    partner = _partner_of(actor)
    return partner is not None and item_visible_to_partner(partner, item, asset)


def ensure_content(actor: User) -> None:
    """Before any read of vendor content: the status gate (PartnerInactive names the status)."""
    ensure_status(actor, Area.CONTENT)


def embeds_served_for(partner: Partner | None) -> bool:
    """Whether a partner's embeds answer on websites at all (a non-active partner's: nothing)."""
    return partner_allows(partner, Area.EMBEDS)


def link_attributed(partner: Partner | None, asset: Asset) -> bool:
    """Whether a click on a partner's tracked link counts for the partner and carries its tags.

    A link already shared (a printed QR code, a sent email) always leads to the vendor's public
    landing page, never to the file; it is attributed only while the asset is visible to the
    partner (published, in the audience, partner active). After unpublishing, or for a
    suspended or exited partner, the visitor still lands, anonymously and uncounted.
    """
    return partner is not None and asset_visible_to_partner(partner, asset)


def status_notice(actor: User) -> str | None:
    """The notice a partner user sees about their organisation's status; None when active."""
    if actor.is_vendor:
        return None
    partner = _partner_of(actor)
    if partner is not None and partner.status == PartnerStatus.ACTIVE:
        return None
    return STATUS_NOTICES[partner.status if partner is not None else PartnerStatus.EXITED]


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
        return partner_scope(actor, partner_id_column, Area.EMBEDS)
    ensure_status(actor, Area.EMBEDS)
    if actor.partner_id is None or not actor.active:
        return false()
    return and_(partner_id_column == actor.partner_id, assigned_user_column == actor.id)


def can_see_lead(actor: User, partner_id: int, assigned_user_id: int | None) -> bool:
    if not can_see_partner(actor, partner_id, Area.EMBEDS):
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
