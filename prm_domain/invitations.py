"""Invitations: a new person sets their own password from a one-time link that expires.

The plain token is handed back once, to be sent to the person (the adapter shows it to whoever
issued it and puts it in the welcome message); only its SHA-256 is stored, so a copy of the
database opens no account. A newer invitation ends the older ones; using one ends it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from prm_domain import access, audit, auth, validation
from prm_domain.base import utcnow
from prm_domain.errors import Conflict, NotFound, ValidationError
from prm_domain.models import Invitation, User
from prm_domain.passwords import hash_password

TTL = dt.timedelta(days=7)
TOKEN_PREFIX = "cbi_"  # noqa: S105 - a prefix, not a secret
INVALID_LINK = "This invitation link is invalid, used or expired: ask for a new one."


@dataclass(frozen=True)
class IssuedInvitation:
    """What the issuer passes on: the plain token exists only here."""

    token: str
    user: User
    expires_at: dt.datetime

    def path(self) -> str:
        return f"/invitation/{self.token}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def unusable_password() -> str:
    """A hash nobody knows the password of: the account opens only through its invitation."""
    return hash_password(secrets.token_urlsafe(32))


def issue(
    session: Session, actor: User | None, user: User, *, ttl: dt.timedelta = TTL
) -> IssuedInvitation:
    """A new invitation for ``user``; earlier unused ones end (only the newest link works).

    ``actor`` None: the system itself (an approved application's first user)."""
    if actor is not None:
        if user.partner_id is not None:
            access.ensure_can_manage_users(actor, user.partner_id)
        else:
            access.require(actor, access.Right.MANAGE_VENDOR_USERS)
    if not user.active:
        raise Conflict("This account is deactivated.")
    now = utcnow()
    session.execute(
        update(Invitation)
        .where(Invitation.user_id == user.id, Invitation.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session="fetch")
    )
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = Invitation(
        token_hash=_digest(plain),
        user_id=user.id,
        created_by_id=actor.id if actor is not None else None,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(row)
    session.flush()
    audit.record(
        session, actor, "user.invited", user, {"email": user.email}, partner_id=user.partner_id
    )
    return IssuedInvitation(plain, user, row.expires_at)


def reissue(
    session: Session, actor: User, user_id: int, *, ttl: dt.timedelta = TTL
) -> IssuedInvitation:
    """A new link for a partner's person who never signed in (theirs expired or got lost).
    Not for someone who did: a link that sets a password would let an admin take over a
    colleague's account; they change their own password."""
    user = session.get(User, user_id)
    if user is None or user.partner_id is None:
        raise NotFound("User not found.")
    access.ensure_visible(actor, user.partner_id, "User")
    if user.last_sign_in_at is not None:
        raise Conflict(
            f"{user.email} has signed in already: only they change their password.",
            {"user_id": "has signed in already"},
        )
    return issue(session, actor, user, ttl=ttl)


def message(
    issued: IssuedInvitation, base_url: str, organisation: str, *, first: bool = True
) -> str:
    """The welcome message's text (plain: it goes by mail or is copied by hand)."""
    opening = f"{organisation} is now a partner." if first else "Here is a new invitation link."
    return (
        f"Hello {issued.user.display_name},\n\n"
        f"{opening} Set your password to sign in to the partner portal:\n"
        f"{base_url.rstrip('/')}{issued.path()}\n\n"
        f"The link works once and until {issued.expires_at:%Y-%m-%d %H:%M} UTC."
    )


def find(session: Session, plain: Any) -> Invitation | None:
    """The live invitation for this link (unused, unexpired, its person may sign in and never
    did), else None."""
    if not isinstance(plain, str) or not plain.startswith(TOKEN_PREFIX) or len(plain) > 100:
        return None
    row = session.scalar(select(Invitation).where(Invitation.token_hash == _digest(plain)))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    if not row.user.active or not access.may_sign_in(row.user):
        return None
    # Only for someone who never signed in: a link sent earlier (reissued while they still
    # had not) must not let whoever saw it set the password of an account now in use.
    if row.user.last_sign_in_at is not None:
        return None
    return row


def accept(session: Session, plain: Any, password: Any, confirm: Any) -> User:
    """Set the invited person's password; the link is used up. Whatever sessions the account
    had end (there should be none: nobody knew its password)."""
    row = find(session, plain)
    if row is None:
        raise NotFound(INVALID_LINK)
    problems: dict[str, str] = {}
    try:
        clean = validation.password("password", password)
    except ValidationError as exc:
        problems.update(exc.fields)
    else:
        if confirm != clean:
            problems["confirm"] = "does not match the password"
    if problems:
        raise ValidationError.for_fields(problems)
    # Used up in one conditional write: two submissions of the same link, one wins.
    used = session.execute(
        update(Invitation)
        .where(Invitation.id == row.id, Invitation.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    if not getattr(used, "rowcount", 0):
        raise NotFound(INVALID_LINK)
    user = row.user
    user.password_hash = hash_password(clean)
    # The adapter signs them in with it at once; from here only they change their password.
    user.last_sign_in_at = utcnow()
    session.flush()
    auth.end_all_sessions(session, user)
    audit.record(session, user, "user.invitation_accepted", user, partner_id=user.partner_id)
    return user
