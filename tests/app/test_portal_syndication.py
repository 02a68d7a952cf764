"""Portal pages of web syndication: vendor items, partners' website embeds, results, leads and
notifications; tenancy, CSRF and CSP rules on every one of them."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import func, select

from prm_domain import assets
from prm_domain.enums import ItemKind, Role
from prm_domain.models import Embed, Lead, Notification, SyndicatedItem
from prm_domain.syndication import embeds, events, items, leads
from tests.app.test_portal import (  # noqa: F401 - fast_argon2 and password_hash are fixtures
    fast_argon2,
    password_hash,
    post_form,
    text_of,
    token,
)
from tests.app.test_portal_tenancy import snapshot
from tests.library_fixtures import brochure

# (rule, method) of every portal_syndication route with an object id, each covered by a
# cross-tenant test below (a partner user of another organisation gets 404 and changes nothing).
# The maintainer wires these into tests/app/test_portal_tenancy.py's CASES.
CROSS_TENANT_CASES: list[tuple[str, str]] = [
    ("/syndicated-items/<id:item_id>/edit", "GET"),
    ("/syndicated-items/<id:item_id>/edit", "POST"),
    ("/syndicated-items/<id:item_id>/delete", "POST"),
    ("/embeds/<id:embed_id>/edit", "GET"),
    ("/embeds/<id:embed_id>/edit", "POST"),
    ("/embeds/<id:embed_id>/enabled", "POST"),
    ("/embeds/<id:embed_id>/delete", "POST"),
    ("/embeds/<id:embed_id>/stats", "GET"),
    ("/leads/<id:lead_id>", "GET"),
    ("/leads/<id:lead_id>/assign", "POST"),
]

HOSTILE_SCRIPT = "<script>alert(1)</script>Dana"
HOSTILE_FORMULA = "=cmd|' /C calc'!A0"
CONSENT = "I agree that Nimbus and Acme Reseller may contact me about this request."


# -- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture
def world(make_tier, make_partner, make_user) -> dict[str, Any]:
    gold = make_tier(name="Gold")
    acme = make_partner(name="Acme Reseller", tier=gold, verticals=["retail"])
    other = make_partner(name="Other Org GmbH", tier=gold)
    return {
        "gold": gold,
        "acme": acme,
        "other": other,
        "marketing": make_user(Role.MARKETING_MANAGER),
        "channel": make_user(Role.CHANNEL_MANAGER),
        "acme_admin": make_user(Role.PARTNER_ADMIN, partner=acme),
        "acme_user": make_user(Role.PARTNER_USER, partner=acme),
        "other_admin": make_user(Role.PARTNER_ADMIN, partner=other),
        "other_user": make_user(Role.PARTNER_USER, partner=other),
    }


def make_item(session: Any, actor: Any, kind: str = "banner", **values: Any) -> SyndicatedItem:
    content = {
        "banner": {"headline": "Nimbus 5.0 is here", "text": "Faster."},
        "product": {"name": "Nimbus Cloud", "features": ["Fast"]},
        "lead_form": {"fields": ["name", "email"], "consent_text": CONSENT},
    }[kind]
    item = items.create_item(
        session,
        actor,
        {"kind": kind, "title": values.pop("title", f"A {kind}"), "content": content, **values},
    )
    session.commit()
    return item


def make_embed(session: Any, admin: Any, partner: Any, **values: Any) -> Embed:
    embed = embeds.create_embed(
        session,
        admin,
        partner.id,
        {"kind": "block", "allowed_domains": ["shop.example.com"], **values},
    )
    session.commit()
    return embed


def make_lead(session: Any, embed: Embed, form: SyndicatedItem, **fields: str) -> Lead:
    lead, created = leads.submit_lead(
        session,
        embed,
        form_id=form.id,
        fields={"name": "Dana", "email": "dana@buyer.example", **fields},
        consent=True,
        page_url="https://shop.example.com/contact?utm_source=newsletter",
    )
    assert created
    session.commit()
    return lead


def count(session: Any, model: Any, *where: Any) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


class Scripts(HTMLParser):
    """Inline code on a page: script elements without src (JSON data blocks apart), style=."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.inline: list[str] = []
        self.style_attrs = 0
        self.handlers: list[str] = []
        self._in: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.style_attrs += "style" in a
        self.handlers += [k for k in a if k.startswith("on")]
        if tag == "script" and "src" not in a:
            self._in = a.get("type", "")
        if tag == "style":
            self._in = "style"

    def handle_data(self, data: str) -> None:
        if self._in is not None and self._in != "application/json" and data.strip():
            self.inline.append(data.strip()[:80])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._in = None


def no_inline_code(html: str, where: str) -> None:
    page = Scripts(html)
    assert page.inline == [], (where, page.inline)
    assert page.style_attrs == 0, where
    assert page.handlers == [], (where, page.handlers)


