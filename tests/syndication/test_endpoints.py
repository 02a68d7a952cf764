"""Syndication from the API to the public endpoints: content, CORS, ETags, leads, events."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
import uuid

import pytest
from sqlalchemy import event, func, select, update

from prm_domain.base import utcnow
from prm_domain.enums import Role
from prm_domain.models import Lead, Notification, Partner
from prm_domain.syndication.public import origin_allowed
from syndication.public import form_token
from tests.requirements import need_env

ORIGIN = "https://shop.example.com"
FORM = {
    "fields": ["name", "email", "company", "message"],
    "required": ["email", "name"],
    "consent_text": "I agree that Nimbus and its partner may contact me.",
}


@pytest.fixture
def world(make_user, make_partner, make_tier, api_as, client, app):
    app.config["SYNDICATION_CACHE_SECONDS"] = 0  # these tests read changes back at once
    tier = make_tier()
    a = make_partner(tier=tier, name="Alpha Shop")
    b = make_partner(tier=tier, name="Beta Shop")
    vendor = api_as(make_user(Role.MARKETING_MANAGER))
    a_api = api_as(make_user(Role.PARTNER_ADMIN, partner=a))
    b_api = api_as(make_user(Role.PARTNER_ADMIN, partner=b))
    banner = vendor.post(
        "/api/v1/syndication/items",
        {
            "kind": "banner",
            "title": "Launch",
            "content": {
                "headline": "<img src=x onerror=alert(1)>Nimbus 5.0",
                "text": "Faster.",
                "cta_label": "Learn more",
                "cta_url": "https://nimbus.example/5",
            },
        },
    ).json
    form = vendor.post(
        "/api/v1/syndication/items", {"kind": "lead_form", "title": "Talk to us", "content": FORM}
    ).json
    embed = a_api.post(
        "/api/v1/embeds",
        {
            "kind": "block",
            "items": "all",
            "allowed_domains": ["shop.example.com", "127.0.0.1:8081"],
        },
    )
    assert embed.status_code == 201, embed.json
    return {
        "vendor": vendor,
        "a": a,
        "b": b,
        "a_api": a_api,
        "b_api": b_api,
        "client": client,
        "banner": banner,
        "form": form,
        "embed": embed.json,
    }


def test_origin_allow_list_is_exact() -> None:
    allowed = ["shop.example.com", "127.0.0.1:8081"]
    assert origin_allowed(allowed, "https://shop.example.com")
    assert origin_allowed(allowed, "http://shop.example.com:80")
    assert origin_allowed(allowed, "http://127.0.0.1:8081")
    for origin in [
        None,
        "",
        "null",
        "https://evil.com",
        "https://shop.example.com.evil.com",
        "https://evilshop.example.com",
        "https://sub.shop.example.com",
        "https://shop.example.com:8443",
        "http://127.0.0.1:8082",
        "http://127.0.0.1",
        "javascript://shop.example.com",
        "https://shop.example.com/path",
    ]:
        assert not origin_allowed(allowed, origin), origin


def test_snippet_is_one_line_with_the_key(world) -> None:
    e = world["embed"]
    assert (
        e["snippet"]
        == f'<script async src="http://localhost/embed.js" data-embed="{e["key"]}"></script>'
    )


def test_content_answers_allowed_origins_only(world) -> None:
    c, key = world["client"], world["embed"]["key"]
    r = c.get(f"/syndication/v1/embeds/{key}", headers={"Origin": ORIGIN})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in r.headers["Vary"] and "Set-Cookie" not in r.headers
    data = r.json
    assert (
        data["banners"][0]["headline"] == "<img src=x onerror=alert(1)>Nimbus 5.0"
    )  # data, not HTML
    assert data["forms"][0]["fields"] == FORM["fields"] and data["forms"][0]["form_token"]
    again = c.get(
        f"/syndication/v1/embeds/{key}",
        headers={"Origin": ORIGIN, "If-None-Match": r.headers["ETag"]},
    )
    assert again.status_code == 304

    evil = c.get(f"/syndication/v1/embeds/{key}", headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and "Access-Control-Allow-Origin" not in evil.headers
    assert (
        c.get("/syndication/v1/embeds/nosuchkey1234567", headers={"Origin": ORIGIN}).status_code
        == 404
    )


def test_vendor_change_changes_the_etag(world) -> None:
    c, key = world["client"], world["embed"]["key"]
    first = c.get(f"/syndication/v1/embeds/{key}", headers={"Origin": ORIGIN})
    world["vendor"].patch(
        f"/api/v1/syndication/items/{world['banner']['id']}",
        {"content": {"headline": "Nimbus 5.1", "text": "Even faster."}},
    )
    second = c.get(
        f"/syndication/v1/embeds/{key}",
        headers={"Origin": ORIGIN, "If-None-Match": first.headers["ETag"]},
    )
    assert second.status_code == 200 and second.json["banners"][0]["headline"] == "Nimbus 5.1"


def test_disabled_embed_and_ended_item(world) -> None:
    c, key = world["client"], world["embed"]["key"]
    world["vendor"].patch(
        f"/api/v1/syndication/items/{world['banner']['id']}", {"ends_at": "2020-01-01T00:00:00Z"}
    )
    assert c.get(f"/syndication/v1/embeds/{key}", headers={"Origin": ORIGIN}).json["banners"] == []
    world["a_api"].patch(f"/api/v1/embeds/{world['embed']['id']}", {"enabled": False})
    assert c.get(f"/syndication/v1/embeds/{key}", headers={"Origin": ORIGIN}).status_code == 404


def _lead(world, **overrides):
    key = world["embed"]["key"]
    with world["client"].application.app_context():
        token = form_token(key, int(time.time()) - 10)
    body = {
        "form_id": world["form"]["id"],
        "fields": {
            "name": "Dana",
            "email": "dana@buyer.example",
            "message": '=HYPERLINK("http://evil")',
        },
        "consent": True,
        "website": "",
        "form_token": token,
        "page_url": "https://shop.example.com/cloud?utm_source=newsletter&utm_campaign=q4",
    }
    body.update(overrides)
    return world["client"].post(
        f"/syndication/v1/embeds/{key}/leads", json=body, headers={"Origin": ORIGIN}
    )


def test_lead_lands_for_the_right_partner_once(world, session) -> None:
    r = _lead(world)
    assert r.status_code == 201, r.json
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
    leads = world["a_api"].get("/api/v1/leads").json
    assert leads["total"] == 1
    lead = leads["items"][0]
    assert lead["partner_id"] == world["a"].id and lead["embed_id"] == world["embed"]["id"]
    assert lead["utm"] == {"utm_source": "newsletter", "utm_campaign": "q4"}
    assert lead["consent_text"] == FORM["consent_text"] and lead["consent_given_at"]
    assert world["b_api"].get("/api/v1/leads").json["total"] == 0
    assert world["b_api"].get(f"/api/v1/leads/{lead['id']}").status_code == 404
    assert (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.partner_id == world["a"].id)
        )
        == 1
    )
    # The same submission again: acknowledged, not stored twice.
    assert _lead(world).status_code == 200
    assert session.scalar(select(func.count()).select_from(Lead)) == 1
    rows = list(
        csv.reader(
            io.StringIO(world["a_api"].get("/api/v1/leads/export.csv").get_data(as_text=True))
        )
    )
    message = rows[1][rows[0].index("message")]
    assert message.startswith("'=")  # a cell that stays text in a spreadsheet
    stats = world["a_api"].get(f"/api/v1/embeds/{world['embed']['id']}/stats?days=7").json
    assert stats["totals"]["leads"] == 1


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({"website": "http://spam.example"}, 400),  # honeypot
        ({"form_token": "123.abc"}, 400),  # forged
        ({"consent": False}, 422),
        ({"fields": {"name": "Dana"}}, 422),  # email required
        ({"fields": {"email": "not-an-email", "name": "x"}}, 422),
        ({"fields": {"email": "a@b.example", "name": "x", "ssn": "1"}}, 422),
        ({"form_id": 999999}, 404),
    ],
)
def test_bad_and_spam_leads_store_nothing(world, session, overrides, status) -> None:
    r = _lead(world, **overrides)
    assert r.status_code == status, r.json
    assert "error" in r.json
    assert session.scalar(select(func.count()).select_from(Lead)) == 0


def test_too_fast_submission_is_refused(world, session) -> None:
    key = world["embed"]["key"]
    with world["client"].application.app_context():
        fresh = form_token(key)
    assert _lead(world, form_token=fresh).status_code == 400
    assert session.scalar(select(func.count()).select_from(Lead)) == 0


def test_leads_are_rate_limited_per_address(world) -> None:
    codes = [
        _lead(world, fields={"name": "N", "email": f"n{i}@x.example"}).status_code for i in range(7)
    ]
    assert codes[:5] == [201] * 5 and codes[5:] == [429, 429]


def _view(world, key=None):
    """A page view's token, as the widget gets it: with the content."""
    key = key or world["embed"]["key"]
    r = world["client"].get(f"/syndication/v1/embeds/{key}", headers={"Origin": ORIGIN})
    assert r.status_code == 200, r.data
    return r.json["page_view"]


