"""The visit that "new" is measured from: pages never write it on GET; they ask for a POST when it
is stale, and the sign-in keeps the previous one for the session (issue 13)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prm_domain.base import utcnow
from prm_domain.enums import Role
from tests.conftest import csrf_of


def test_pages_do_not_write_the_visit_they_ask_for_a_post(
    client: Any, session: Any, make_user: Any, sign_in_as: Any
) -> None:
    user = make_user(Role.PARTNER_ADMIN)
    sign_in_as(user)
    for path in ("/", "/library", "/leads"):
        html = client.get(path).get_data(as_text=True)
        assert 'data-visit-url="/visits"' in html
    session.refresh(user)
    assert user.last_seen_at is None  # a GET never writes
    r = client.post("/visits", headers={"X-CSRF-Token": csrf_of(client)})
    assert r.status_code == 204
    session.refresh(user)
    seen = user.last_seen_at
    assert seen is not None and utcnow() - seen < dt.timedelta(minutes=1)
    # Recorded moments ago: the pages stop asking for a while.
    assert "data-visit-url" not in client.get("/").get_data(as_text=True)


def test_sign_in_keeps_the_previous_visit_for_the_session(
    client: Any, session: Any, make_user: Any, sign_in_as: Any
) -> None:
    user = make_user(Role.PARTNER_ADMIN)
    before = utcnow() - dt.timedelta(days=3)
    user.last_seen_at = before
    session.flush()
    sign_in_as(user)
    with client.session_transaction() as s:
        assert dt.datetime.fromisoformat(s["since"]) == before
    html = client.get("/").get_data(as_text=True)
    assert "Since your last visit" in html and before.strftime("%Y-%m-%d") in html