def forms_of(html: str) -> list[dict[str, Any]]:
    from tests.app.test_portal import Page

    return Page(html).forms


# -- vendor: syndicated items -----------------------------------------------------------------


def item_form(kind: str, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"kind": kind, "title": f"New {kind}", "active": "1"}
    base.update(kw)
    return base


def test_vendor_creates_each_kind_of_item_through_the_forms(
    app, client, sign_in_as, session, world
):
    marketing = world["marketing"]
    asset = assets.create_asset(session, marketing, "pdf", {"name": "Cloud brochure"})
    with app.app_context():
        assets.add_version(
            session, marketing, app.extensions["cobrand.storage"], asset.id, "b.pdf", brochure()
        )
        assets.publish(session, marketing, asset.id)
    session.commit()
    sign_in_as(marketing)

    chooser = client.get("/syndicated-items/new")
    assert chooser.status_code == 200
    for kind in ("banner", "product", "resource", "lead_form"):
        assert f"/syndicated-items/new?kind={kind}" in text_of(chooser)
        page = client.get(f"/syndicated-items/new?kind={kind}")
        assert page.status_code == 200, kind
        (form,) = [f for f in forms_of(text_of(page)) if f["action"] == "/syndicated-items/new"]
        assert form["inputs"]["kind"] == kind and len(form["inputs"]["csrf_token"]) >= 32
    assert "Cloud brochure" in text_of(client.get("/syndicated-items/new?kind=resource"))

    tier = world["gold"].id
    forms = {
        "banner": item_form(
            "banner",
            title="Spring launch",
            headline="Nimbus 5.0",
            text="Faster\r\nthan ever.",
            cta_label="Learn more",
            cta_url="https://nimbus.example/5",
            image_url="https://nimbus.example/banner.png",
            audience_tier_ids=str(tier),
            audience_regions=["EMEA", "APAC"],
            audience_verticals="retail, healthcare",
            starts_at="2020-01-01T09:00",
            ends_at="2099-01-01T09:00",
        ),
        "product": item_form(
            "product",
            title="Nimbus Cloud card",
            name="Nimbus Cloud",
            summary="Hosted Nimbus.",
            features="Fast\n\n  Secure  \nCheap\n",
            url="https://nimbus.example/cloud",
        ),
        "resource": item_form(
            "resource", title="Download the brochure", asset_id=str(asset.id), description=""
        ),
        "lead_form": item_form(
            "lead_form",
            title="Talk to us",
            fields=["email", "name", "phone", "message"],
            required=["phone"],
            consent_text=CONSENT,
            submit_label="Contact me",
            thank_you="Thanks!",
        ),
    }
    for kind, data in forms.items():
        r = post_form(client, "/syndicated-items/new", data)
        assert r.status_code == 302, (kind, text_of(r)[:2000])
        assert r.headers["Location"].endswith("/syndicated-items")
    session.expire_all()
    made = {i.kind.value: i for i in session.scalars(select(SyndicatedItem))}
    assert set(made) == set(forms)
    banner = made["banner"]
    assert banner.content == {
        "headline": "Nimbus 5.0",
        "text": "Faster than ever.",
        "cta_label": "Learn more",
        "cta_url": "https://nimbus.example/5",
        "image_url": "https://nimbus.example/banner.png",
    }
    assert banner.audience_tier_ids == [tier]
    assert banner.audience_regions == ["EMEA", "APAC"]
    assert banner.audience_verticals == ["retail", "healthcare"]
    assert banner.starts_at == dt.datetime(2020, 1, 1, 9, 0, tzinfo=dt.UTC)
    assert banner.ends_at == dt.datetime(2099, 1, 1, 9, 0, tzinfo=dt.UTC)
    assert banner.active is True
    assert made["product"].content["features"] == ["Fast", "Secure", "Cheap"]
    assert made["product"].content["url"] == "https://nimbus.example/cloud"
    assert made["resource"].asset_id == asset.id
    form = made["lead_form"].content
    assert form["fields"] == ["name", "email", "phone", "message"]
    assert form["required"] == ["email", "phone"]
    assert form["consent_text"] == CONSENT and form["submit_label"] == "Contact me"

    listing = text_of(client.get("/syndicated-items"))
    for title in ("Spring launch", "Nimbus Cloud card", "Download the brochure", "Talk to us"):
        assert title in listing
    assert "Live" in listing and "Tiers: Gold" in listing
    only = text_of(client.get("/syndicated-items?kind=product"))
    assert "Nimbus Cloud card" in only and "Spring launch" not in only

    # Edit: the form shows the saved values; a change is saved; inactive shows as such.
    edit = client.get(f"/syndicated-items/{banner.id}/edit")
    assert edit.status_code == 200
    assert 'value="2020-01-01T09:00"' in text_of(edit) and "Nimbus 5.0" in text_of(edit)
    data = forms["banner"] | {"headline": "Nimbus 5.1", "active": ""}
    del data["kind"]
    r = post_form(client, f"/syndicated-items/{banner.id}/edit", data)
    assert r.status_code == 302, text_of(r)[:2000]
    session.expire_all()
    banner = session.get(SyndicatedItem, banner.id)
    assert banner.content["headline"] == "Nimbus 5.1" and banner.active is False
    assert "Inactive" in text_of(client.get("/syndicated-items"))

    # Delete through its confirmation form.
    r = post_form(client, f"/syndicated-items/{banner.id}/delete")
    assert r.status_code == 302
    assert count(session, SyndicatedItem, SyndicatedItem.id == banner.id) == 0


