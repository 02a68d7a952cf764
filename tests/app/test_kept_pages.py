"""Portal pages as a web process serves them: its sessions carry the process's change clock, so
kept answers (prm_domain.changes.kept) and statements built once are held between requests;
every change made through the product shows on the next page, and no partner sees another
audience's answers."""

from __future__ import annotations

import re
import uuid
from typing import Any

from prm_domain import changes
from prm_domain.enums import PartnerStatus, Role
from tests.app.test_menu import groups_of, menu_of
from tests.app.test_portal import text_of
from tests.conftest import PASSWORD
from tests.library_fixtures import brochure, png

LANDING = "https://nimbus.example/x"


def _asset(vendor: Any, name: str, **kw: Any) -> int:
    r = vendor.post("/api/v1/assets", {"kind": "pdf", "name": name, "landing_url": LANDING} | kw)
    assert r.status_code == 201, r.json
    asset_id = r.json["id"]
    r = vendor.post(f"/api/v1/assets/{asset_id}/versions?filename=b.pdf", data=brochure(1))
    assert r.status_code == 201, r.json
    assert vendor.post(f"/api/v1/assets/{asset_id}/publish", {}).status_code == 200
    return int(asset_id)


def _page(client: Any, path: str) -> str:
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code)
    return text_of(r)


def _categories(html: str) -> list[str]:
    found = re.search(r'<select name="category".*?</select>', html, re.S)
    assert found
    return re.findall(r'<option value="([^"]+)"', found.group(0))


