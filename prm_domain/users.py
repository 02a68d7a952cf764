"""People who sign in: vendor staff and partner members."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain import access, audit, auth, validation
from prm_domain.access import Right
from prm_domain.enums import PARTNER_ROLES, VENDOR_ROLES, Role
from prm_domain.errors import Conflict, NotFound, ValidationError
from prm_domain.models import Partner, User
from prm_domain.pagination import Page, paginate
from prm_domain.passwords import hash_password, verify_password

# Said when a partner admin adds an address that has an account in another organisation or
# at the vendor: it neither confirms that nor names whose, so it cannot map other tenants.
EMAIL_UNAVAILABLE = "cannot be used for a new account here; ask the person for another address"


def _clean(values: Mapping[str, Any], allowed_roles: frozenset[Role]) -> dict[str, Any]:
    problems: dict[str, str] = {
        f: "unknown field" for f in values if f not in {"email", "password", "display_name", "role"}
    }
    problems |= {
        f: "is required" for f in ("email", "password", "display_name", "role") if f not in values
    }
    clean: dict[str, Any] = {}
    rules: dict[str, Callable[[Any], Any]] = {
        "email": lambda v: validation.email("email", v),
        "password": lambda v: validation.password("password", v),
        "display_name": lambda v: validation.text("display_name", v, max_len=120),
        "role": lambda v: validation.choice("role", v, Role),
    }
    for field, rule in rules.items():
        if field in values:
            try:
                clean[field] = rule(values[field])
            except ValidationError as exc:
                problems.update(exc.fields)
    if "role" in clean and clean["role"] not in allowed_roles:
        problems["role"] = "must be one of: " + ", ".join(sorted(r.value for r in allowed_roles))
    if problems:
        raise ValidationError.for_fields(problems)
    return clean


def _ensure_free_email(
    session: Session, actor: User | None, email: str, partner_id: int | None
) -> None:
    """Refuse an address that has an account, saying no more than the actor may know.

    Vendor staff see every account, so they hear "exists". A partner admin hears it only for
    their own organisation's members; any other account gets the neutral EMAIL_UNAVAILABLE.
    """
    owner = session.execute(select(User.id, User.partner_id).where(User.email == email)).first()
    if owner is None:
        return
    if actor is None or access.has(actor, Right.VIEW_ALL_PARTNERS):
        raise Conflict("An account with this email exists already.", {"email": "already used"})
    if partner_id is not None and owner.partner_id == partner_id:
        raise Conflict(
            "This person is already a member of your organisation.", {"email": "already a member"}
        )
    raise ValidationError("This address cannot be used.", {"email": EMAIL_UNAVAILABLE})


def find_by_email(session: Session, email: str) -> User | None:
    if "\x00" in email:  # no stored email has one, and Postgres refuses NUL in text
        return None
    try:
        email.encode()
    except UnicodeEncodeError:  # a lone surrogate: no stored email has one, drivers refuse it
        return None
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def list_partner_users(
    session: Session, actor: User, partner_id: int, *, page: int = 1, per_page: int = 50
) -> Page[User]:
    access.ensure_can_view_users(actor, partner_id)
    if session.get(Partner, partner_id) is None:
        raise NotFound("Partner not found.")
    stmt = select(User).where(User.partner_id == partner_id).order_by(User.id)
    return paginate(session, stmt, page=page, per_page=per_page)


def active_member_names(session: Session, actor: User, partner_id: int) -> dict[int, str]:
    """The organisation's active members by id, with their names (whom a lead can go to): what
    ``list_partner_users`` shows of them, in one query."""
    access.ensure_can_view_users(actor, partner_id)
    stmt = (
        select(User.id, User.display_name)
        .where(User.partner_id == partner_id, User.active.is_(True))
        .order_by(User.id)
    )
    return {uid: name for uid, name in session.execute(stmt)}


def create_partner_user(
    session: Session, actor: User, partner_id: int, values: Mapping[str, Any]
) -> User:
    access.ensure_can_manage_users(actor, partner_id)
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise NotFound("Partner not found.")
    clean = _clean(values, PARTNER_ROLES)
    _ensure_free_email(session, actor, clean["email"], partner.id)
    user = User(
        email=clean["email"],
        password_hash=hash_password(clean["password"]),
        display_name=clean["display_name"],
        role=clean["role"],
        partner_id=partner.id,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "user.created",
        user,
        {"email": user.email, "role": user.role},
        partner_id=partner.id,
    )
    return user


def create_vendor_user(session: Session, actor: User | None, values: Mapping[str, Any]) -> User:
    """Add vendor staff. ``actor`` is None only for the operator's bootstrap (CLI, demo data)."""
    if actor is not None:
        access.require(actor, Right.MANAGE_VENDOR_USERS, "Only vendor admins add vendor staff.")
    clean = _clean(values, VENDOR_ROLES)
    _ensure_free_email(session, actor, clean["email"], None)
    user = User(
        email=clean["email"],
        password_hash=hash_password(clean["password"]),
        display_name=clean["display_name"],
        role=clean["role"],
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.created", user, {"email": user.email, "role": user.role})
    return user


def set_active(session: Session, actor: User, user_id: int, active: bool) -> User:
    user = session.get(User, user_id)
    if user is None or (user.partner_id is None and not actor.is_vendor):
        raise NotFound("User not found.")
    if user.partner_id is not None:
        access.ensure_can_manage_users(actor, user.partner_id)
    else:
        access.require(actor, Right.MANAGE_VENDOR_USERS)
    if user.id == actor.id and not active:
        raise ValidationError.for_fields({"active": "you cannot deactivate yourself"})
    if user.active != active:
        user.active = active
        session.flush()
        if not active:
            # Checking ``active`` on every request would do too, but a reactivation must not
            # bring the old sessions and tokens back: they end now.
            auth.end_all_sessions(session, user)
        audit.record(
            session,
            actor,
            "user.activated" if active else "user.deactivated",
            user,
            partner_id=user.partner_id,
        )
    return user


def change_password(
    session: Session, actor: User, current_password: Any, new_password: Any
) -> User:
    """The actor's own new password. Every session and API token of theirs ends: whoever
    held one with the old password (a stolen cookie, a leaked token) is out. The adapter
    opens a fresh session for the browser that made the change."""
    problems: dict[str, str] = {}
    if not isinstance(current_password, str) or not verify_password(
        actor.password_hash, current_password
    ):
        problems["current_password"] = "is not your current password"  # noqa: S105 - a message
    try:
        new = validation.password("new_password", new_password)
    except ValidationError as exc:
        problems.update(exc.fields)
    else:
        if new == current_password:
            problems["new_password"] = "must differ from the current one"  # noqa: S105 - a message
    if problems:
        raise ValidationError.for_fields(problems)
    actor.password_hash = hash_password(new)
    session.flush()
    ended = auth.end_all_sessions(session, actor)
    audit.record(
        session,
        actor,
        "user.password_changed",
        actor,
        {"sessions_ended": ended},
        partner_id=actor.partner_id,
    )
    return actor