def test_item_form_errors_are_shown_per_field_and_nothing_is_stored(
    client, sign_in_as, session, world
):
    sign_in_as(world["marketing"])
    r = post_form(
        client,
        "/syndicated-items/new",
        item_form("banner", headline="", cta_label="Go", image_url="javascript:alert(1)"),
    )
    assert r.status_code == 422
    body = text_of(r)
    assert "Is required" in body and "Must be an absolute http(s) URL" in body
    assert "A call to action needs both its label and its link" in body
    assert 'value="javascript:alert(1)"' in body  # the form keeps what was typed
    r = post_form(
        client,
        "/syndicated-items/new",
        item_form("banner", headline="x", starts_at="2030-01-02T00:00", ends_at="2030-01-01T00:00"),
    )
    assert r.status_code == 422 and "Must be after the start" in text_of(r)
    r = post_form(
        client, "/syndicated-items/new", item_form("banner", headline="x", ends_at="soon")
    )
    assert r.status_code == 422 and "Use a date and time like" in text_of(r)
    r = post_form(
        client, "/syndicated-items/new", item_form("lead_form", fields=["email"], consent_text="")
    )
    assert r.status_code == 422 and "consent wording" in text_of(r)
    assert count(session, SyndicatedItem) == 0


def test_item_badges_follow_the_live_window(client, sign_in_as, session, world):
    m = world["marketing"]
    now = dt.datetime.now(dt.UTC)
    make_item(session, m, title="Live one")
    make_item(session, m, title="Later one", starts_at=now + dt.timedelta(days=3))
    make_item(
        session,
        m,
        title="Past one",
        starts_at=now - dt.timedelta(days=9),
        ends_at=now - dt.timedelta(days=2),
    )
    make_item(session, m, title="Paused one", active=False)
    sign_in_as(m)
    body = text_of(client.get("/syndicated-items"))
    for title, badge in (
        ("Live one", "synd-live"),
        ("Later one", "synd-scheduled"),
        ("Past one", "synd-ended"),
        ("Paused one", "synd-inactive"),
    ):
        row = re.search(re.escape(title) + r".*?</tr>", body, re.S)
        assert row and badge in row.group(0), title


def test_item_pages_are_for_vendors_and_marketing_only(client, sign_in_as, session, world):
    item = make_item(session, world["marketing"])
    sign_in_as(world["channel"])
    listing = client.get("/syndicated-items")
    assert listing.status_code == 200 and item.title in text_of(listing)
    assert "/syndicated-items/new" not in text_of(listing)
    assert client.get("/syndicated-items/new").status_code == 403
    assert client.get(f"/syndicated-items/{item.id}/edit").status_code == 403
    assert post_form(client, f"/syndicated-items/{item.id}/delete").status_code == 403
    sign_in_as(world["acme_admin"])
    assert client.get("/syndicated-items").status_code == 404
    assert client.get("/syndicated-items/new").status_code == 404


def test_item_list_paginates_and_has_an_empty_state(client, sign_in_as, session, world):
    sign_in_as(world["marketing"])
    empty = text_of(client.get("/syndicated-items"))
    assert "No syndicated content yet" in empty and "?kind=lead_form" in empty
    for n in range(27):
        make_item(session, world["marketing"], title=f"Banner {n:02d}")
    first = text_of(client.get("/syndicated-items"))
    assert "Page 1 of 2" in first and "Banner 26" in first and "Banner 00" not in first
    assert "Banner 00" in text_of(client.get("/syndicated-items?page=2"))


# -- partners: website embeds -----------------------------------------------------------------


