"""Users: unique emails (case-insensitive), one partner for partner roles, none for vendors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from prm_domain import users
from prm_domain.enums import Role
from prm_domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from prm_domain.models import AuditEvent, Partner, User


@pytest.fixture(autouse=True)
def fast_hash(monkeypatch: pytest.MonkeyPatch, password_hash: str) -> None:
    monkeypatch.setattr(users, "hash_password", lambda _plain: password_hash)


def values(**kw: Any) -> dict[str, Any]:
    return {
        "email": "Person@Example.com",
        "password": "long-enough-pw",
        "display_name": "Person",
        "role": "partner_user",
    } | kw


def test_create_partner_user_case_folds_and_audits(
    session: Session, make_user: Callable[..., User]
) -> None:
    admin = make_user(Role.PARTNER_ADMIN)
    user = users.create_partner_user(session, admin, admin.partner_id, values())
    assert user.email == "person@example.com"
    assert user.partner_id == admin.partner_id
    assert user.role is Role.PARTNER_USER
    assert user.password_hash != "long-enough-pw"
    event = session.query(AuditEvent).order_by(AuditEvent.id.desc()).first()
    assert event is not None and event.action == "user.created" and event.actor_id == admin.id


@pytest.mark.parametrize(
    "email", ["person@example.com", "PERSON@EXAMPLE.COM", " Person@example.com"]
)
def test_emails_unique_case_insensitively(
    email: str, session: Session, make_user: Callable[..., User]
) -> None:
    """Vendor staff see every account, so they are told "exists"."""
    vendor = make_user(Role.VENDOR_ADMIN)
    users.create_vendor_user(session, vendor, values(role="marketing_manager"))
    admin = make_user(Role.PARTNER_ADMIN)
    with pytest.raises(Conflict) as exc:
        users.create_partner_user(session, vendor, admin.partner_id, values(email=email))
    assert exc.value.fields == {"email": "already used"}


@pytest.mark.parametrize("owner", ["vendor staff", "another partner's user", "a deactivated user"])
def test_a_partner_admin_is_not_told_whose_address_it_is(
    owner: str, session: Session, make_user: Callable[..., User]
) -> None:
    """An address with an account elsewhere gets the same neutral answer, whoever holds it."""
    if owner == "vendor staff":
        make_user(Role.CHANNEL_MANAGER, email="person@example.com")
    else:
        make_user(
            Role.PARTNER_USER, email="person@example.com", active=owner != "a deactivated user"
        )
    admin = make_user(Role.PARTNER_ADMIN)
    with pytest.raises(ValidationError) as exc:
        users.create_partner_user(
            session, admin, admin.partner_id, values(email="PERSON@example.com")
        )
    assert not isinstance(exc.value, Conflict)
    assert exc.value.fields == {"email": users.EMAIL_UNAVAILABLE}
    assert exc.value.message == "This address cannot be used."


def test_a_partner_admin_is_told_about_their_own_members(
    session: Session, make_user: Callable[..., User]
) -> None:
    admin = make_user(Role.PARTNER_ADMIN)
    make_user(Role.PARTNER_USER, partner=admin.partner, email="person@example.com")
    with pytest.raises(Conflict) as exc:
        users.create_partner_user(session, admin, admin.partner_id, values())
    assert exc.value.fields == {"email": "already a member"}


def test_find_by_email(session: Session, make_user: Callable[..., User]) -> None:
    user = make_user(Role.PARTNER_USER, email="someone@example.com")
    assert users.find_by_email(session, "  SomeOne@Example.COM ") is user
    assert users.find_by_email(session, "nobody@example.com") is None
    # NUL cannot be stored, and Postgres refuses it in a query: simply no such user.
    assert users.find_by_email(session, "someone@example.com\x00") is None


def test_database_refuses_a_second_email_even_past_the_service(
    session: Session, make_user: Callable[..., User]
) -> None:
    make_user(Role.PARTNER_USER, email="dup@example.com")
    with pytest.raises(IntegrityError), session.begin_nested():
        make_user(Role.PARTNER_USER, email="dup@example.com")


@pytest.mark.parametrize("role", ["vendor_admin", "channel_manager", "marketing_manager"])
def test_partner_users_cannot_have_vendor_roles(
    role: str, session: Session, make_user: Callable[..., User]
) -> None:
    vendor = make_user(Role.VENDOR_ADMIN)
    partner_id = make_user(Role.PARTNER_ADMIN).partner_id
    with pytest.raises(ValidationError) as exc:
        users.create_partner_user(session, vendor, partner_id, values(role=role))
    assert set(exc.value.fields) == {"role"}


@pytest.mark.parametrize("role", ["partner_admin", "partner_user"])
def test_vendor_users_cannot_have_partner_roles(
    role: str, session: Session, make_user: Callable[..., User]
) -> None:
    vendor = make_user(Role.VENDOR_ADMIN)
    with pytest.raises(ValidationError) as exc:
        users.create_vendor_user(session, vendor, values(role=role))
    assert set(exc.value.fields) == {"role"}


def test_vendor_user_has_no_partner(session: Session, make_user: Callable[..., User]) -> None:
    created = users.create_vendor_user(session, None, values(role="channel_manager"))
    assert created.partner_id is None and created.is_vendor


def test_only_vendor_admins_add_vendor_staff(
    session: Session, make_user: Callable[..., User]
) -> None:
    with pytest.raises(PermissionDenied):
        users.create_vendor_user(
            session, make_user(Role.CHANNEL_MANAGER), values(role="channel_manager")
        )


def test_unknown_and_missing_fields(session: Session, make_user: Callable[..., User]) -> None:
    admin = make_user(Role.PARTNER_ADMIN)
    with pytest.raises(ValidationError) as exc:
        users.create_partner_user(
            session, admin, admin.partner_id, {"email": "a@example.com", "x": 1}
        )
    assert set(exc.value.fields) == {"x", "password", "display_name", "role"}


@pytest.mark.parametrize(
    ("role", "partner"),
    [
        ("vendor_admin", True),
        ("channel_manager", True),
        ("partner_admin", False),
        ("partner_user", False),
    ],
)
def test_database_check_constraint_role_matches_partner(
    role: str,
    partner: bool,
    session: Session,
    make_partner: Callable[..., Partner],
    password_hash: str,
) -> None:
    p = make_partner()
    bad = User(
        email=f"{role}@constraint.example",
        password_hash=password_hash,
        display_name="Bad",
        role=Role(role),
        partner_id=p.id if partner else None,
    )
    with (
        pytest.raises(IntegrityError, match=r"(?i)role_matches_partner|check constraint"),
        session.begin_nested(),
    ):
        session.add(bad)
        session.flush()


def test_create_for_missing_partner(session: Session, make_user: Callable[..., User]) -> None:
    with pytest.raises(NotFound):
        users.create_partner_user(session, make_user(Role.VENDOR_ADMIN), 2_000_000_000, values())


def test_set_active(session: Session, make_user: Callable[..., User]) -> None:
    admin = make_user(Role.PARTNER_ADMIN)
    member = make_user(Role.PARTNER_USER, admin.partner)
    other = make_user(Role.PARTNER_USER)
    vendor = make_user(Role.VENDOR_ADMIN)
    assert users.set_active(session, admin, member.id, False).active is False
    assert users.set_active(session, admin, member.id, True).active is True
    with pytest.raises(NotFound):
        users.set_active(session, admin, other.id, False)  # another tenant's user
    with pytest.raises(NotFound):
        users.set_active(session, admin, vendor.id, False)  # vendor staff are invisible
    with pytest.raises(ValidationError):
        users.set_active(session, admin, admin.id, False)
    with pytest.raises(PermissionDenied):
        users.set_active(session, member, admin.id, False)
