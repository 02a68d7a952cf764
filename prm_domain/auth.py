"""Sign-in and API tokens. Rate limiting belongs to the adapters (it needs the address)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from prm_domain import access, audit
from prm_domain.base import utcnow
from prm_domain.errors import InvalidCredentials
from prm_domain.models import ApiToken, User
from prm_domain.passwords import hash_password, needs_rehash, verify_password
from prm_domain.users import find_by_email

TOKEN_PREFIX = "cbt_"  # noqa: S105 - a prefix, not a secret; recognisable in logs and by secret scanners


def authenticate(session: Session, email: str, password: str) -> User:
    """The active user with this email and password, or InvalidCredentials (no hint which part)."""
    user = find_by_email(session, email) if isinstance(email, str) else None
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


def resolve_token(session: Session, plain: str) -> ApiToken | None:
    """The live token for this value (not expired, not revoked, user active), else None."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 100:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(plain)))
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


def purge_dead_tokens(session: Session, *, older_than: dt.timedelta = dt.timedelta(days=30)) -> int:
    """Delete tokens expired or revoked long ago. Idempotent; run by the periodic job."""
    cutoff = utcnow() - older_than
    result = session.execute(
        delete(ApiToken).where(or_(ApiToken.expires_at < cutoff, ApiToken.revoked_at < cutoff))
    )
    return int(getattr(result, "rowcount", 0) or 0)