def test_partner_admin_creates_an_embed_and_sees_its_snippet(client, sign_in_as, session, world):
    banner = make_item(session, world["marketing"], title="Spring banner")
    product = make_item(session, world["marketing"], "product", title="Cloud card")
    sign_in_as(world["acme_admin"])
    empty = text_of(client.get("/embeds"))
    assert "Create your first embed" in empty
    new = client.get("/embeds/new")
    assert new.status_code == 200
    body = text_of(new)
    assert "Spring banner" in body and "Cloud card" in body
    assert 'data-item-kind="banner"' in body and 'data-shows="banner"' in body

    # A banner embed may not show a product: the domain says so next to the items.
    bad = post_form(
        client,
        "/embeds/new",
        {
            "kind": "banner",
            "items_mode": "chosen",
            "item_ids": [str(product.id)],
            "allowed_domains": "shop.example.com",
        },
    )
    assert bad.status_code == 422 and "cannot show items" in text_of(bad)
    bad = post_form(client, "/embeds/new", {"kind": "banner", "allowed_domains": "not a host"})
    assert bad.status_code == 422 and "not a valid host name" in text_of(bad)
    assert count(session, Embed) == 0

    r = post_form(
        client,
        "/embeds/new",
        {
            "name": "Homepage banner",
            "kind": "banner",
            "items_mode": "chosen",
            "item_ids": [str(banner.id)],
            "allowed_domains": "shop.example.com\r\nhttps://www.example.com/\r\n\r\nlocalhost:8080",
            "primary_color": "#0A7D45",
        },
    )
    assert r.status_code == 302, text_of(r)[:2000]
    session.expire_all()
    embed = session.scalar(select(Embed))
    assert embed.partner_id == world["acme"].id and embed.item_ids == [banner.id]
    assert embed.allowed_domains == ["localhost:8080", "shop.example.com", "www.example.com"]
    assert embed.theme == {"primary_color": "#0a7d45"} and embed.enabled
    assert r.headers["Location"].endswith(f"/embeds/{embed.id}/stats")

    snippet = f'data-embed="{embed.key}"'
    for path in ("/embeds", f"/embeds/{embed.id}/stats"):
        page = text_of(client.get(path))
        assert "<textarea" in page and "readonly" in page, path
        assert (
            "&lt;script async src=&#34;http://localhost/embed.js&#34; "
            f"data-embed=&#34;{embed.key}&#34;&gt;&lt;/script&gt;" in page
        ), path
        assert "data-copy-snippet" in page and snippet not in page  # text in a box, not a tag
    assert "Spring banner" in text_of(client.get(f"/embeds/{embed.id}/stats"))  # showing now

    # Edit: "everything", new name; disable and enable; delete.
    edit = text_of(client.get(f"/embeds/{embed.id}/edit"))
    assert "Homepage banner" in edit and 'value="#0a7d45"' in edit
    r = post_form(
        client,
        f"/embeds/{embed.id}/edit",
        {
            "name": "Banner everywhere",
            "kind": "banner",
            "items_mode": "all",
            "allowed_domains": "shop.example.com",
            "primary_color": "#123456",
        },
    )
    assert r.status_code == 302, text_of(r)[:2000]
    session.expire_all()
    embed = session.get(Embed, embed.id)
    assert embed.name == "Banner everywhere" and embed.item_ids is None
    assert post_form(client, f"/embeds/{embed.id}/enabled", {"enabled": "0"}).status_code == 302
    session.expire_all()
    assert session.get(Embed, embed.id).enabled is False
    assert "Disabled" in text_of(client.get("/embeds"))
    r = post_form(client, f"/embeds/{embed.id}/enabled", {"enabled": "1", "next": "stats"})
    assert r.headers["Location"].endswith(f"/embeds/{embed.id}/stats")
    session.expire_all()
    assert session.get(Embed, embed.id).enabled is True
    assert post_form(client, f"/embeds/{embed.id}/delete").status_code == 302
    assert count(session, Embed) == 0


def test_new_embed_colour_defaults_to_the_brand_kit(client, sign_in_as, session, world):
    from prm_domain import brandkits

    brandkits.update_brand_kit(
        session, world["acme_admin"], world["acme"].id, {"primary_color": "#aa3300"}
    )
    session.commit()
    sign_in_as(world["acme_admin"])
    assert 'name="primary_color" value="#aa3300"' in text_of(client.get("/embeds/new"))


def test_partner_users_see_embeds_read_only(client, sign_in_as, session, world):
    embed = make_embed(session, world["acme_admin"], world["acme"], name="Site block")
    sign_in_as(world["acme_user"])
    listing = text_of(client.get("/embeds"))
    assert "Site block" in listing and embed.key in listing
    assert f"/embeds/{embed.id}/edit" not in listing and "/embeds/new" not in listing
    assert not [f for f in forms_of(listing) if f["method"] == "post" and "/embeds/" in f["action"]]
    assert client.get(f"/embeds/{embed.id}/stats").status_code == 200
    before = snapshot(session)
    assert client.get("/embeds/new").status_code == 403
    assert client.get(f"/embeds/{embed.id}/edit").status_code == 403
    assert post_form(client, f"/embeds/{embed.id}/enabled", {"enabled": "0"}).status_code == 403
    assert post_form(client, f"/embeds/{embed.id}/delete").status_code == 403
    assert snapshot(session) == before