def test_kept_answers_follow_product_changes(
    clocked: Any, client: Any, session: Any, make_user: Any, make_partner: Any,
    make_tier: Any, api_as: Any, sign_in_as: Any,
) -> None:  # fmt: skip
    gold, silver = make_tier(name="Gold"), make_tier(name="Silver")
    alpha = make_partner(tier=silver)
    vendor = api_as(make_user(Role.VENDOR_ADMIN))
    admin = make_user(Role.PARTNER_ADMIN, partner=alpha)
    partner_api = api_as(admin)
    session.commit()
    secret = f"Secret{uuid.uuid4().hex[:4]}"
    gold_asset = _asset(vendor, f"GoldOnly {secret}", category=secret, audience_tier_ids=[gold.id])
    _asset(vendor, "ForAll", category="Open")
    sign_in_as(admin)

    # 1. audience change through the product: the category and the card appear at once
    html = _page(client, "/library")
    assert secret not in html and "Open" in _categories(html)
    r = vendor.patch(f"/api/v1/assets/{gold_asset}", {"audience_tier_ids": [gold.id, silver.id]})
    assert r.status_code == 200, r.json
    html = _page(client, "/library")
    assert secret in _categories(html), "category kept after audience widened"
    # the tier label on the card, then a tier rename
    assert "Gold, Silver only" in html or "Silver, Gold only" in html, html[:0]
    r = vendor.patch(f"/api/v1/tiers/{gold.id}", {"name": "Platinum"})
    assert r.status_code == 200, r.json
    html = _page(client, "/library")
    assert "Platinum" in html and "Gold," not in html, "tier name kept after rename"
    # narrowed again
    r = vendor.patch(f"/api/v1/assets/{gold_asset}", {"audience_tier_ids": [gold.id]})
    assert r.status_code == 200
    html = _page(client, "/library")
    assert secret not in html, "category kept after audience narrowed"

    # each search its own rows and total (the words are a value of one kept statement)
    assert "1 asset<" in _page(client, "/library?q=ForAll")
    assert "No asset matches" in _page(client, "/library?q=NoSuchWords")
    assert "1 asset<" in _page(client, "/library?q=forall")

    # the dashboard's count of what is new follows publishing and narrowing
    def new_count() -> int:
        found = re.search(r"(\d+) new in the library", _page(client, "/"))
        return int(found.group(1)) if found else 0

    before = new_count()
    _asset(vendor, "Fresh for all")
    assert new_count() == before + 1, "new-asset count kept after a publish"
    r = vendor.patch(f"/api/v1/assets/{gold_asset}", {"audience_tier_ids": [gold.id, silver.id]})
    assert r.status_code == 200 and new_count() == before + 2, "kept after audience widened"
    r = vendor.patch(f"/api/v1/assets/{gold_asset}", {"audience_tier_ids": [gold.id]})
    assert r.status_code == 200 and new_count() == before + 1, "kept after audience narrowed"

    # 2. the logo note follows upload and removal
    assert "Upload your logo" in _page(client, "/library")
    r = partner_api.request("PUT", f"/api/v1/partners/{alpha.id}/brand-kit/logos/light", data=png())
    assert r.status_code == 200, r.json
    assert "Upload your logo" not in _page(client, "/library"), "has_logo kept after upload"
    r = partner_api.delete(f"/api/v1/partners/{alpha.id}/brand-kit/logos/light")
    assert r.status_code in (200, 204), r.json
    assert "Upload your logo" in _page(client, "/library"), "has_logo kept after removal"

    # 3. embed names in the lead filter follow rename and delete
    r = partner_api.post(
        "/api/v1/embeds",
        {"kind": "resources", "allowed_domains": ["a.example"], "name": "First name"},
    )
    assert r.status_code == 201, r.json
    embed_id = r.json["id"]
    assert "First name" in _page(client, "/leads")
    assert partner_api.patch(f"/api/v1/embeds/{embed_id}", {"name": "Renamed"}).status_code == 200
    html = _page(client, "/leads")
    assert "Renamed" in html and "First name" not in html, "embed name kept after rename"
    assert partner_api.delete(f"/api/v1/embeds/{embed_id}").status_code in (200, 204)
    assert "Renamed" not in _page(client, "/leads"), "embed name kept after delete"

    # the embed list names each embed's partner to vendor staff, and follows a rename
    vendor_portal = client.application.test_client()
    vendor_portal.get("/sign-in")
    with vendor_portal.session_transaction() as cookie:
        csrf = cookie.get("csrf")
    staff = make_user(Role.VENDOR_ADMIN)
    r = vendor_portal.post(
        "/sign-in", data={"email": staff.email, "password": PASSWORD, "csrf_token": csrf}
    )
    assert r.status_code == 302
    r = partner_api.post("/api/v1/embeds", {"kind": "resources", "allowed_domains": ["b.example"]})
    assert r.status_code == 201, r.json
    assert alpha.name in text_of(vendor_portal.get("/embeds"))
    r = vendor.patch(f"/api/v1/partners/{alpha.id}", {"name": f"Renamed {secret}"})
    assert r.status_code == 200, r.json
    assert f"Renamed {secret}" in text_of(vendor_portal.get("/embeds")), "partner name kept"

    # 4. a new DPA closes leads and the menu's Leads link at once; signing reopens them
    nav = groups_of(menu_of(_page(client, "/")))
    assert "Leads" in nav.get("Sales", [])
    r = vendor.post("/api/v1/dpa", {"version": "v1", "text": "Terms."})
    assert r.status_code == 201, r.json
    version_id = r.json["id"]
    nav = groups_of(menu_of(_page(client, "/")))
    assert "Leads" not in nav.get("Sales", []), "menu kept after DPA published"
    assert client.get("/leads").status_code in (302, 403)
    r = partner_api.post(f"/api/v1/partners/{alpha.id}/dpa-signatures", {"version_id": version_id})
    assert r.status_code == 201, r.json
    nav = groups_of(menu_of(_page(client, "/")))
    assert "Leads" in nav.get("Sales", []), "menu kept after DPA signed"

    # 5. the partner moved to Gold by the vendor sees the Gold asset; suspended sees nothing
    r = vendor.patch(f"/api/v1/partners/{alpha.id}", {"tier_id": gold.id})
    assert r.status_code == 200, r.json
    html = _page(client, "/library")
    assert secret in _categories(html) and f"GoldOnly {secret}" in html
    alpha.status = PartnerStatus.SUSPENDED
    session.commit()
    r = client.get("/library")
    assert r.status_code != 200 or secret not in text_of(r)


def test_two_partners_with_the_same_tags_but_other_status_or_tier(
    clocked: Any, client: Any, session: Any, make_user: Any, make_partner: Any,
    make_tier: Any, api_as: Any, sign_in_as: Any,
) -> None:  # fmt: skip
    gold, silver = make_tier(name="Gold"), make_tier(name="Silver")
    g, s = make_partner(tier=gold), make_partner(tier=silver)
    onboarding = make_partner(tier=gold, status=PartnerStatus.ONBOARDING)
    vendor = api_as(make_user(Role.VENDOR_ADMIN))
    users = {n: make_user(Role.PARTNER_ADMIN, partner=p) for n, p in
             (("g", g), ("s", s), ("o", onboarding))}  # fmt: skip
    session.commit()
    secret = f"Secret{uuid.uuid4().hex[:4]}"
    _asset(vendor, f"GoldOnly {secret}", category=secret, audience_tier_ids=[gold.id])
    sign_in_as(users["g"])
    html = _page(client, "/library")
    assert secret in html and secret in _categories(html)
    home_g = _page(client, "/")
    client.post("/sign-out", data={"csrf_token": ""})
    sign_in_as(users["s"])
    html = _page(client, "/library")
    assert secret not in html
    home_s = _page(client, "/")
    assert secret not in home_s
    client.post("/sign-out", data={"csrf_token": ""})
    sign_in_as(users["o"])
    r = client.get("/library")
    assert r.status_code != 200 or secret not in text_of(r)
    assert secret not in _page(client, "/")
    assert secret in home_g, "dashboard should list the new asset for the gold partner"


