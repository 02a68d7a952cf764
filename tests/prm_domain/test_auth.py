"""Sign-in and API tokens in the domain: no hint which part failed, tokens expire and revoke."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain import auth
from prm_domain.base import utcnow
from prm_domain.enums import Role
from prm_domain.errors import InvalidCredentials
from prm_domain.models import ApiToken, User
from tests.conftest import PASSWORD


@pytest.fixture
def fast_verify(monkeypatch: pytest.MonkeyPatch) -> None:
    # argon2 itself is exercised once (test_authenticate_real_hash); the rest is logic.
    monkeypatch.setattr(auth, "verify_password", lambda h, p: h is not None and p == PASSWORD)


def test_authenticate_real_hash(session: Session, make_user: Callable[..., User]) -> None:
    user = make_user(Role.PARTNER_USER)
    assert auth.authenticate(session, user.email.upper(), PASSWORD) is user
    assert user.last_sign_in_at is not None


@pytest.mark.usefixtures("fast_verify")
def test_authenticate_failures_say_the_same(
    session: Session, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.PARTNER_USER)
    inactive = make_user(Role.PARTNER_USER, active=False)
    messages = set()
    for email, password in [
        (user.email, "wrong"),
        ("nobody@example.com", PASSWORD),
        (inactive.email, PASSWORD),
        ("nul\x00@example.com", PASSWORD),
        (None, PASSWORD),
        (user.email, None),
    ]:
        with pytest.raises(InvalidCredentials) as exc:
            auth.authenticate(session, email, password)  # type: ignore[arg-type]
        messages.add(exc.value.message)
    assert len(messages) == 1


def test_issue_and_resolve(session: Session, make_user: Callable[..., User]) -> None:
    user = make_user(Role.VENDOR_ADMIN)
    plain, token = auth.issue_token(session, user, dt.timedelta(hours=1))
    assert plain.startswith(auth.TOKEN_PREFIX)
    assert token.token_hash != plain and len(token.token_hash) == 64
    assert auth.resolve_token(session, plain) is token
    assert auth.resolve_token(session, plain + "x") is None
    assert auth.resolve_token(session, plain[len(auth.TOKEN_PREFIX) :]) is None
    assert auth.resolve_token(session, auth.TOKEN_PREFIX + "x" * 200) is None
    assert auth.resolve_token(session, "") is None


def test_expired_revoked_and_inactive(session: Session, make_user: Callable[..., User]) -> None:
    user = make_user(Role.PARTNER_ADMIN)
    expired, _ = auth.issue_token(session, user, dt.timedelta(seconds=-1))
    assert auth.resolve_token(session, expired) is None

    plain, token = auth.issue_token(session, user, dt.timedelta(hours=1))
    auth.revoke_token(session, token)
    first = token.revoked_at
    assert first is not None
    auth.revoke_token(session, token)  # idempotent
    assert token.revoked_at == first
    assert auth.resolve_token(session, plain) is None

    live, _ = auth.issue_token(session, user, dt.timedelta(hours=1))
    user.active = False
    session.flush()
    assert auth.resolve_token(session, live) is None


def test_purge_dead_tokens(session: Session, make_user: Callable[..., User]) -> None:
    user = make_user(Role.PARTNER_USER)
    _, _old = auth.issue_token(session, user, dt.timedelta(days=-40))
    _, revoked = auth.issue_token(session, user, dt.timedelta(hours=1))
    revoked.revoked_at = utcnow() - dt.timedelta(days=31)
    _, live = auth.issue_token(session, user, dt.timedelta(hours=1))
    session.flush()
    assert auth.purge_dead_tokens(session) == 2
    left = set(session.scalars(select(ApiToken.id).where(ApiToken.user_id == user.id)))
    assert left == {live.id}