def test_vendor_sees_every_partners_embeds_but_cannot_change_them(
    client, sign_in_as, session, world
):
    embed = make_embed(session, world["acme_admin"], world["acme"], name="Acme block")
    sign_in_as(world["marketing"])
    listing = text_of(client.get("/embeds"))
    assert "Acme block" in listing and "Acme Reseller" in listing
    assert f"/embeds/{embed.id}/edit" not in listing
    assert client.get(f"/embeds/{embed.id}/stats").status_code == 200
    assert client.get("/embeds/new").status_code == 403
    assert post_form(client, f"/embeds/{embed.id}/delete").status_code == 403


def test_stats_page_renders_the_chart_data_and_a_table_per_item(client, sign_in_as, session, world):
    banner = make_item(session, world["marketing"], title="Spring banner")
    form = make_item(session, world["marketing"], "lead_form", title="Talk to us")
    embed = make_embed(session, world["acme_admin"], world["acme"], name="Site block")
    today = dt.datetime.now(dt.UTC).date()
    events.count(session, embed, banner.id, impressions=40, clicks=4)
    events.count(session, embed, banner.id, impressions=10, clicks=1, day=today - dt.timedelta(1))
    events.count(session, embed, form.id, impressions=50)
    session.commit()
    make_lead(session, embed, form)
    sign_in_as(world["acme_admin"])
    r = client.get(f"/embeds/{embed.id}/stats")
    assert r.status_code == 200
    body = text_of(r)
    no_inline_code(body, "stats")
    data = re.search(
        r'<script type="application/json" id="stats-data">(.*?)</script>', body, re.S
    ).group(1)
    stats = json.loads(data)
    assert len(stats["days"]) == 30
    assert stats["totals"] == {"impressions": 100, "clicks": 5, "leads": 1, "ctr": 0.05}
    assert stats["days"][-1]["impressions"] == 90
    assert '<script src="/static/js/charts.js" defer></script>' in body
    assert "5.0%" in body  # click-through rate as a percentage
    rows = re.findall(r"<tr>\s*<td data-label=\"Item\">(.*?)</td>(.*?)</tr>", body, re.S)
    assert [(t, re.findall(r">(\S+?)</td>", rest)) for t, rest in rows] == [
        ("Spring banner", ["50", "5", "10.0%", "0"]),
        ("Talk to us", ["50", "0", "0.0%", "1"]),
    ]
    seven = client.get(f"/embeds/{embed.id}/stats?days=7")
    assert (
        len(json.loads(re.search(r'id="stats-data">(.*?)<', text_of(seven)).group(1))["days"]) == 7
    )
    assert client.get(f"/embeds/{embed.id}/stats?days=100000").status_code == 200  # falls back
    js = client.get("/static/js/charts.js")
    assert js.status_code == 200 and "createElementNS" in text_of(js)
    js.close()


def test_stats_json_cannot_break_out_of_its_script_element(client, sign_in_as, session, world):
    # Titles are not in the JSON, but the block is built with |tojson, which escapes "<".
    embed = make_embed(session, world["acme_admin"], world["acme"], name="</script><b>x")
    sign_in_as(world["acme_admin"])
    body = text_of(client.get(f"/embeds/{embed.id}/stats"))
    assert "</script><b>x" not in body and "&lt;/script&gt;&lt;b&gt;x" in body
    no_inline_code(body, "stats")


# -- leads ------------------------------------------------------------------------------------


def test_leads_show_hostile_values_as_inert_text(client, sign_in_as, session, world):
    form = make_item(
        session,
        world["marketing"],
        "lead_form",
        title="Talk to us",
    )
    form.content = {
        "fields": ["name", "email", "company", "phone", "country", "message"],
        "required": ["email"],
        "consent_text": "<b>I agree</b> " + HOSTILE_FORMULA,
    }
    session.commit()
    embed = make_embed(session, world["acme_admin"], world["acme"], name="<i>Block</i>")
    lead = make_lead(
        session,
        embed,
        form,
        name=HOSTILE_SCRIPT,
        company=HOSTILE_FORMULA,
        country="<img src=x onerror=alert(1)>",
        message="line one\n<script>alert(2)</script>\n" + HOSTILE_FORMULA,
    )
    # Values the public endpoint would never store, straight into the row: still inert.
    lead.page_url = "javascript:alert(document.cookie)"
    lead.referrer = "https://evil.example/<script>"
    lead.utm = {"utm_source": "<script>alert(3)</script>", "utm_campaign": HOSTILE_FORMULA}
    session.commit()

    sign_in_as(world["acme_admin"])
    listing = client.get("/leads")
    detail = client.get(f"/leads/{lead.id}")
    dashboard = client.get("/")
    for r in (listing, detail, dashboard):
        assert r.status_code == 200
        body = text_of(r)
        no_inline_code(body, r.request.path)
        assert "<script>alert" not in body and "<img src=x" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;Dana" in body
    body = text_of(detail)
    assert "=cmd|&#39; /C calc&#39;!A0" in body  # the formula is just text on the page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in body
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in body
    assert "&lt;b&gt;I agree&lt;/b&gt;" in body
    assert "&lt;i&gt;Block&lt;/i&gt;" in body
    # Page URL: not http(s), so text, never a link. The referrer is http(s): a link, escaped.
    assert 'href="javascript:' not in body and "javascript:alert(document.cookie)" in body
    assert 'href="https://evil.example/&lt;script&gt;"' in body
    assert 'rel="noopener noreferrer nofollow"' in body
    assert "Agreed " in body and "UTC" in body
    # The dashboard notification (its text holds the lead's name) links to the lead.
    assert f'href="/leads/{lead.id}"' in text_of(dashboard)