def _beacon(world, events, page_view="fresh", address="203.0.113.20", key=None):
    """A beacon under ``page_view`` ("fresh": a new view's token from the content answer)."""
    key = key or world["embed"]["key"]
    page_view = _view(world, key) if page_view == "fresh" else page_view
    body = {"events": events} if page_view is None else {"page_view": page_view, "events": events}
    return world["client"].post(
        f"/syndication/v1/embeds/{key}/events",
        data=json.dumps(body),
        content_type="text/plain",
        headers={"Origin": ORIGIN},
        environ_base={"REMOTE_ADDR": address},
    )


def _stats(world):
    return world["a_api"].get(f"/api/v1/embeds/{world['embed']['id']}/stats").json


def test_events_are_counted_per_day_and_item(world) -> None:
    c, key, banner = world["client"], world["embed"]["key"], world["banner"]["id"]
    r = _beacon(
        world,
        [
            {"type": "impression", "item_id": banner},
            {"type": "impression", "item_id": banner},
            {"type": "click", "item_id": banner},
            {"type": "click", "item_id": 424242},
        ],
    )
    assert r.status_code == 204
    # A second page view sees the banner and does not click it.
    assert _beacon(world, [{"type": "impression", "item_id": banner}]).status_code == 204
    stats = _stats(world)
    assert stats["totals"] == {"impressions": 2, "clicks": 1, "leads": 0, "ctr": 0.5}
    assert stats["items"] == [
        {"item_id": banner, "impressions": 2, "clicks": 1, "leads": 0, "ctr": 0.5}
    ]
    bad = c.post(
        f"/syndication/v1/embeds/{key}/events",
        data="{not json",
        content_type="text/plain",
        headers={"Origin": ORIGIN},
    )
    assert bad.status_code == 400
    assert (
        c.post(
            f"/syndication/v1/embeds/{key}/events",
            json={"events": []},
            headers={"Origin": "https://evil.example"},
        ).status_code
        == 403
    )


