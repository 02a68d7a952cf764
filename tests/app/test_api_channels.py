"""The channels API: partner admins connect channels; credentials are sealed, never returned;
bad input is a 422 naming the fields, with nothing stored."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prm_domain.enums import Role
from prm_domain.models import Partner, User
from prm_domain.models.channel import Channel
from prm_domain.publishing.secrets import unseal

SECRETS = (
    "li-access-token",
    "li-refresh-token",
    "x-access-token",
    "smtp-password-1",
    "hook-secret-123456",
)


def test_partner_admins_connect_list_and_remove_channels_without_seeing_secrets(
    app: Flask,
    api_as: Any,
    make_partner: Callable[..., Partner],
    make_user: Callable[..., User],
    session: Session,
) -> None:
    partner = make_partner()
    api = api_as(make_user(Role.PARTNER_ADMIN, partner))
    bodies: list[dict[str, Any]] = [
        {"kind": "linkedin", "access_token": "li-access-token", "refresh_token": "li-refresh-token",
         "author": "urn:li:organization:5515715"},
        {"kind": "x", "access_token": "x-access-token", "user_id": "2244994945"},
        {"kind": "smtp", "host": "smtp.partner.example", "port": 465, "security": "ssl",
         "from": "news@partner.example", "username": "news", "password": "smtp-password-1"},
        {"kind": "webhook", "url": "https://hooks.partner.example/in",
         "secret": "hook-secret-123456"},
        {"kind": "outbox"},
    ]  # fmt: skip
    created = []
    for body in bodies:
        r = api.post("/api/v1/channels", body)
        assert r.status_code == 201, r.json
        assert r.json["status"] == "connected"
        created.append(r.json)
    assert [c["account"] for c in created] == [
        "urn:li:organization:5515715", "2244994945", "news@partner.example",
        "https://hooks.partner.example/in", "outbox",
    ]  # fmt: skip
    listing = api.get("/api/v1/channels")
    assert listing.status_code == 200 and listing.json["total"] == 5
    seen = json.dumps([listing.json, created, api.get(f"/api/v1/channels/{created[0]['id']}").json])
    assert not any(s in seen for s in SECRETS)  # never returned
    row = session.get(Channel, created[0]["id"])
    assert row is not None and row.secret is not None and b"li-access-token" not in row.secret
    creds = unseal(app.config["SECRET_KEY"], row.secret)
    assert creds == {"access_token": "li-access-token", "refresh_token": "li-refresh-token"}
    assert api.delete(f"/api/v1/channels/{created[0]['id']}").status_code == 204
    assert api.get(f"/api/v1/channels/{created[0]['id']}").status_code == 404


def test_bad_channels_are_refused_with_field_errors_and_nothing_stored(
    api_as: Any,
    make_partner: Callable[..., Partner],
    make_user: Callable[..., User],
    session: Session,
) -> None:
    partner = make_partner()
    api = api_as(make_user(Role.PARTNER_ADMIN, partner))
    cases: list[tuple[dict[str, Any], str]] = [
        ({"kind": "linkedin", "access_token": "t", "author": "someone"}, "author"),
        ({"kind": "linkedin", "author": "urn:li:organization:1"}, "access_token"),
        ({"kind": "x", "access_token": "t", "user_id": "@handle"}, "user_id"),
        ({"kind": "smtp", "host": "h.example", "from": "not an address"}, "from"),
        ({"kind": "smtp", "host": "h.example", "from": "a@b.example", "security": "tls9"},
         "security"),
        ({"kind": "webhook", "url": "http://127.0.0.1:6379/", "secret": "x" * 20}, "url"),
        # SSRF: the worker would connect there (and report what it found).
        *(
            ({"kind": "smtp", "host": host, "port": 6379, "from": "a@b.example"}, "host")
            for host in ("127.0.0.1", "169.254.169.254", "10.0.0.5", "redis", "localhost",
                         "[::1]", "::1", "2130706433", "metadata.google.internal",
                         "printer.local", "-bad-.example")
        ),
        *(
            ({"kind": "webhook", "url": url, "secret": "x" * 20}, "url")
            for url in ("http://metadata.google.internal/computeMetadata/v1/",
                        "http://169.254.169.254/latest/meta-data/", "http://[::1]/",
                        "http://localhost:8080/", "http://redis:6379/", "http://0x7f.1/",
                        "http://nas.home.arpa/")
        ),
        ({"kind": "webhook", "url": "https://h.example/x", "secret": "short"}, "secret"),
        ({"kind": "carrier-pigeon"}, "kind"),
        ({"kind": "x", "access_token": 5, "user_id": "1"}, "access_token"),
    ]  # fmt: skip
    for body, field in cases:
        r = api.post("/api/v1/channels", body)
        assert r.status_code == 422, (body, r.status_code, r.json)
        assert field in json.dumps(r.json["error"]), (body, r.json)
    assert session.scalar(select(func.count()).select_from(Channel)) == 0


def test_only_partner_admins_manage_channels(
    api_as: Any, make_partner: Callable[..., Partner], make_user: Callable[..., User]
) -> None:
    partner = make_partner()
    body = {"kind": "x", "access_token": "t", "user_id": "1"}
    for role in (Role.PARTNER_USER, Role.VENDOR_ADMIN, Role.MARKETING_MANAGER):
        user = make_user(role, partner) if role is Role.PARTNER_USER else make_user(role)
        api = api_as(user)
        assert api.get("/api/v1/channels").status_code == 403, role
        assert api.post("/api/v1/channels", body).status_code == 403, role


def test_signed_bounce_reports_mark_hard_bounces_of_the_channels_partner_only(
    app: Flask,
    client: Any,
    api_as: Any,
    make_partner: Callable[..., Partner],
    make_user: Callable[..., User],
    session: Session,
) -> None:
    import time

    from prm_domain.campaigns import contacts
    from prm_domain.enums import ContactStatus
    from prm_domain.models import Contact
    from prm_domain.publishing.webhook import signature

    partner, other = make_partner(), make_partner()
    admin, other_admin = (make_user(Role.PARTNER_ADMIN, p) for p in (partner, other))
    for actor in (admin, other_admin):
        for address in ("gone@mail.example", "full@mail.example", "ok@mail.example"):
            contacts.add_contact(session, actor, {"email": address, "consent_source": "fair"})
    session.commit()
    api = api_as(admin)
    short = {"kind": "smtp", "host": "smtp.partner.example", "from": "n@partner.example"}
    r = api.post("/api/v1/channels", {**short, "bounce_secret": "too-short"})
    assert r.status_code == 422 and "bounce_secret" in r.json["error"]["fields"]
    r = api.post("/api/v1/channels", {**short, "bounce_secret": "bounce-secret-0123456789"})
    assert r.status_code == 201, r.json
    channel_id = r.json["id"]
    assert "bounce-secret" not in json.dumps(r.json)
    no_secret = api.post("/api/v1/channels", short).json["id"]

    body = json.dumps(
        {
            "bounces": [
                {"email": "GONE@mail.example", "type": "hard"},
                {"email": "full@mail.example", "type": "soft"},
                {"email": "stranger@mail.example"},  # hard by default; not a contact
                {"email": "not an address"},
            ]
        }
    ).encode()

    key = "bounce-secret-0123456789"

    def report(data: bytes, secret: str = key, at: int | None = None, cid: int = 0) -> Any:
        header = signature(secret, at or int(time.time()), data)
        return client.post(
            f"/api/v1/channels/{cid or channel_id}/bounces",
            data=data,
            headers={"X-Cobrand-Signature": header, "Content-Type": "application/json"},
        )

    def statuses(partner_id: int) -> dict[str, ContactStatus]:
        session.expire_all()
        return {
            c.email: c.status
            for c in session.scalars(select(Contact).where(Contact.partner_id == partner_id))
        }

    before = statuses(partner.id)
    # Refused alike: a wrong secret, an old signature, a channel without a secret, another
    # kind of channel, no channel at all, a signature of another body.
    for r in (
        report(body, secret="bounce-secret-guessed-000"),
        report(body, at=int(time.time()) - 3600),
        report(body, cid=no_secret),
        report(body, cid=2**31 - 2),
        client.post(
            f"/api/v1/channels/{channel_id}/bounces",
            data=body + b" ",
            headers={"X-Cobrand-Signature": signature("bounce-secret-0123456789", 1, body)},
        ),
        client.post(f"/api/v1/channels/{channel_id}/bounces", data=body),
    ):
        assert r.status_code == 401, r.json
        assert r.json["error"]["message"] == "The bounce report's signature is not valid."
    assert statuses(partner.id) == before
    r = report(body)
    assert r.status_code == 200, r.json
    assert (r.json["marked"], r.json["ignored"]) == (1, 2)
    assert [i["index"] for i in r.json["invalid"]] == [3]
    assert statuses(partner.id) == {
        "gone@mail.example": ContactStatus.BOUNCED,
        "full@mail.example": ContactStatus.SUBSCRIBED,  # a soft bounce: mailed again
        "ok@mail.example": ContactStatus.SUBSCRIBED,
    }
    # The other partner's contact of the same address is its own.
    assert set(statuses(other.id).values()) == {ContactStatus.SUBSCRIBED}
    # Delivered twice: nothing more changes.
    again = report(body)
    assert again.status_code == 200 and again.json["marked"] == 0
    assert report(b"not json").status_code == 422
    assert report(b'{"bounces": {}}').json["error"]["fields"] == {
        "bounces": "must be a list of at most 1000 bounces"
    }
    # Signed but hostile: refused in words, never a 500, nothing marked.
    for hostile in (
        b'{"a":' * 5000 + b"1" + b"}" * 5000,
        b"\xff\xfe{\x00",
        b'{"bounces": [{"email": "\\ud800@x.example"}, {"email": 7}, [1], null]}',
        b'{"bounces": [{"email": "ok@mail.example", "type": "permanent"}]}',
        b'{"bounces": [' + b",".join([b'{"email": "a@b.example"}'] * 1001) + b"]}",
        b"[1, 2]",
        b'{"a": 1e999999}',
    ):
        r = report(hostile)
        assert r.status_code in (200, 413, 422), (hostile[:40], r.status_code)
        assert r.json is not None and ("error" in r.json or r.json["marked"] == 0)
    assert statuses(partner.id)["ok@mail.example"] == ContactStatus.SUBSCRIBED


def test_bounce_report_with_non_ascii_signature_is_refused_not_a_500(
    client: Any, api_as: Any, make_partner: Callable[..., Partner], make_user: Callable[..., User]
) -> None:
    """A fresh timestamp and a signature of non-ASCII text (a header is Latin-1 on the wire):
    compare_digest raises TypeError on such text, which must not become a 500."""
    import time

    admin = make_user(Role.PARTNER_ADMIN, make_partner())
    body = {"kind": "smtp", "host": "smtp.partner.example", "from": "n@partner.example"}
    r = api_as(admin).post(
        "/api/v1/channels", {**body, "bounce_secret": "bounce-secret-0123456789"}
    )
    assert r.status_code == 201, r.json
    channel_id = r.json["id"]
    for v1 in ("\u00e9" * 64, "caf\u00e9"):
        r = client.post(
            f"/api/v1/channels/{channel_id}/bounces",
            data=b'{"bounces": []}',
            headers={"X-Cobrand-Signature": f"t={int(time.time())},v1={v1}"},
        )
        assert r.status_code == 401, r.status_code
        assert r.json["error"]["message"] == "The bounce report's signature is not valid."


def test_channel_name_follows_the_text_rules_and_a_bad_one_is_said(
    api_as: Any, make_partner: Callable[..., Partner], make_user: Callable[..., User]
) -> None:
    """The name was checked into a thrown-away problems dict: a NUL (a 500 on Postgres), a
    control or bidi character was stored as is, a too-long name silently replaced."""
    api = api_as(make_user(Role.PARTNER_ADMIN, make_partner()))
    hook = {"kind": "webhook", "url": "https://hooks.example.com/in", "secret": "0123456789abcdef"}
    before = len(api.get("/api/v1/channels").json["items"])
    for body in (
        {**hook, "name": "a\u0000b"},
        {**hook, "name": "Sales \u202etxt.exe"},
        {**hook, "name": 5},
        {"kind": "outbox", "name": "bell\u0007"},
    ):
        r = api.post("/api/v1/channels", body)
        assert r.status_code == 422, (body["name"], r.status_code, r.json)
        assert "name" in r.json["error"]["fields"]
    # Both the name and another field wrong: both named.
    r = api.post("/api/v1/channels", {**hook, "name": "a\u0000b", "secret": "short"})
    assert set(r.json["error"]["fields"]) == {"name", "secret"}
    assert len(api.get("/api/v1/channels").json["items"]) == before
    r = api.post("/api/v1/channels", {**hook, "name": "  CRM hook  "})
    assert r.status_code == 201 and r.json["name"] == "CRM hook"