def test_lead_list_filters_paginates_and_exports(client, sign_in_as, session, world):
    form = make_item(session, world["marketing"], "lead_form")
    one = make_embed(session, world["acme_admin"], world["acme"], name="First site")
    two = make_embed(session, world["acme_admin"], world["acme"], name="Second site")
    for n in range(26):
        make_lead(session, one, form, name=f"Lead {n:02d}", email=f"l{n}@buyer.example")
    make_lead(session, two, form, name="From two", email="two@buyer.example")
    other_embed = make_embed(session, world["other_admin"], world["other"], name="Other site")
    make_lead(session, other_embed, form, name="Not yours", email="x@buyer.example")

    sign_in_as(world["acme_admin"])
    first = text_of(client.get("/leads"))
    assert "From two" in first and "Lead 25" in first and "Page 1 of 2" in first
    assert "Not yours" not in first and "Other site" not in first
    assert first.index("From two") < first.index("Lead 25")  # newest first
    assert 'href="/api/v1/leads/export.csv"' in first
    assert "Lead 00" in text_of(client.get("/leads?page=2"))
    filtered = text_of(client.get(f"/leads?embed_id={two.id}"))
    assert "From two" in filtered and "Lead 25" not in filtered
    csv = client.get("/api/v1/leads/export.csv")
    assert csv.status_code == 200 and "From two" in text_of(csv) and "Not yours" not in text_of(csv)

    sign_in_as(world["marketing"])
    vendor = text_of(client.get("/leads"))
    assert "Not yours" in vendor and "Other Org GmbH" in vendor and "Acme Reseller" in vendor


def test_the_lead_list_names_every_leads_embed_not_only_the_filters_newest(
    client, sign_in_as, session, world
):
    """The embed filter offers the newest 200; a lead from an older embed is still named."""
    form = make_item(session, world["marketing"], "lead_form")
    old = make_embed(session, world["acme_admin"], world["acme"], name="The original site")
    make_lead(session, old, form, name="Early lead", email="early@buyer.example")
    session.add_all(
        Embed(partner_id=world["other"].id, key=f"k{n:04d}xxxxxxxxxxxxxxxxxxxx", name=f"Site {n}",
              kind=old.kind, allowed_domains=["shop.example.com"])
        for n in range(200)
    )  # fmt: skip
    session.commit()
    sign_in_as(world["marketing"])
    page = client.get("/leads")
    body = text_of(page)
    assert "Early lead" in body and "The original site" in body
    options = page.get_data(as_text=True).split('name="embed_id"')[1].split("</select>")[0]
    assert options.count("<option") == 201 and "The original site" not in options  # "All" + 200
    sign_in_as(world["acme_admin"])
    own = client.get("/leads").get_data(as_text=True)
    assert "The original site" in own and "Site 7" not in own  # a partner: its own only


def test_leads_empty_state(client, sign_in_as, world):
    sign_in_as(world["acme_user"])
    body = text_of(client.get("/leads"))
    assert "No leads yet" in body and "export.csv" not in body


