"""Partner status and visibility of content: the rules of prm_domain/access, on unsaved
objects (no database). The faces that ask them are walked in tests/app/test_status_walker.py
and tests/app/test_visibility.py."""

from __future__ import annotations

import datetime as dt

import pytest

from prm_domain import access
from prm_domain.access import STATUS_AREAS, Area, PartnerInactive, Right
from prm_domain.enums import AssetStatus, ItemKind, PartnerStatus, PartnerType, Region, Role
from prm_domain.errors import NotFound, PermissionDenied
from prm_domain.models import Asset, Partner, SyndicatedItem, User

GOLD, REGISTERED = 1, 2


def partner(status: PartnerStatus = PartnerStatus.ACTIVE, tier: int = REGISTERED) -> Partner:
    return Partner(
        id=7,
        status=status,
        tier_id=tier,
        region=Region.EMEA,
        type=PartnerType.RESELLER,
        verticals=["health"],
    )


def member(role: Role, status: PartnerStatus, *, active: bool = True) -> User:
    p = partner(status)
    return User(id=9, email="m@example.com", role=role, partner_id=p.id, partner=p, active=active)


def asset(status: AssetStatus = AssetStatus.PUBLISHED, **audience: list) -> Asset:
    values = {
        "audience_tier_ids": [],
        "audience_regions": [],
        "audience_partner_types": [],
        "audience_verticals": [],
    } | audience
    return Asset(
        id=3,
        status=status,
        published_version_id=None if status == AssetStatus.DRAFT else 11,
        **values,
    )


def item(asset_id: int | None = None, **audience: list) -> SyndicatedItem:
    values = {
        "audience_tier_ids": [],
        "audience_regions": [],
        "audience_partner_types": [],
        "audience_verticals": [],
    } | audience
    return SyndicatedItem(
        id=5,
        kind=ItemKind.RESOURCE,
        asset_id=asset_id,
        active=True,
        starts_at=None,
        ends_at=None,
        **values,
    )


# -- the status table -------------------------------------------------------------------------


def test_every_status_and_right_is_placed() -> None:
    assert set(STATUS_AREAS) == set(PartnerStatus)
    assert set(access.RIGHT_AREAS) == set(Right), "a new right needs its area in RIGHT_AREAS"
    assert set(access.STATUS_NOTICES) == set(PartnerStatus)


@pytest.mark.parametrize(
    ("status", "areas"),
    [
        (PartnerStatus.ACTIVE, set(Area)),
        (PartnerStatus.ONBOARDING, {Area.NOTICE, Area.ORGANISATION}),
        (PartnerStatus.PROSPECT, {Area.NOTICE, Area.ORGANISATION}),
        (PartnerStatus.SUSPENDED, {Area.NOTICE}),
        (PartnerStatus.EXITED, set()),
    ],
)
def test_status_policy(status: PartnerStatus, areas: set[Area]) -> None:
    actor = member(Role.PARTNER_ADMIN, status)
    assert {a for a in Area if access.status_allows(actor, a)} == areas
    for area in set(Area) - areas:
        with pytest.raises(PartnerInactive) as exc:
            access.ensure_status(actor, area)
        assert exc.value.code == f"partner_{status.value}"
        assert exc.value.fields == {"partner_status": status.value}
        assert isinstance(exc.value, PermissionDenied)  # 403 on every face
    assert access.may_sign_in(actor) == (status != PartnerStatus.EXITED)


@pytest.mark.parametrize("status", [PartnerStatus.SUSPENDED, PartnerStatus.EXITED], ids=str)
def test_closed_partner_has_no_right_and_no_scope(status: PartnerStatus) -> None:
    admin = member(Role.PARTNER_ADMIN, status)
    assert not any(access.has(admin, r) for r in Right)
    for check in (
        lambda: access.require(admin, Right.MANAGE_OWN_USERS),
        lambda: access.ensure_visible(admin, 7),
        lambda: access.ensure_can_manage_users(admin, 7),
        lambda: access.ensure_can_edit_brand(admin, 7),
        lambda: access.ensure_can_manage_embeds(admin, 7),
        lambda: access.ensure_content(admin),
    ):
        with pytest.raises(PartnerInactive):
            check()
    assert not access.can_see_partner(admin, 7)


def test_onboarding_partner_prepares_but_gets_no_content_or_embeds() -> None:
    admin = member(Role.PARTNER_ADMIN, PartnerStatus.ONBOARDING)
    assert access.has(admin, Right.MANAGE_OWN_USERS)
    assert access.has(admin, Right.EDIT_OWN_BRAND)
    access.ensure_can_manage_users(admin, 7)
    access.ensure_can_edit_brand(admin, 7)
    assert not access.has(admin, Right.MANAGE_OWN_EMBEDS)
    with pytest.raises(PartnerInactive, match="onboarding"):
        access.ensure_can_manage_embeds(admin, 7)
    with pytest.raises(PartnerInactive):
        access.ensure_content(admin)


