"""The one access policy, on unsaved objects: no database needed."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select

from prm_domain import access
from prm_domain.access import PARTNER_PROFILE_FIELDS, RIGHTS, Right
from prm_domain.enums import PartnerStatus, Role
from prm_domain.errors import NotFound, PermissionDenied
from prm_domain.models import Partner, User

A, B = 1, 2


def user(
    role: Role,
    partner_id: int | None = None,
    *,
    active: bool = True,
    status: PartnerStatus = PartnerStatus.ACTIVE,
) -> User:
    if not role.is_vendor and partner_id is None:
        partner_id = A
    partner = Partner(id=partner_id, status=status) if partner_id is not None else None
    return User(
        id=99,
        email="x@example.com",
        role=role,
        partner_id=partner_id,
        partner=partner,
        active=active,
    )


FOUNDATION_RIGHTS = {
    Right.VIEW_ALL_PARTNERS,
    Right.MANAGE_PARTNERS,
    Right.EDIT_OWN_PARTNER_PROFILE,
    Right.MANAGE_TIERS,
    Right.MANAGE_ALL_PARTNER_USERS,
    Right.MANAGE_OWN_USERS,
    Right.VIEW_AUDIT,
}
VENDORS = [Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.MARKETING_MANAGER]
PARTNERS = [Role.PARTNER_ADMIN, Role.PARTNER_USER]


def test_every_role_has_rights_defined() -> None:
    assert set(RIGHTS) == set(Role)


@pytest.mark.parametrize(
    ("role", "rights"),
    [
        (
            Role.VENDOR_ADMIN,
            {
                Right.VIEW_ALL_PARTNERS,
                Right.MANAGE_PARTNERS,
                Right.MANAGE_TIERS,
                Right.MANAGE_ALL_PARTNER_USERS,
                Right.VIEW_AUDIT,
            },
        ),
        (
            Role.CHANNEL_MANAGER,
            {
                Right.VIEW_ALL_PARTNERS,
                Right.MANAGE_PARTNERS,
                Right.MANAGE_ALL_PARTNER_USERS,
                Right.VIEW_AUDIT,
            },
        ),
        (Role.MARKETING_MANAGER, {Right.VIEW_ALL_PARTNERS}),
        (Role.PARTNER_ADMIN, {Right.EDIT_OWN_PARTNER_PROFILE, Right.MANAGE_OWN_USERS}),
        (Role.PARTNER_USER, set()),
    ],
)
def test_rights_matrix(role: Role, rights: set[Right]) -> None:
    # The foundation's rights; later features add rights of their own, tested with them.
    actor = user(role)
    assert {r for r in FOUNDATION_RIGHTS if access.has(actor, r)} == rights


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_inactive_users_have_no_rights(role: Role) -> None:
    actor = user(role, active=False)
    assert not any(access.has(actor, r) for r in Right)
    with pytest.raises(PermissionDenied):
        access.require(actor, Right.VIEW_ALL_PARTNERS)


def test_require_raises_with_message() -> None:
    with pytest.raises(PermissionDenied, match="nope"):
        access.require(user(Role.MARKETING_MANAGER), Right.MANAGE_PARTNERS, "nope")
    access.require(user(Role.VENDOR_ADMIN), Right.MANAGE_TIERS)


def test_profile_fields() -> None:
    # Verticals, type, region (content gating) and the name are the vendor's: proposed only.
    # The time zone is the partner's own: it only says when its campaign posts go out.
    assert frozenset({"business_model", "website_domains", "timezone"}) == PARTNER_PROFILE_FIELDS
    assert {"name", "type", "region", "verticals"} == access.PROPOSABLE_PARTNER_FIELDS


def test_who_sees_a_lead() -> None:
    member = user(Role.PARTNER_USER, A)
    member.id = 7
    assert access.can_see_lead(member, A, 7)
    assert not access.can_see_lead(member, A, None) and not access.can_see_lead(member, A, 8)
    assert not access.can_see_lead(member, B, 7)
    assert access.can_see_lead(user(Role.PARTNER_ADMIN, A), A, None)
    assert not access.can_see_lead(user(Role.PARTNER_ADMIN, A), B, None)
    for role in VENDORS:
        assert access.can_see_lead(user(role), B, None)


@pytest.mark.parametrize("role", VENDORS, ids=str)
def test_vendors_see_every_partner(role: Role) -> None:
    actor = user(role)
    assert access.can_see_partner(actor, A) and access.can_see_partner(actor, B)
    access.ensure_visible(actor, B)
    access.ensure_visible(actor, None)  # vendor-wide objects


@pytest.mark.parametrize("role", PARTNERS, ids=str)
def test_partners_see_only_their_own(role: Role) -> None:
    actor = user(role, A)
    assert access.can_see_partner(actor, A)
    assert not access.can_see_partner(actor, B)
    access.ensure_visible(actor, A)
    with pytest.raises(NotFound):
        access.ensure_visible(actor, B, "Partner")
    with pytest.raises(NotFound):
        access.ensure_visible(actor, None)  # vendor-wide objects are not theirs either


def _scope_sql(actor: User) -> str:
    table = Table("thing", MetaData(), Column("partner_id", Integer))
    stmt = select(table).where(access.partner_scope(actor, table.c.partner_id))
    return str(stmt.compile(compile_kwargs={"literal_binds": True}))


def test_partner_scope_clause() -> None:
    assert "partner_id =" not in _scope_sql(user(Role.MARKETING_MANAGER))
    assert "thing.partner_id = 1" in _scope_sql(user(Role.PARTNER_USER, A))
    # A vendor role without the right to see partners would see nothing (not everything).
    inactive = user(Role.VENDOR_ADMIN, active=False)
    assert "false" in _scope_sql(inactive).lower() or "0 = 1" in _scope_sql(inactive)


# --- editing a partner ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER], ids=str)
def test_managers_edit_any_field_of_any_partner(role: Role) -> None:
    access.ensure_can_edit_partner(user(role), Partner(id=B), {"tier_id", "status", "name"})


def test_partner_admin_edits_profile_of_own_partner_only() -> None:
    admin = user(Role.PARTNER_ADMIN, A)
    access.ensure_can_edit_partner(admin, Partner(id=A), set(PARTNER_PROFILE_FIELDS))
    access.ensure_can_edit_partner(admin, Partner(id=A), set())
    with pytest.raises(PermissionDenied) as exc:
        access.ensure_can_edit_partner(
            admin, Partner(id=A), {"website_domains", "tier_id", "status"}
        )
    assert set(exc.value.fields) == {"tier_id", "status"}
    assert "status" in exc.value.message and "tier_id" in exc.value.message
    with pytest.raises(NotFound):
        access.ensure_can_edit_partner(admin, Partner(id=B), {"name"})


@pytest.mark.parametrize(
    ("role", "partner_id", "error"),
    [
        (Role.PARTNER_USER, A, PermissionDenied),
        (Role.PARTNER_USER, B, NotFound),
        (Role.MARKETING_MANAGER, None, PermissionDenied),
    ],
)
def test_others_may_not_edit(role: Role, partner_id: int | None, error: type[Exception]) -> None:
    actor = user(role, A) if not role.is_vendor else user(role)
    with pytest.raises(error):
        access.ensure_can_edit_partner(actor, Partner(id=partner_id or A), {"name"})


# --- users of a partner -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "own_view", "own_manage", "other_view", "other_manage"),
    [
        (Role.VENDOR_ADMIN, None, None, None, None),
        (Role.CHANNEL_MANAGER, None, None, None, None),
        (Role.MARKETING_MANAGER, None, PermissionDenied, None, PermissionDenied),
        (Role.PARTNER_ADMIN, None, None, NotFound, NotFound),
        (Role.PARTNER_USER, PermissionDenied, PermissionDenied, NotFound, NotFound),
    ],
)
def test_partner_users_rights(
    role: Role,
    own_view: type[Exception] | None,
    own_manage: type[Exception] | None,
    other_view: type[Exception] | None,
    other_manage: type[Exception] | None,
) -> None:
    actor = user(role, A) if not role.is_vendor else user(role)
    for check, partner_id, expected in (
        (access.ensure_can_view_users, A, own_view),
        (access.ensure_can_manage_users, A, own_manage),
        (access.ensure_can_view_users, B, other_view),
        (access.ensure_can_manage_users, B, other_manage),
    ):
        if expected is None:
            check(actor, partner_id)
        else:
            with pytest.raises(expected):
                check(actor, partner_id)