def test_dashboard_shows_the_five_newest_unread_notifications(client, sign_in_as, session, world):
    acme = world["acme"]
    for n in range(7):
        session.add(
            Notification(
                partner_id=acme.id,
                kind="lead",
                text=f"New lead: person {n}",
                link="/leads/1",
                created_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=n),
            )
        )
    session.add(Notification(partner_id=world["other"].id, kind="lead", text="Other's lead"))
    session.add(Notification(partner_id=acme.id, kind="lead", text="Evil", link="//evil.example/x"))
    session.commit()
    sign_in_as(world["acme_admin"])
    body = text_of(client.get("/"))
    shown = re.findall(r"New lead: person (\d)", body)
    assert shown == ["6", "5", "4", "3", "2"]
    assert "Other's lead" not in body and "//evil.example" not in body
    r = post_form(client, "/notifications/read")
    assert r.status_code == 302
    assert (
        count(
            session,
            Notification,
            Notification.partner_id == acme.id,
            Notification.read_at.is_(None),
        )
        == 0
    )
    assert count(session, Notification, Notification.read_at.is_(None)) == 1  # the other's
    assert "Nothing new" in text_of(client.get("/"))
    sign_in_as(world["marketing"])
    assert "Notifications" not in text_of(client.get("/"))
    assert post_form(client, "/notifications/read").status_code == 404


def test_navigation_links(client, sign_in_as, world):
    sign_in_as(world["marketing"])
    body = text_of(client.get("/"))
    assert 'href="/syndicated-items">Syndication<' in body
    sign_in_as(world["acme_user"])
    body = text_of(client.get("/"))
    assert 'href="/embeds">Website embeds<' in body and 'href="/leads">Leads<' in body
    assert "/syndicated-items" not in body


# -- tenancy ----------------------------------------------------------------------------------


def test_cross_tenant_cases_cover_every_syndication_route_with_an_id(app):
    rules = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("portal_syndication.") and rule.arguments
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert rules == set(CROSS_TENANT_CASES)


def test_another_organisation_gets_404_everywhere_and_changes_nothing(
    client, sign_in_as, session, world
):
    item = make_item(session, world["marketing"], "lead_form", title="Acme-visible form")
    embed = make_embed(session, world["acme_admin"], world["acme"], name="Acme secret embed")
    lead = make_lead(session, embed, item, name="Acme's buyer")
    embed_form = {
        "name": "Taken over",
        "kind": "block",
        "items_mode": "all",
        "allowed_domains": "evil.example",
    }
    calls = {
        ("/syndicated-items/<id:item_id>/edit", "GET"): lambda: client.get(
            f"/syndicated-items/{item.id}/edit"
        ),
        ("/syndicated-items/<id:item_id>/edit", "POST"): lambda: post_form(
            client, f"/syndicated-items/{item.id}/edit", {"title": "Taken over"}
        ),
        ("/syndicated-items/<id:item_id>/delete", "POST"): lambda: post_form(
            client, f"/syndicated-items/{item.id}/delete"
        ),
        ("/embeds/<id:embed_id>/edit", "GET"): lambda: client.get(f"/embeds/{embed.id}/edit"),
        ("/embeds/<id:embed_id>/edit", "POST"): lambda: post_form(
            client, f"/embeds/{embed.id}/edit", embed_form
        ),
        ("/embeds/<id:embed_id>/enabled", "POST"): lambda: post_form(
            client, f"/embeds/{embed.id}/enabled", {"enabled": "0"}
        ),
        ("/embeds/<id:embed_id>/delete", "POST"): lambda: post_form(
            client, f"/embeds/{embed.id}/delete"
        ),
        ("/embeds/<id:embed_id>/stats", "GET"): lambda: client.get(f"/embeds/{embed.id}/stats"),
        ("/leads/<id:lead_id>", "GET"): lambda: client.get(f"/leads/{lead.id}"),
        ("/leads/<id:lead_id>/assign", "POST"): lambda: post_form(
            client, f"/leads/{lead.id}/assign", {"assigned_user_id": str(world["acme_user"].id)}
        ),
    }
    assert set(calls) == set(CROSS_TENANT_CASES)
    for actor in (world["other_admin"], world["other_user"]):
        sign_in_as(actor)
        before = snapshot(session)
        for key, call in calls.items():
            r = call()
            assert r.status_code == 404, f"{key}: {r.status_code}"
            body = text_of(r)
            for secret in ("Acme Reseller", "Acme secret embed", embed.key, "Acme&#39;s buyer"):
                assert secret not in body, (key, secret)
        assert snapshot(session) == before
        # Lists never show the other organisation's embeds or leads either.
        for path in ("/embeds", "/leads", f"/leads?embed_id={embed.id}", "/"):
            body = text_of(client.get(path))
            assert "Acme secret embed" not in body and embed.key not in body, path
            assert "Acme&#39;s buyer" not in body, path


def test_own_partner_reaches_its_pages(client, sign_in_as, session, world):
    """The same calls on the own tenant work: the 404s above are about tenancy."""
    item = make_item(session, world["marketing"], "lead_form")
    embed = make_embed(session, world["acme_admin"], world["acme"], name="Acme secret embed")
    lead = make_lead(session, embed, item, name="Acme's buyer")
    sign_in_as(world["acme_admin"])
    for path in (f"/embeds/{embed.id}/edit", f"/embeds/{embed.id}/stats", f"/leads/{lead.id}"):
        r = client.get(path)
        assert r.status_code == 200, path
    assert "Acme&#39;s buyer" in text_of(client.get(f"/leads/{lead.id}"))
    sign_in_as(world["marketing"])
    assert client.get(f"/syndicated-items/{item.id}/edit").status_code == 200
    assert client.get(f"/leads/{lead.id}").status_code == 200