def test_events_cannot_be_inflated(world) -> None:
    """The attacks found: 100 identical clicks in a batch, clicks with no impression, the same
    page view sent again and again, a flood from one address. None adds more than one real
    visitor's page view could, and clicks never outnumber impressions."""
    banner = world["banner"]["id"]
    impression, click = (
        {"type": "impression", "item_id": banner},
        {"type": "click", "item_id": banner},
    )
    assert _beacon(world, [click] * 100).status_code == 204
    assert _stats(world)["totals"]["clicks"] == 0  # no impression in that page view
    one_view = _view(world)
    assert _beacon(world, [impression] + [click] * 99, one_view).status_code == 204
    for _ in range(5):
        assert _beacon(world, [impression, click], one_view).status_code == 204
    stats = _stats(world)
    assert stats["totals"] == {"impressions": 1, "clicks": 1, "leads": 0, "ctr": 1.0}
    # Without a page view id nothing is counted, and the answer says why.
    r = _beacon(world, [impression, click], page_view=None)
    assert r.status_code == 422 and "page_view" in r.json["error"]["fields"]
    r = _beacon(world, [impression], page_view="<script>")
    assert r.status_code == 422 and "page_view" in r.json["error"]["fields"]
    # A flood of views, each with a token fetched for it, from one address stops at the
    # per-embed-and-address limit (the residual risk: docs/security.md).
    codes = [
        _beacon(world, [impression, click], "fresh", "198.51.100.7").status_code for i in range(40)
    ]
    assert codes.count(204) == 30 and codes[30:] == [429] * 10
    stats = _stats(world)
    assert stats["totals"]["impressions"] == 1 + 30
    assert stats["totals"]["clicks"] <= stats["totals"]["impressions"]


