"""The portal's channels page and the OAuth 2 connect flow (authorization code, state, PKCE)
against the stand-in token endpoint; the reconnect banner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain.enums import ChannelStatus, Role
from prm_domain.models import Partner, User
from prm_domain.models.channel import Channel
from prm_domain.publishing.secrets import unseal
from tests.conftest import PASSWORD, csrf_of
from tests.prm_domain.publishing.standins import CLIENT_ID, CLIENT_SECRET, StandIn, running


@pytest.fixture(scope="module")
def standin() -> Iterator[StandIn]:
    with running() as s:
        yield s


def test_connect_x_through_oauth_with_pkce_and_reconnect_a_lost_channel(
    app: Flask,
    client: FlaskClient,
    sign_in_as: Callable[[User], FlaskClient],
    make_partner: Callable[..., Partner],
    make_user: Callable[..., User],
    session: Session,
    standin: StandIn,
) -> None:
    app.config.update(
        X_API_BASE=standin.url,
        X_TOKEN_URL=f"{standin.url}/2/oauth2/token",
        X_AUTHORIZE_URL="https://x.example/i/oauth2/authorize",
        X_CLIENT_ID=CLIENT_ID,
        X_CLIENT_SECRET=CLIENT_SECRET,
    )
    partner = make_partner()
    admin = make_user(Role.PARTNER_ADMIN, partner)
    web = sign_in_as(admin)
    page = web.get("/channels")
    assert page.status_code == 200 and "No channels yet" in page.get_data(as_text=True)
    r = web.post("/channels/connect/x", data={"csrf_token": csrf_of(web)})
    assert r.status_code == 302
    where = urlsplit(r.location)
    q = {k: v[0] for k, v in parse_qs(where.query).items()}
    assert r.location.startswith("https://x.example/i/oauth2/authorize?")
    assert q["response_type"] == "code" and q["client_id"] == CLIENT_ID
    assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
    assert q["redirect_uri"].endswith("/channels/callback/x") and "offline.access" in q["scope"]
    # A forged or replayed state is refused, and spends the pending flow.
    assert web.get("/channels/callback/x?code=good-code&state=forged").status_code == 400
    assert web.get(f"/channels/callback/x?code=good-code&state={q['state']}").status_code == 400
    r = web.post("/channels/connect/x", data={"csrf_token": csrf_of(web)})
    state = parse_qs(urlsplit(r.location).query)["state"][0]
    r = web.get(f"/channels/callback/x?code=good-code&state={state}")
    assert r.status_code == 302, r.get_data(as_text=True)
    channel = session.scalars(select(Channel).where(Channel.partner_id == partner.id)).one()
    assert channel.account == "2244994945"  # from GET /2/users/me with the new token
    creds = unseal(app.config["SECRET_KEY"], channel.secret)
    assert creds["access_token"] in standin.tokens and creds["refresh_token"]
    assert standin.errors == []
    # The service refused the tokens later: the page says so and offers to reconnect.
    channel.status = ChannelStatus.NEEDS_RECONNECT
    session.commit()
    text = web.get("/channels").get_data(as_text=True)
    assert "needs reconnecting" in text and f'name="channel_id" value="{channel.id}"' in text
    r = web.post("/channels/connect/x", data={"csrf_token": csrf_of(web), "channel_id": channel.id})
    state = parse_qs(urlsplit(r.location).query)["state"][0]
    assert web.get(f"/channels/callback/x?code=good-code&state={state}").status_code == 302
    session.expire_all()
    assert channel.status is ChannelStatus.CONNECTED
    assert unseal(app.config["SECRET_KEY"], channel.secret)["access_token"] != creds["access_token"]
    # Partner users do not manage channels.
    member = make_user(Role.PARTNER_USER, partner)
    web.post("/sign-out", data={"csrf_token": csrf_of(web)})
    assert sign_in_as(member).get("/channels").status_code == 403


CROSS_TENANT_CASES: list[tuple[str, str]] = [
    ("/channels/<id:channel_id>/delete", "POST"),
    ("/channels/connect/<any(linkedin, x):kind>", "POST"),
    ("/channels/callback/<any(linkedin, x):kind>", "GET"),
]


def test_another_organisations_channel_is_refused_and_nothing_changes(
    app: Flask,
    client: FlaskClient,
    sign_in_as: Callable[[User], FlaskClient],
    make_partner: Callable[..., Partner],
    make_user: Callable[..., User],
    session: Session,
) -> None:
    from tests.app.test_portal_tenancy import portal_rules, snapshot

    rules = {(r.rule, m) for r in portal_rules(app) if r.rule.startswith("/channels/")
             for m in r.methods - {"HEAD", "OPTIONS"}}  # fmt: skip
    assert rules == set(CROSS_TENANT_CASES)
    app.config.update(X_CLIENT_ID=CLIENT_ID, X_AUTHORIZE_URL="https://x.example/authorize")
    owner, other = make_partner(), make_partner()
    victim = Channel(partner_id=owner.id, kind="x", account="31337", secret=None)
    session.add(victim)
    session.commit()
    for actor in (make_user(Role.PARTNER_ADMIN, other), make_user(Role.PARTNER_USER, other)):
        web = app.test_client()
        web.get("/sign-in")
        r = web.post("/sign-in", data={"email": actor.email, "password": PASSWORD,
                                       "csrf_token": csrf_of(web)})  # fmt: skip
        assert r.status_code == 302
        web.get("/")  # a page: the new session holds a form token
        before = snapshot(session)
        token = csrf_of(web)
        answers = [
            web.post(f"/channels/{victim.id}/delete", data={"csrf_token": token}),
            web.post("/channels/connect/x", data={"csrf_token": token, "channel_id": victim.id}),
            web.get("/channels/callback/x?code=good-code&state=guess"),
        ]
        for r in answers:
            assert r.status_code in (400, 403, 404), r.status_code
            assert "31337" not in r.get_data(as_text=True)
        assert snapshot(session) == before