@pytest.mark.parametrize(
    "path", ["/embeds/99999999999/stats", "/embeds/0/edit", "/leads/abc", "/leads/2147483648"]
)
def test_bad_ids_are_404_pages(client, sign_in_as, world, path):
    sign_in_as(world["acme_admin"])
    assert client.get(path).status_code == 404


# -- CSRF and CSP -----------------------------------------------------------------------------


def test_every_post_route_refuses_a_missing_csrf_token(client, sign_in_as, session, world, app):
    item = make_item(session, world["marketing"])
    embed = make_embed(session, world["acme_admin"], world["acme"])
    form = make_item(session, world["marketing"], "lead_form")
    lead = make_lead(session, embed, form)
    paths = {
        "portal_syndication.item_new": ("marketing", "/syndicated-items/new"),
        "portal_syndication.item_edit": ("marketing", f"/syndicated-items/{item.id}/edit"),
        "portal_syndication.item_delete": ("marketing", f"/syndicated-items/{item.id}/delete"),
        "portal_syndication.embed_new": ("acme_admin", "/embeds/new"),
        "portal_syndication.embed_edit": ("acme_admin", f"/embeds/{embed.id}/edit"),
        "portal_syndication.embed_set_enabled": ("acme_admin", f"/embeds/{embed.id}/enabled"),
        "portal_syndication.embed_delete": ("acme_admin", f"/embeds/{embed.id}/delete"),
        "portal_syndication.notifications_read": ("acme_admin", "/notifications/read"),
        "portal_syndication.lead_assign": ("acme_admin", f"/leads/{lead.id}/assign"),
    }
    posts = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("portal_syndication.") and "POST" in rule.methods
    }
    assert posts == set(paths)
    session.add(Notification(partner_id=world["acme"].id, kind="lead", text="New lead"))
    session.commit()
    for endpoint, (who, path) in paths.items():
        sign_in_as(world[who])
        client.get("/")  # a page: the session holds a token now
        before = snapshot(session)
        data = {"kind": "banner", "title": "x", "headline": "x", "enabled": "0"}
        assert client.post(path, data=data).status_code == 400, endpoint
        r = client.post(path, data=data | {"csrf_token": "forged"})
        assert r.status_code == 400 and "did not come from this site" in text_of(r), endpoint
        assert snapshot(session) == before, endpoint


def test_syndication_pages_have_no_inline_script_or_style(client, sign_in_as, session, world):
    item = make_item(session, world["marketing"], "lead_form")
    make_item(session, world["marketing"], "product")
    embed = make_embed(session, world["acme_admin"], world["acme"])
    lead = make_lead(session, embed, item)
    sign_in_as(world["marketing"])
    vendor_pages = [
        "/syndicated-items",
        "/syndicated-items?kind=banner&q=zzz",
        "/syndicated-items/new",
        *[f"/syndicated-items/new?kind={k.value}" for k in ItemKind],
        f"/syndicated-items/{item.id}/edit",
        "/embeds",
        f"/embeds/{embed.id}/stats",
        "/leads",
        f"/leads/{lead.id}",
    ]
    for path in vendor_pages:
        r = client.get(path)
        assert r.status_code == 200, path
        no_inline_code(text_of(r), path)
        for form in forms_of(text_of(r)):
            if form["method"] == "post":
                assert len(form["inputs"].get("csrf_token", "")) >= 32, (path, form["action"])
    sign_in_as(world["acme_admin"])
    for path in (
        "/",
        "/embeds",
        "/embeds/new",
        f"/embeds/{embed.id}/edit",
        f"/embeds/{embed.id}/stats",
        "/leads",
        f"/leads/{lead.id}",
    ):
        r = client.get(path)
        assert r.status_code == 200, path
        no_inline_code(text_of(r), path)
        for form in forms_of(text_of(r)):
            if form["method"] == "post":
                assert len(form["inputs"].get("csrf_token", "")) >= 32, (path, form["action"])
    for ref in (
        "/static/css/syndication.css",
        "/static/js/charts.js",
        "/static/js/syndication-copy.js",
        "/static/js/syndication-embed-form.js",
        "/static/js/syndication-item-form.js",
    ):
        r = client.get(ref)
        assert r.status_code == 200, ref
        code = text_of(r).replace("http://www.w3.org/2000/svg", "")  # the SVG namespace
        assert not re.search(r"https?://", code), ref
        assert "innerHTML" not in text_of(r), ref
        r.close()