@pytest.mark.parametrize("role", [Role.VENDOR_ADMIN, Role.MARKETING_MANAGER], ids=str)
def test_vendor_staff_are_never_gated_by_a_partner_status(role: Role) -> None:
    staff = User(id=1, email="v@example.com", role=role, partner_id=None, active=True)
    assert all(access.status_allows(staff, a) for a in Area)
    assert access.status_notice(staff) is None


def test_unknown_partner_is_closed() -> None:
    # A partner user whose organisation cannot be read is refused, never let through.
    orphan = User(id=9, email="o@example.com", role=Role.PARTNER_ADMIN, partner_id=7, active=True)
    assert not access.status_allows(orphan, Area.NOTICE)
    assert not access.has(orphan, Right.MANAGE_OWN_USERS)


def test_ensure_vendor_hides_vendor_pages_from_partners() -> None:
    with pytest.raises(NotFound):
        access.ensure_vendor(member(Role.PARTNER_ADMIN, PartnerStatus.ACTIVE))
    mm = User(id=1, email="v@example.com", role=Role.MARKETING_MANAGER, active=True)
    access.ensure_vendor(mm, Right.MANAGE_ASSETS)
    with pytest.raises(PermissionDenied):
        access.ensure_vendor(mm, Right.MANAGE_TIERS)


# -- visibility of content --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("the_asset", "the_partner", "visible"),
    [
        (asset(), partner(), True),
        (asset(AssetStatus.DRAFT), partner(), False),
        # Unpublishing keeps published_version_id (republishing restores it): status decides.
        (asset(AssetStatus.UNPUBLISHED), partner(), False),
        (asset(audience_tier_ids=[GOLD]), partner(tier=REGISTERED), False),
        (asset(audience_tier_ids=[GOLD]), partner(tier=GOLD), True),
        (asset(audience_regions=["APAC"]), partner(), False),
        (asset(audience_verticals=["health", "retail"]), partner(), True),
        (asset(), partner(PartnerStatus.SUSPENDED), False),
        (asset(), partner(PartnerStatus.ONBOARDING), False),
        (asset(), partner(PartnerStatus.EXITED), False),
    ],
)
def test_asset_visible_to_partner(the_asset: Asset, the_partner: Partner, visible: bool) -> None:
    assert access.asset_visible_to_partner(the_partner, the_asset) is visible
    assert access.link_attributed(the_partner, the_asset) is visible


def test_published_with_no_version_is_not_visible() -> None:
    broken = asset()
    broken.published_version_id = None
    assert not access.asset_visible_to_partner(partner(), broken)


def test_item_without_audience_never_widens_its_assets() -> None:
    """The finding: a resource with no audience of its own served a Gold-only asset to a
    Registered partner."""
    gold_only = asset(audience_tier_ids=[GOLD])
    resource = item(asset_id=gold_only.id)
    assert not access.item_visible_to_partner(partner(tier=REGISTERED), resource, gold_only)
    assert access.item_visible_to_partner(partner(tier=GOLD), resource, gold_only)


def test_item_needs_both_audiences_and_a_visible_asset() -> None:
    everyone = asset()
    assert access.item_visible_to_partner(partner(), item(everyone.id), everyone)
    assert not access.item_visible_to_partner(
        partner(tier=REGISTERED), item(everyone.id, audience_tier_ids=[GOLD]), everyone
    )
    unpublished = asset(AssetStatus.UNPUBLISHED)
    assert not access.item_visible_to_partner(partner(), item(unpublished.id), unpublished)
    # Its asset gone (or not the one it names): nothing to offer.
    assert not access.item_visible_to_partner(partner(), item(everyone.id), None)
    assert not access.item_visible_to_partner(partner(), item(999), everyone)
    # Items without an asset (banners, forms) follow their own audience and window.
    assert access.item_visible_to_partner(partner(), item(None), None)
    ended = item(None)
    ended.ends_at = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    assert not access.item_visible_to_partner(partner(), ended, None)
    assert not access.item_visible_to_partner(partner(PartnerStatus.SUSPENDED), item(None), None)


def test_actor_wrappers() -> None:
    draft = asset(AssetStatus.DRAFT)
    vendor = User(id=1, email="v@example.com", role=Role.MARKETING_MANAGER, active=True)
    assert access.asset_visible_to(vendor, draft)
    assert access.item_visible_to(vendor, item(draft.id), draft)
    active = member(Role.PARTNER_USER, PartnerStatus.ACTIVE)
    assert not access.asset_visible_to(active, draft)
    assert access.asset_visible_to(active, asset())
    other = partner()
    other.id = 8
    assert not access.asset_visible_to(active, asset(), other)  # never through another tenant


def test_embeds_are_served_for_active_partners_only() -> None:
    assert access.embeds_served_for(partner())
    for status in set(PartnerStatus) - {PartnerStatus.ACTIVE}:
        assert not access.embeds_served_for(partner(status))
    assert not access.embeds_served_for(None)