def test_click_through_rate_is_never_above_one(world, session) -> None:
    from prm_domain.models import Embed
    from prm_domain.syndication import events

    # A day counted before clicks needed an impression of their own page view.
    embed = session.get(Embed, world["embed"]["id"])
    events.count(session, embed, world["banner"]["id"], impressions=2, clicks=100)
    session.commit()
    stats = _stats(world)
    assert stats["totals"]["ctr"] == 1.0 and stats["items"][0]["ctr"] == 1.0
    assert all(d["ctr"] <= 1.0 for d in stats["days"])


def test_page_views_are_remembered_longer_than_their_tokens_last(world, session, app) -> None:
    from prm_domain.models import EmbedViewEvent
    from prm_domain.syndication import events, page_views

    # A token is refused before the rows that make it count once are purged: it can never
    # count a second time.
    assert page_views.TTL < events.VIEW_MEMORY
    banner = world["banner"]["id"]
    seen = [{"type": "impression", "item_id": banner}]
    secret, key = app.config["SECRET_KEY"], world["embed"]["key"]
    day_old = page_views.issue(
        secret, key, issued=int(time.time() - page_views.TTL.total_seconds()) + 60
    )
    assert _beacon(world, seen, day_old).status_code == 204
    assert events.purge_view_events(session) == 0
    session.execute(update(EmbedViewEvent).values(at=utcnow() - dt.timedelta(days=2, minutes=1)))
    assert events.purge_view_events(session) == 1
    session.commit()
    expired = page_views.issue(secret, key, issued=int(time.time()) - 24 * 3600 - 1)
    r = _beacon(world, seen, expired)
    assert r.status_code == 422 and r.json["error"]["code"] == "page_view_refused"
    assert _stats(world)["totals"]["impressions"] == 1


def test_only_page_views_the_server_issued_count(world, app) -> None:
    """The review's attack: a made-up page-view id per post counted a fresh view each time."""
    from prm_domain.syndication import page_views

    banner = world["banner"]["id"]
    pair = [{"type": "impression", "item_id": banner}, {"type": "click", "item_id": banner}]
    # What an old widget sends, and the attack: a new random id per post.
    for forged in ["lq3k2x9ab0c4d5e6f7", *(str(uuid.uuid4()) for _ in range(10))]:
        r = _beacon(world, pair, forged)
        assert r.status_code == 422, r.json
        assert r.json["error"]["code"] == "page_view_refused"
        assert "page_view" in r.json["error"]["fields"]
    # Tampered tokens: another time, another nonce, a shortened or foreign signature, a token
    # signed with another secret, text that is not ASCII.
    secret, key = app.config["SECRET_KEY"], world["embed"]["key"]
    good = _view(world)
    issued, nonce, mac = good.split(".")
    other_nonce = ("A" if nonce[0] != "A" else "B") + nonce[1:]
    for bad in [
        f"{int(issued) + 1}.{nonce}.{mac}",
        f"{issued}.{other_nonce}.{mac}",
        f"{issued}.{nonce}.{mac[:-1]}",
        f"{issued}.{nonce}.{mac[:-1]}{'0' if mac[-1] != '0' else '1'}",
        page_views.issue("another secret", key, issued=int(issued), nonce=nonce),
        page_views.issue(secret, key, issued=int(time.time()) + 3600),  # from the future
        f"{issued}.{nonce}.{mac}.x",
        f"²{issued}.{nonce}.{mac}",
        good + "é",
        123,
        ["a"],
    ]:
        r = _beacon(world, pair, bad)
        assert r.status_code == 422 and "page_view" in r.json["error"]["fields"], (bad, r.json)
    assert _stats(world)["totals"] == {"impressions": 0, "clicks": 0, "leads": 0, "ctr": 0.0}
    # The real token counts once.
    assert _beacon(world, pair, good).status_code == 204
    assert _stats(world)["totals"] == {"impressions": 1, "clicks": 1, "leads": 0, "ctr": 1.0}