def test_the_pages_answers_are_kept_in_the_processs_clock(
    clocked: Any, client: Any, session: Any, make_user: Any, make_partner: Any,
    make_tier: Any, api_as: Any, sign_in_as: Any,
) -> None:  # fmt: skip
    gold = make_tier(name="Gold")
    p = make_partner(tier=gold)
    vendor = api_as(make_user(Role.VENDOR_ADMIN))
    admin = make_user(Role.PARTNER_ADMIN, partner=p)
    api_as(admin).post(
        "/api/v1/embeds", {"kind": "resources", "allowed_domains": ["a.example"], "name": "E"}
    )
    session.commit()
    _asset(vendor, "x", category="C", audience_tier_ids=[gold.id])
    vendor.post("/api/v1/dpa", {"version": "v1", "text": "Terms."})
    sign_in_as(admin)
    _page(client, "/library")
    client.get("/leads")  # refused until the DPA is signed: the answer is kept all the same
    _page(client, "/")
    purposes = {k[0] for k in clocked._memo}
    assert {"has_logo", "categories", "tier_names", "dpa_signed", "count"} <= purposes


def test_the_address_caches_stay_bounded_whatever_script_root_requests_bring(
    client: Any, session: Any, make_user: Any, api_as: Any, sign_in_as: Any
) -> None:
    """The script root can come from the request (a proxy's SCRIPT_NAME): made-up roots can
    neither grow the menu's and id_url's caches for ever nor change another root's links."""
    from app import menu, urls

    vendor_user = make_user(Role.VENDOR_ADMIN)
    vendor = api_as(vendor_user)
    session.commit()
    asset_id = _asset(vendor, "Card")
    sign_in_as(vendor_user)
    for i in range(urls._MAX_PATTERNS + 20):
        r = client.get("/library", base_url=f"http://localhost/p{i}" + "x" * 100)
        assert r.status_code == 200
        assert f'href="/p{i}{"x" * 100}/library/{asset_id}"' in text_of(r)
    assert len(urls._PATTERNS) <= urls._MAX_PATTERNS
    assert len(menu._MENUS) <= menu._MAX_MENUS
    assert f'href="/library/{asset_id}"' in _page(client, "/library")


def test_a_partners_kept_library_page_follows_changes_and_rows_are_checked_again(
    clocked: Any, session: Any, make_user: Any, make_partner: Any, make_tier: Any, api_as: Any
) -> None:
    """A partner's page of assets is kept (which ids, in which order) until the library
    changes; the rows are read afresh through the audience rule, so even a kept list that has
    not yet seen a change shows nothing the partner may no longer see."""
    gold, silver = make_tier(name="Gold"), make_tier(name="Silver")
    alpha = make_partner(tier=gold)
    vendor = api_as(make_user(Role.VENDOR_ADMIN))
    partner_api = api_as(make_user(Role.PARTNER_ADMIN, partner=alpha))
    session.commit()
    tag = f"kept{uuid.uuid4().hex[:6]}"
    first, second, third = (_asset(vendor, f"{tag} {n}", tags=[tag]) for n in range(3))

    def listed() -> list[int]:
        r = partner_api.get(f"/api/v1/assets?tag={tag}&per_page=10")
        assert r.status_code == 200, r.json
        return [a["id"] for a in r.json["items"]]

    assert listed() == [third, second, first]
    assert any(k[0] == "library page" for k in clocked._memo)
    # an audience narrowed through the product: gone on the next page
    r = vendor.patch(f"/api/v1/assets/{second}", {"audience_tier_ids": [silver.id]})
    assert r.status_code == 200, r.json
    assert listed() == [third, first]
    # a change the process's clock has not seen yet (written past the change tokens): the
    # kept list still names the asset, the rows' own check leaves it out
    conn = session.connection()
    with changes.paused(conn):
        conn.exec_driver_sql(f"UPDATE asset SET status = 'draft' WHERE id = {int(first)}")
    session.commit()
    assert listed() == [third]
