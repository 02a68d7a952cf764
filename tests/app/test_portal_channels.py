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
    # Non-ASCII (compare_digest raises TypeError on such text): refused, never a 500.
    assert web.get("/channels/callback/x?code=good-code&state=caf%C3%A9").status_code == 400
    assert web.get(f"/channels/callback/x?code=good-code&state={q['state']}").status_code == 400
    r = web.post("/channels/connect/x", data={"csrf_token": csrf_of(web)})
    q = {k: v[0] for k, v in parse_qs(urlsplit(r.location).query).items()}
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
    # No id: a channel added is always the actor's own (an empty form here: nothing written).
    ("/channels/add/<any(smtp, webhook):service>", "POST"),
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
            web.post("/channels/add/webhook", data={"csrf_token": token, "id": victim.id}),
        ]
        for r in answers:
            assert r.status_code in (400, 403, 404, 422), r.status_code
            assert "31337" not in r.get_data(as_text=True)
        assert snapshot(session) == before


def test_smtp_and_webhook_forms_connect_with_human_errors_and_never_show_secrets(
    app: Flask,
    sign_in_as: Callable[[User], FlaskClient],
    make_partner: Callable[..., Partner],
    make_user: Callable[..., User],
    session: Session,
) -> None:
    partner = make_partner()
    web = sign_in_as(make_user(Role.PARTNER_ADMIN, partner))
    page = web.get("/channels").get_data(as_text=True)
    # OAuth is not set up here: said in words, no greyed-out button.
    assert "not set up on this server yet" in page and "disabled" not in page
    assert 'id="add-smtp"' in page and 'id="add-webhook"' in page
    bad = {
        "csrf_token": csrf_of(web),
        "host": "127.0.0.1",
        "port": "70000",
        "security": "starttls",
        "from": "not an address",
        "username": "mailer",
        "password": "hunter2-very-secret",
    }
    r = web.post("/channels/add/smtp", data=bad)
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Must be a port number from 1 to 65535" in text
    assert "Is not a valid email address" in text
    assert text.count('class="field-error"') == 3  # host (an IP address), port, from
    assert "hunter2-very-secret" not in text  # the password is typed again
    assert 'value="mailer"' in text  # the rest is kept
    for internal in ("starttls, ssl, none", "consent_source", "smtp.host", "ValidationError"):
        assert internal not in text
    # The SSRF guard: internal names are refused as well as IP addresses.
    r = web.post("/channels/add/smtp", data={**bad, "host": "mail.corp", "port": "587"})
    assert r.status_code == 422 and "internal host name" in r.get_data(as_text=True)
    r = web.post("/channels/add/smtp", data={**bad, "security": "tls13"})
    assert "Choose how the connection is secured" in r.get_data(as_text=True)
    assert session.scalars(select(Channel).where(Channel.partner_id == partner.id)).all() == []
    good = {**bad, "host": "smtp.partner-mail.example", "port": "465", "security": "ssl"}
    good["from"] = "News@Partner-Mail.example"
    r = web.post("/channels/add/smtp", data={**good, "bounce_secret": "short-bounce"})
    assert "At least 16 characters" in r.get_data(as_text=True).replace("Must be at", "At")
    assert "short-bounce" not in r.get_data(as_text=True)
    good["bounce_secret"] = "bounce-signing-secret-42"
    r = web.post("/channels/add/smtp", data=good)
    assert r.status_code == 302, r.get_data(as_text=True)
    smtp = session.scalars(select(Channel).where(Channel.partner_id == partner.id)).one()
    creds = unseal(app.config["SECRET_KEY"], smtp.secret)
    assert (creds["host"], creds["port"], creds["security"]) == (
        "smtp.partner-mail.example",
        465,
        "ssl",
    )
    assert creds["password"] == "hunter2-very-secret" and smtp.kind.value == "smtp"
    assert creds["bounce_secret"] == "bounce-signing-secret-42"
    listed = web.get("/channels").get_data(as_text=True)
    assert f"/api/v1/channels/{smtp.id}/bounces" in listed  # where the mail service reports
    assert "bounce-signing-secret-42" not in listed
    # Webhook: a short secret and a loopback URL are refused in words; the secret never shows.
    r = web.post(
        "/channels/add/webhook",
        data={"csrf_token": csrf_of(web), "url": "http://localhost/x", "secret": "short-secret"},
    )
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and "At least 16 characters" in text.replace("Must be at", "At")
    assert "short-secret" not in text and 'value="http://localhost/x"' in text
    r = web.post(
        "/channels/add/webhook",
        data={
            "csrf_token": csrf_of(web),
            "url": "https://hooks.partner-mail.example/in",
            "secret": "a-long-enough-signing-secret",
        },
    )
    assert r.status_code == 302
    page = web.get("/channels").get_data(as_text=True)
    assert "hooks.partner-mail.example" in page and "smtp.partner-mail.example" not in page
    assert "hunter2" not in page and "a-long-enough-signing-secret" not in page
    # Vendor staff and partner users are refused.
    user = sign_in_as(make_user(Role.PARTNER_USER, partner))
    user.get("/")  # a page: the new session holds a form token
    r = user.post("/channels/add/webhook", data={"csrf_token": csrf_of(user), "url": "x"})
    assert r.status_code == 403
