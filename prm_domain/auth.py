"""Sign-in, portal sessions and API tokens. Rate limiting belongs to the adapters (it needs the
address); the cookie itself is the adapter's too: here a session is a row it names by a secret."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import Session, joinedload

from prm_domain import access, audit, users
from prm_domain.base import utcnow
from prm_domain.errors import InvalidCredentials
from prm_domain.models import ApiToken, Partner, SignIn, User, UserSession
from prm_domain.passwords import hash_password, needs_rehash, verify_password

# How often a live session's last_seen_at is written: the idle timeout needs minutes, not
# a write per request.
TOUCH_EVERY = dt.timedelta(seconds=60)
TOKEN_PREFIX = "cbt_"  # noqa: S105 - a prefix, not a secret; recognisable in logs and by secret scanners


def authenticate(session: Session, email: str, password: str) -> User:
    """The active user with this email and password, or InvalidCredentials (no hint which part)."""
    user = users.find_by_email(session, email) if isinstance(email, str) else None
    ok = verify_password(
        user.password_hash if user else None, password if isinstance(password, str) else ""
    )
    if user is None or not ok or not user.active:
        raise InvalidCredentials("Email or password is incorrect.")
    # Told only after the password proved who is asking: an exited partner's people get a
    # clear answer instead of a wrong-password loop.
    access.ensure_may_sign_in(user)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_sign_in_at = utcnow()
    session.flush()
    # Every sign-in (portal or API token) is kept: scorecards count a partner's engagement by
    # them, where last_sign_in_at keeps only the latest.
    session.add(SignIn(user_id=user.id, partner_id=user.partner_id))
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, ttl: dt.timedelta) -> tuple[str, ApiToken]:
    """A new bearer token; the plain value is returned once and never stored.

    Not for a partner whose status closes everything but the notice (suspended): a token
    would only ever be refused.
    """
    access.ensure_status(user, access.Area.ORGANISATION)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(token_hash=_digest(plain), user=user, expires_at=utcnow() + ttl)
    session.add(token)
    session.flush()
    audit.record(session, user, "token.issued", token, partner_id=user.partner_id)
    return plain, token


# Every API request asks this: built once (its cache key is computed from a prepared
# statement, not from a new one per request). The user and their organisation come with it:
# every request asks both (status, rights).
_TOKEN_BY_DIGEST = (
    select(ApiToken)
    .where(ApiToken.token_hash == bindparam("digest"))
    .options(joinedload(ApiToken.user).joinedload(User.partner).lazyload(Partner.tier))
)


def resolve_token(session: Session, plain: str) -> ApiToken | None:
    """The live token for this value (not expired, not revoked, user active), else None."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 100:
        return None
    token = session.scalar(_TOKEN_BY_DIGEST, {"digest": _digest(plain)})
    if token is None or token.revoked_at is not None or token.expires_at <= utcnow():
        return None
    if not access.may_sign_in(token.user):
        return None  # deactivated, or the partner exited
    return token


def revoke_token(session: Session, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
        audit.record(session, token.user, "token.revoked", token, partner_id=token.user.partner_id)


def open_session(
    session: Session, user: User, *, lifetime: dt.timedelta
) -> tuple[str, UserSession]:
    """A new portal session for ``user``; the plain id goes in the cookie and is never stored."""
    plain = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(
        token_hash=_digest(plain), user=user, created_at=now, last_seen_at=now,
        expires_at=now + lifetime,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return plain, row


_SESSION_BY_DIGEST = (  # as _TOKEN_BY_DIGEST: every portal page asks it
    select(UserSession)
    .where(UserSession.token_hash == bindparam("digest"))
    .options(joinedload(UserSession.user).joinedload(User.partner).lazyload(Partner.tier))
)


def resolve_session(session: Session, plain: str, *, idle: dt.timedelta) -> UserSession | None:
    """The live session for this cookie value, else None (ended, idle too long, past its
    absolute end, or its user deactivated). Moves ``last_seen_at`` on at most once a minute,
    unflushed: the adapter commits it when the row is dirty."""
    if not isinstance(plain, str) or not 20 <= len(plain) <= 100:
        return None
    row = session.scalar(_SESSION_BY_DIGEST, {"digest": _digest(plain)})
    now = utcnow()
    if (
        row is None
        or row.ended_at is not None
        or row.expires_at <= now
        or row.last_seen_at + idle <= now
        or not access.may_sign_in(row.user)
    ):
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return row


def end_session(session: Session, plain: str) -> None:
    """Sign-out: the cookie's session ends for good, wherever the cookie is replayed from."""
    if not isinstance(plain, str) or not plain:
        return
    session.execute(
        update(UserSession)
        .where(UserSession.token_hash == _digest(plain), UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def end_all_sessions(session: Session, user: User) -> int:
    """Every portal session and API token of ``user`` ends now (new password, deactivation).

    Returns how many were live. Bulk updates: no row can be missed by a stale identity map.
    """
    now = utcnow()
    ended = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session="fetch")
    )
    revoked = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(ended, "rowcount", 0) or 0) + int(getattr(revoked, "rowcount", 0) or 0)


def end_partner_sessions(session: Session, partner_id: int) -> int:
    """Every portal session and API token of every user of a partner ends now, for good (the
    partner exited). Ended rows stay ended: re-activating the partner revives none of them, its
    people sign in again. Returns how many were live."""
    members = select(User.id).where(User.partner_id == partner_id).scalar_subquery()
    now = utcnow()
    ended = session.execute(
        update(UserSession)
        .where(UserSession.user_id.in_(members), UserSession.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session="fetch")
    )
    revoked = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id.in_(members), ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(ended, "rowcount", 0) or 0) + int(getattr(revoked, "rowcount", 0) or 0)


def purge_dead_tokens(session: Session, *, older_than: dt.timedelta = dt.timedelta(days=30)) -> int:
    """Delete tokens and sessions that ended long ago. Idempotent; run by the periodic job."""
    cutoff = utcnow() - older_than
    result = session.execute(
        delete(ApiToken).where(or_(ApiToken.expires_at < cutoff, ApiToken.revoked_at < cutoff))
    )
    sessions = session.execute(
        delete(UserSession).where(
            or_(UserSession.expires_at < cutoff, UserSession.ended_at < cutoff)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0) + int(getattr(sessions, "rowcount", 0) or 0)
