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


# --- portal sessions -------------------------------------------------------------------------

IDLE = dt.timedelta(minutes=30)


def test_session_opens_resolves_and_ends(session: Session, make_user: Callable[..., User]) -> None:
    user = make_user(Role.PARTNER_USER)
    plain, row = auth.open_session(session, user, lifetime=dt.timedelta(hours=12))
    assert row.token_hash != plain and len(row.token_hash) == 64
    assert auth.resolve_session(session, plain, idle=IDLE) is row
    for bad in (
        "",
        "x" * 19,
        "x" * 101,
        plain[:-1] + "A" if plain[-1] != "A" else plain[:-1] + "B",
    ):
        assert auth.resolve_session(session, bad, idle=IDLE) is None
    auth.end_session(session, plain)
    session.expire_all()
    assert auth.resolve_session(session, plain, idle=IDLE) is None


def test_idle_and_absolute_ends(session: Session, make_user: Callable[..., User]) -> None:
    user = make_user(Role.PARTNER_USER)
    idle_plain, idle_row = auth.open_session(session, user, lifetime=dt.timedelta(hours=12))
    old_plain, old_row = auth.open_session(session, user, lifetime=dt.timedelta(hours=12))
    idle_row.last_seen_at = utcnow() - IDLE - dt.timedelta(seconds=1)
    old_row.expires_at = utcnow() - dt.timedelta(seconds=1)
    session.flush()
    assert auth.resolve_session(session, idle_plain, idle=IDLE) is None
    assert auth.resolve_session(session, old_plain, idle=IDLE) is None


def test_resolving_moves_the_idle_clock_at_most_once_a_minute(
    session: Session, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.PARTNER_USER)
    plain, row = auth.open_session(session, user, lifetime=dt.timedelta(hours=12))
    seen = row.last_seen_at
    auth.resolve_session(session, plain, idle=IDLE)
    assert row.last_seen_at == seen and row not in session.dirty
    row.last_seen_at = seen - dt.timedelta(minutes=5)
    session.flush()
    auth.resolve_session(session, plain, idle=IDLE)
    assert row.last_seen_at > seen


def test_ending_all_sessions_ends_tokens_too(
    session: Session, make_user: Callable[..., User]
) -> None:
    user, other = make_user(Role.PARTNER_USER), make_user(Role.PARTNER_USER)
    mine = [auth.open_session(session, user, lifetime=dt.timedelta(hours=1))[0] for _ in range(2)]
    token, _ = auth.issue_token(session, user, dt.timedelta(hours=1))
    theirs, _ = auth.open_session(session, other, lifetime=dt.timedelta(hours=1))
    their_token, _ = auth.issue_token(session, other, dt.timedelta(hours=1))
    assert auth.end_all_sessions(session, user) == 3
    session.expire_all()
    assert all(auth.resolve_session(session, p, idle=IDLE) is None for p in mine)
    assert auth.resolve_token(session, token) is None
    assert auth.resolve_session(session, theirs, idle=IDLE) is not None
    assert auth.resolve_token(session, their_token) is not None


def test_purge_removes_long_dead_sessions(session: Session, make_user: Callable[..., User]) -> None:
    from prm_domain.models import UserSession

    user = make_user(Role.PARTNER_USER)
    _, _expired = auth.open_session(session, user, lifetime=dt.timedelta(days=-40))
    _, ended = auth.open_session(session, user, lifetime=dt.timedelta(hours=1))
    ended.ended_at = utcnow() - dt.timedelta(days=31)
    _, live = auth.open_session(session, user, lifetime=dt.timedelta(hours=1))
    session.flush()
    assert auth.purge_dead_tokens(session) == 2
    left = set(session.scalars(select(UserSession.id).where(UserSession.user_id == user.id)))
    assert left == {live.id}


def test_lone_surrogates_are_a_wrong_password_not_a_crash(
    session: Session, make_user: Callable[..., User]
) -> None:
    """No UTF-8 form: argon2 and the database drivers would raise on them (the JSON parser
    refuses them today; the domain does not rely on that)."""
    from prm_domain import users
    from prm_domain.errors import ValidationError

    user = make_user(Role.PARTNER_USER)
    for email, password in ((user.email, "pass\udfffword"), ("a\ud800@example.com", PASSWORD)):
        with pytest.raises(InvalidCredentials):
            auth.authenticate(session, email, password)
    with pytest.raises(ValidationError) as exc:
        users.change_password(session, user, "\ud800", "bad\udfffpassphrase")
    assert set(exc.value.fields) == {"current_password", "new_password"}