def test_a_page_view_token_counts_for_its_own_embed_only(world) -> None:
    banner = world["banner"]["id"]
    other = world["a_api"].post(
        "/api/v1/embeds", {"kind": "block", "items": "all", "allowed_domains": ["shop.example.com"]}
    )
    assert other.status_code == 201, other.json
    pair = [{"type": "impression", "item_id": banner}, {"type": "click", "item_id": banner}]
    from_a = _view(world)
    r = _beacon(world, pair, from_a, key=other.json["key"])
    assert r.status_code == 422 and r.json["error"]["code"] == "page_view_refused"
    stats = world["a_api"].get(f"/api/v1/embeds/{other.json['id']}/stats").json
    assert stats["totals"]["impressions"] == 0
    own = _view(world, other.json["key"])
    assert _beacon(world, pair, own, key=other.json["key"]).status_code == 204
    stats = world["a_api"].get(f"/api/v1/embeds/{other.json['id']}/stats").json
    assert stats["totals"] == {"impressions": 1, "clicks": 1, "leads": 0, "ctr": 1.0}


def test_each_content_answer_names_a_new_page_view(world, app) -> None:
    """From the cache too; and no cache may keep an answer, or a reload would be the same view."""
    c, key = world["client"], world["embed"]["key"]
    for seconds in (0, 60):
        app.config["SYNDICATION_CACHE_SECONDS"] = seconds
        answers = [
            c.get(f"/syndication/v1/embeds/{key}", headers={"Origin": ORIGIN}) for _ in "abc"
        ]
        tokens = {r.json["page_view"] for r in answers}
        assert len(tokens) == 3 and all(t.count(".") == 2 for t in tokens)
        assert all(r.headers["Cache-Control"] == "no-store" for r in answers)
        assert all(b"page-view" not in r.data for r in answers)


def test_fragment_escapes_and_embed_js_caches(world) -> None:
    c, key = world["client"], world["embed"]["key"]
    html = c.get(f"/syndication/v1/embeds/{key}/fragment").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;Nimbus 5.0" in html and "<img src=x" not in html
    js = c.get("/embed.js")
    assert js.status_code == 200 and "javascript" in js.content_type
    assert "max-age=86400" in js.headers["Cache-Control"] and js.headers["ETag"]
    assert c.get("/embed.js", headers={"If-None-Match": js.headers["ETag"]}).status_code == 304


def test_embed_rules(world) -> None:
    a_api, b_api = world["a_api"], world["b_api"]
    assert (
        a_api.post(
            "/api/v1/embeds", {"kind": "banner", "allowed_domains": ["not a host"]}
        ).status_code
        == 422
    )
    r = a_api.post(
        "/api/v1/embeds",
        {"kind": "banner", "items": [world["form"]["id"]], "allowed_domains": ["a.example"]},
    )
    assert r.status_code == 422 and "items" in r.json["error"]["fields"]
    assert b_api.get(f"/api/v1/embeds/{world['embed']['id']}").status_code == 404
    assert (
        b_api.patch(f"/api/v1/embeds/{world['embed']['id']}", {"enabled": False}).status_code == 404
    )
    assert (
        world["vendor"]
        .post(
            "/api/v1/embeds",
            {"kind": "banner", "allowed_domains": ["a.example"], "partner_id": world["a"].id},
        )
        .status_code
        == 403
    )


def _reads(connection, fetch):
    """What ``fetch()`` returned, and the SELECTs it sent to the database."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        result = fetch()
    finally:
        event.remove(connection, "before_cursor_execute", count)
    return result, [s for s in statements if s.lstrip().upper().startswith("SELECT")]


def test_content_is_cached_until_it_changes(world, app, connection, session) -> None:
    c, key = world["client"], world["embed"]["key"]
    app.config["SYNDICATION_CACHE_SECONDS"] = 300
    url = f"/syndication/v1/embeds/{key}"
    first = c.get(url, headers={"Origin": ORIGIN})
    cached, reads = _reads(connection, lambda: c.get(url, headers={"Origin": ORIGIN}))
    assert reads == [] and cached.json["banners"] == first.json["banners"]
    # Each response still gets a fresh form token, never the cached placeholder.
    assert cached.json["forms"][0]["form_token"].count(".") == 1
    assert "form-token" not in cached.get_data(as_text=True)
    # Origins are still checked on cached answers.
    assert c.get(url, headers={"Origin": "https://evil.example"}).status_code == 403
    # A change of anything the content shows reaches the next answer: the item ...
    world["vendor"].patch(
        f"/api/v1/syndication/items/{world['banner']['id']}",
        {"content": {"headline": "Changed", "text": "x"}},
    )
    assert c.get(url, headers={"Origin": ORIGIN}).json["banners"][0]["headline"] == "Changed"
    # ... the partner's brand (another table) ...
    kit = world["a_api"].patch(
        f"/api/v1/partners/{world['a'].id}/brand-kit", {"primary_color": "#123456"}
    )
    assert kit.status_code == 200, kit.json
    assert c.get(url, headers={"Origin": ORIGIN}).json["theme"]["primary_color"] == "#123456"
    # ... the partner's status, changed by a bulk UPDATE that no ORM object sees ...
    session.execute(update(Partner).where(Partner.id == world["a"].id).values(status="suspended"))
    session.commit()
    assert c.get(url, headers={"Origin": ORIGIN}).status_code == 404
    session.execute(update(Partner).where(Partner.id == world["a"].id).values(status="active"))
    session.commit()
    # ... and the embed's own settings.
    world["a_api"].patch(f"/api/v1/embeds/{world['embed']['id']}", {"enabled": False})
    assert c.get(url, headers={"Origin": ORIGIN}).status_code == 404


def test_cached_content_follows_the_clock(world, app, session) -> None:
    """An item's window opens and closes with no write at all: the cache keeps an answer only
    until the next start or end of an item."""
    c, key = world["client"], world["embed"]["key"]
    app.config["SYNDICATION_CACHE_SECONDS"] = 300
    url = f"/syndication/v1/embeds/{key}"
    soon = utcnow() + dt.timedelta(seconds=1.5)
    item = world["vendor"].post(
        "/api/v1/syndication/items",
        {
            "kind": "banner",
            "title": "Soon",
            "content": {"headline": "Soon", "text": "x"},
            "starts_at": soon.isoformat(),
        },
    )
    assert item.status_code == 201, item.json
    assert [b["id"] for b in c.get(url, headers={"Origin": ORIGIN}).json["banners"]] == [
        world["banner"]["id"]
    ]
    time.sleep(max(0.0, (soon - utcnow()).total_seconds()) + 0.1)
    shown = [b["id"] for b in c.get(url, headers={"Origin": ORIGIN}).json["banners"]]
    assert shown == [world["banner"]["id"], item.json["id"]]


def test_the_cache_keeps_no_answer_past_its_age_limit(world, app, connection) -> None:
    c, key = world["client"], world["embed"]["key"]
    url = f"/syndication/v1/embeds/{key}"
    app.config["SYNDICATION_CACHE_SECONDS"] = 0.3
    c.get(url, headers={"Origin": ORIGIN})
    time.sleep(0.35)
    _, reads = _reads(connection, lambda: c.get(url, headers={"Origin": ORIGIN}))
    assert len(reads) >= 2  # read again from the database


def test_a_content_miss_reads_the_database_twice(world, connection) -> None:
    """Embed, partner and brand kit in one statement, the items in another: a cache miss is
    the common case of the hottest public URL (every page view of a site no one else views)."""
    c, key = world["client"], world["embed"]["key"]
    r, reads = _reads(
        connection, lambda: c.get(f"/syndication/v1/embeds/{key}", headers={"Origin": ORIGIN})
    )
    assert r.status_code == 200
    assert [b["id"] for b in r.json["banners"]] == [world["banner"]["id"]]
    assert [f["id"] for f in r.json["forms"]] == [world["form"]["id"]]
    assert len(reads) == 2, reads


def _normalised(r):
    body = r.get_data()
    if body:
        data = json.loads(body)
        for form in data["forms"]:
            form["form_token"] = "T"  # per-second HMAC: equal in kind, not always in value
        assert data["page_view"].count(".") == 2
        data["page_view"] = "V"  # a new page view per answer
        body = json.dumps(data, sort_keys=True).encode()
    headers = sorted((k, v) for k, v in r.headers.items() if k not in ("Content-Length",))
    return r.status_code, headers, body


@pytest.mark.parametrize("conditional", [False, True])
def test_fast_path_answers_exactly_like_the_view(world, app, conditional) -> None:
    c, key = world["client"], world["embed"]["key"]
    app.config["SYNDICATION_CACHE_SECONDS"] = 60
    from flask import request_started

    flask_requests = []

    def count(sender, **extra):
        flask_requests.append(1)

    request_started.connect(count, app)
    url = f"/syndication/v1/embeds/{key}"
    first = c.get(url, headers={"Origin": ORIGIN})  # a miss: the view answers and caches
    headers = {"Origin": ORIGIN} | ({"If-None-Match": first.headers["ETag"]} if conditional else {})
    app.config["SYNDICATION_FAST_PATH"] = False
    seen = len(flask_requests)
    by_view = c.get(url, headers=headers)
    assert len(flask_requests) == seen + 1
    app.config["SYNDICATION_FAST_PATH"] = True
    by_fast_path = c.get(url, headers=headers)
    assert len(flask_requests) == seen + 1, "the cached answer should not reach Flask"
    assert by_view.status_code == (304 if conditional else 200)
    fast, view = _normalised(by_fast_path), _normalised(by_view)
    assert set(fast[1]) ^ set(view[1]) == set(), (
        set(fast[1]) - set(view[1]),
        set(view[1]) - set(fast[1]),
    )
    assert fast == view
    # A refused origin or an unknown key still goes to the view and is refused there.
    assert c.get(url, headers={"Origin": "https://evil.example"}).status_code == 403
    assert (
        c.get("/syndication/v1/embeds/unknownkey12345", headers={"Origin": ORIGIN}).status_code
        == 404
    )


def test_navigations_work_but_foreign_origins_get_nothing(world) -> None:
    c, key = world["client"], world["embed"]["key"]
    for path in ("/fragment", "/logo"):
        url = f"/syndication/v1/embeds/{key}{path}"
        assert c.get(url, headers={"Origin": "https://evil.example"}).status_code == 403
    assert c.get(f"/syndication/v1/embeds/{key}/fragment").status_code == 200  # a crawler


def test_answers_are_shared_through_redis_until_they_change(world, app, connection) -> None:
    """Another web process (here: this one with its memory emptied) takes the answer from Redis
    without computing it; a change is a new key; unknown keys never reach Redis."""
    import redis as redis_client

    from syndication.public import _ContentCache, _SharedCache

    url = need_env("TEST_REDIS_URL", "Redis for the shared embed cache")
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    app.config["SYNDICATION_CACHE_SECONDS"] = 300
    app.extensions["cobrand.shared_content"] = _SharedCache(url, prefix, "test-secret")
    r = redis_client.Redis.from_url(url)
    c, key = world["client"], world["embed"]["key"]
    page = f"/syndication/v1/embeds/{key}"
    local = app.extensions.setdefault("cobrand.syndication_cache", _ContentCache())
    try:
        first = c.get(page, headers={"Origin": ORIGIN})
        assert first.status_code == 200
        assert len(list(r.scan_iter(f"{prefix}:*"))) == 1
        local.clear()  # "another process"
        shared, reads = _reads(connection, lambda: c.get(page, headers={"Origin": ORIGIN}))
        assert reads == [] and shared.json["banners"] == first.json["banners"]
        assert shared.headers["ETag"] == first.headers["ETag"]
        world["vendor"].patch(
            f"/api/v1/syndication/items/{world['banner']['id']}",
            {"content": {"headline": "Shared change", "text": "x"}},
        )
        local.clear()
        changed = c.get(page, headers={"Origin": ORIGIN})
        assert changed.json["banners"][0]["headline"] == "Shared change"
        names = list(r.scan_iter(f"{prefix}:*"))
        assert len(names) == 1  # replaced, not added: one entry per embed
        # What another writer to that Redis puts there is never served.
        forged = r.get(names[0]).replace(b"Shared change", b"Forged change!")
        r.set(names[0], forged)
        local.clear()
        assert c.get(page, headers={"Origin": ORIGIN}).json["banners"][0]["headline"] == (
            "Shared change"
        )
        r.set(names[0], b"not an entry at all")
        local.clear()
        assert c.get(page, headers={"Origin": ORIGIN}).status_code == 200
        # Origins are checked on answers from Redis too.
        local.clear()
        assert c.get(page, headers={"Origin": "https://evil.example"}).status_code == 403
        for n in range(5):
            assert c.get(f"/syndication/v1/embeds/madeupkey{n:04d}").status_code in (403, 404)
        assert len(list(r.scan_iter(f"{prefix}:*"))) == 1
    finally:
        for name in r.scan_iter(f"{prefix}:*"):
            r.delete(name)
