"""A partner's kept library page (prm_domain.assets.list_assets: its ids kept until the library
changes, its rows read again through the audience rule): no other audience's rows, nothing
invisible even before the process sees a change, paging, hostile input, bounded memory.
Adopted from the attacker's review of the change; the vendor's tag filter was a 500."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from prm_domain import access, assets, changes
from prm_domain.enums import AssetKind, AssetStatus, PartnerType, Region, Role
from prm_domain.models import Asset, AssetVersion, Partner
from tests.app.test_kept_pages import LANDING, _asset

# -- helpers ----------------------------------------------------------------------------------


def _gold_partner(
    session: Any, make_user: Any, make_partner: Any, make_tier: Any, api_as: Any
) -> tuple[Partner, Any, Any]:
    """A Gold partner, and API clients of a vendor admin and of the partner's admin."""
    alpha = make_partner(tier=make_tier(name="Gold"))
    vendor = api_as(make_user(Role.VENDOR_ADMIN))
    api = api_as(make_user(Role.PARTNER_ADMIN, partner=alpha))
    session.commit()
    return alpha, vendor, api


def _bulk(session: Any, n: int, tag: str, **kw: Any) -> list[int]:
    """n published assets with ``tag``, written through the ORM (tracked like the product)."""
    made = []
    for i in range(n):
        a = Asset(
            kind=AssetKind.PDF,
            name=f"{tag} bulk {i}",
            tags=[tag],
            landing_url=LANDING,
            status=AssetStatus.PUBLISHED,
            **kw,
        )
        v = AssetVersion(asset=a, number=1, template_key="k" * 8, filename="b.pdf", size=1)
        a.versions.append(v)
        session.add(a)
        made.append(a)
    session.flush()
    for a in made:
        a.published_version = a.versions[0]
    session.commit()
    return [a.id for a in made]


def _oracle(session: Any, partner_id: int, tag: str) -> list[int]:
    """What the partner may see with ``tag``, newest change first, by the Python rule."""
    session.expire_all()
    partner = session.get(Partner, partner_id)
    rows = session.scalars(select(Asset).order_by(Asset.updated_at.desc(), Asset.id.desc()))
    return [
        a.id for a in rows if tag in (a.tags or []) and access.asset_visible_to_partner(partner, a)
    ]


def _listing(api: Any, tag: str, per_page: int = 200, page: int = 1, **extra: str) -> Any:
    qs = "&".join(f"{k}={v}" for k, v in extra.items())
    r = api.get(f"/api/v1/assets?tag={tag}&per_page={per_page}&page={page}&{qs}")
    return r


def _ids(api: Any, tag: str, per_page: int = 200, page: int = 1) -> tuple[list[int], int]:
    r = _listing(api, tag, per_page, page)
    assert r.status_code == 200, r.json
    return [a["id"] for a in r.json["items"]], r.json["total"]


def _all_pages(api: Any, tag: str, per_page: int) -> tuple[list[int], int]:
    out: list[int] = []
    page = 1
    while True:
        ids, total = _ids(api, tag, per_page, page)
        out += ids
        if page * per_page >= total:
            return out, total
        page += 1


# -- cross-tenant -----------------------------------------------------------------------------


def test_cross_tenant_matrix_follows_every_product_change(
    clocked: Any, session: Any, make_user: Any, make_partner: Any, make_tier: Any, api_as: Any
) -> None:
    gold, silver = make_tier(name="Gold"), make_tier(name="Silver")
    parts = {
        "gold_emea": make_partner(tier=gold),
        "silver_emea": make_partner(tier=silver),
        "gold_na": make_partner(tier=gold, region=Region.NORTH_AMERICA),
        "gold_msp": make_partner(tier=gold, type=PartnerType.MSP),
        "gold_health": make_partner(tier=gold, verticals=["health"]),
        "gold_emea_twin": make_partner(tier=gold),  # same tags as gold_emea
    }
    vendor = api_as(make_user(Role.VENDOR_ADMIN))
    apis = {n: api_as(make_user(Role.PARTNER_ADMIN, partner=p)) for n, p in parts.items()}
    session.commit()
    tag = f"x{uuid.uuid4().hex[:6]}"
    a_all = _asset(vendor, f"{tag} all", tags=[tag])
    a_gold = _asset(vendor, f"{tag} gold", tags=[tag], audience_tier_ids=[gold.id])
    a_silver = _asset(vendor, f"{tag} silver", tags=[tag], audience_tier_ids=[silver.id])
    a_na = _asset(vendor, f"{tag} na", tags=[tag], audience_regions=["NA"])
    a_msp = _asset(vendor, f"{tag} msp", tags=[tag], audience_partner_types=["msp"])
    a_health = _asset(vendor, f"{tag} health", tags=[tag], audience_verticals=["health"])
    a_gold_na = _asset(
        vendor, f"{tag} gold na", tags=[tag], audience_tier_ids=[gold.id], audience_regions=["NA"]
    )
    made = {a_all, a_gold, a_silver, a_na, a_msp, a_health, a_gold_na}
    assert len(made) == 7

    closed: set[str] = set()

    def check(step: str) -> None:
        # Interleaved, twice, each per_page 1..3 and 200: pages and totals equal the rule.
        for _ in range(2):
            for name, api in apis.items():
                if name in closed:
                    continue
                want = _oracle(session, parts[name].id, tag)
                got, total = _ids(api, tag)
                assert (got, total) == (want, len(want)), (step, name)
                for per_page in (1, 2, 3):
                    got, total = _all_pages(api, tag, per_page)
                    assert (got, total) == (want, len(want)), (step, name, per_page)

    check("start")
    assert any(k[0] == "library page" for k in clocked._memo)
    # audience narrowed / widened
    assert (
        vendor.patch(f"/api/v1/assets/{a_all}", {"audience_tier_ids": [silver.id]}).status_code
        == 200
    )
    check("narrowed")
    assert vendor.patch(f"/api/v1/assets/{a_silver}", {"audience_tier_ids": []}).status_code == 200
    check("widened")
    # unpublish, republish, a new version published
    assert vendor.post(f"/api/v1/assets/{a_gold}/unpublish", {}).status_code == 200
    check("unpublished")
    assert vendor.post(f"/api/v1/assets/{a_gold}/publish", {}).status_code == 200
    check("republished")
    from tests.library_fixtures import brochure

    r = vendor.post(f"/api/v1/assets/{a_na}/versions?filename=c.pdf", data=brochure(2))
    assert r.status_code == 201, r.json
    check("new draft version")
    assert vendor.post(f"/api/v1/assets/{a_na}/publish", {}).status_code == 200
    check("new version published")
    # a rename moves the asset to the top (updated_at): order follows
    assert (
        vendor.patch(f"/api/v1/assets/{a_gold_na}", {"name": f"{tag} renamed"}).status_code == 200
    )
    check("renamed")
    # partners move: tier, region, type, verticals
    p = parts["gold_emea"]
    assert vendor.patch(f"/api/v1/partners/{p.id}", {"tier_id": silver.id}).status_code == 200
    check("tier moved")
    assert (
        vendor.patch(f"/api/v1/partners/{p.id}", {"region": "NA", "tier_id": gold.id}).status_code
        == 200
    )
    check("region moved")
    assert vendor.patch(f"/api/v1/partners/{p.id}", {"type": "msp"}).status_code == 200
    check("type moved")
    assert vendor.patch(f"/api/v1/partners/{p.id}", {"verticals": ["health"]}).status_code == 200
    check("verticals moved")
    # suspended / prospect / onboarding: no library at all
    closed.add("gold_emea")
    for status in ("suspended", "prospect", "onboarding", "active"):
        assert vendor.patch(f"/api/v1/partners/{p.id}", {"status": status}).status_code == 200
        if status == "active":
            closed.clear()
        else:
            r = _listing(apis["gold_emea"], tag)
            assert r.status_code in (401, 403), (status, r.status_code)
            assert "items" not in (r.json or {}), status
        check(status)
    # deleted through the ORM (tracked): gone from every page at once
    session.delete(session.get(Asset, a_health))
    session.commit()
    for name, api in apis.items():
        if name == "gold_emea":
            continue
        got, total = _ids(api, tag)
        assert a_health not in got and total == len(_oracle(session, parts[name].id, tag))


# -- another process's changes (not seen by this process's clock yet) --------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE asset SET status = 'draft' WHERE id = {id}",
        "UPDATE asset SET published_version_id = NULL WHERE id = {id}",
        # narrowed to a tier nobody has: the list and its mirror, as a service would write them
        "UPDATE asset SET audience_tier_ids = '[999999]', audience_dims = 1 WHERE id = {id}",
        "DELETE FROM asset WHERE id = {id}",
    ],
)
def test_an_unseen_change_never_shows_an_invisible_row(
    clocked: Any, session: Any, make_user: Any, make_partner: Any, make_tier: Any,
    api_as: Any, sql: str,
) -> None:  # fmt: skip
    _, vendor, api = _gold_partner(session, make_user, make_partner, make_tier, api_as)
    tag = f"u{uuid.uuid4().hex[:6]}"
    made = [_asset(vendor, f"{tag} {i}", tags=[tag]) for i in range(4)]
    want = list(reversed(made))
    assert _ids(api, tag, per_page=2) == (want[:2], 4)
    assert _ids(api, tag, per_page=2, page=2) == (want[2:], 4)
    victim = want[1]
    conn = session.connection()
    with changes.paused(conn):
        conn.exec_driver_sql(sql.format(id=int(victim)))
    session.commit()
    got, _total = _ids(api, tag, per_page=2)
    assert victim not in got
    got2, _ = _ids(api, tag, per_page=200)
    assert victim not in got2


# -- paging -----------------------------------------------------------------------------------


def test_paging_200_ids_beyond_the_end_and_limits(
    clocked: Any, session: Any, make_user: Any, make_partner: Any, make_tier: Any, api_as: Any
) -> None:
    gold, silver = make_tier(name="Gold"), make_tier(name="Silver")
    alpha = make_partner(tier=gold)
    api = api_as(make_user(Role.PARTNER_ADMIN, partner=alpha))
    session.commit()
    tag = f"p{uuid.uuid4().hex[:6]}"
    _bulk(session, 210, tag)
    _bulk(session, 15, tag, audience_tier_ids=[silver.id])  # never the partner's
    want = _oracle(session, alpha.id, tag)
    assert len(want) == 210
    # an IN list of 200 ids on both backends, twice (the second answered from memory)
    for _ in range(2):
        assert _ids(api, tag, per_page=200) == (want[:200], 210)
        assert _ids(api, tag, per_page=200, page=2) == (want[200:], 210)
    # beyond the end: an empty page, the right total, never a 500
    for page in (3, 4, 1_000_000):
        assert _ids(api, tag, per_page=200, page=page) == ([], 210)
    # page 1 vs page 2 consistency with other sizes
    for per_page in (7, 24, 199):
        assert _all_pages(api, tag, per_page) == (want, 210)
    # limits: JSON 4xx
    for bad in ("per_page=0", "per_page=201", "page=0", "page=1000001", "page=-1", "page=x",
                "per_page=1e3", "page=99999999999999999999"):  # fmt: skip
        r = api.get(f"/api/v1/assets?tag={tag}&{bad}")
        assert 400 <= r.status_code < 500 and r.is_json, (bad, r.status_code)


def test_a_library_change_between_pages(
    clocked: Any, session: Any, make_user: Any, make_partner: Any, make_tier: Any, api_as: Any
) -> None:
    """Offset paging: an asset added between page 1 and page 2 shifts page 2 by one (an item
    shown twice), the same as before the change; what matters is that page 2 is the *current*
    page 2, not a kept one from before the change."""
    alpha, vendor, api = _gold_partner(session, make_user, make_partner, make_tier, api_as)
    tag = f"c{uuid.uuid4().hex[:6]}"
    _bulk(session, 6, tag)
    before2, _ = _ids(api, tag, per_page=3, page=2)  # page 2 kept
    _asset(vendor, f"{tag} new", tags=[tag])
    now = _oracle(session, alpha.id, tag)
    assert _ids(api, tag, per_page=3, page=2) == (now[3:6], 7)
    assert before2 != now[3:6]


# -- hostile input ----------------------------------------------------------------------------


HOSTILE = [
    "q=%00", "q=a%00b", "tag=%00", "category=%00", "q=%25%25%25", "q=_", "q=%5C",
    "tag=" + "t" * 41, "category=" + "c" * 81, "q=" + "q" * 201, "kind=nope", "kind=",
    "tag=%27%22%5D%7B", "tag=%5B%22x%22%5D", "q=%F0%9F%92%A9", "q=%ED%A0%80", "q=%C0%AF",
    "tag=a&tag=b", "page=1&page=2", "q=%E2%80%AE", "category=%0A", "per_page=", "page=",
    "status=draft", "status=nope", "tag=%20", "q=%20%20",
]  # fmt: skip


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_500(
    clocked: Any, client: Any, session: Any, make_user: Any, make_partner: Any, api_as: Any,
    sign_in_as: Any, query: str,
) -> None:  # fmt: skip
    partner_user = make_user(Role.PARTNER_ADMIN, partner=make_partner())
    api = api_as(partner_user)
    session.commit()
    r = api.get(f"/api/v1/assets?{query}")
    assert r.status_code < 500 and r.is_json, (query, r.status_code)
    sign_in_as(partner_user)
    r = client.get(f"/library?{query}")
    assert r.status_code < 500, (query, r.status_code)


# -- memory -----------------------------------------------------------------------------------


def test_kept_pages_stay_bounded_whatever_a_partner_asks(
    clocked: Any, session: Any, make_user: Any, make_partner: Any, api_as: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(changes, "MAX_REMEMBERED", 64)
    api = api_as(make_user(Role.PARTNER_ADMIN, partner=make_partner()))
    session.commit()
    shapes_before = len(changes._TABLES_READ)
    for i in range(150):
        assert (
            api.get(f"/api/v1/assets?q=w{i}&tag=t{i}&category=c{i}&page={i + 1}").status_code == 200
        )
        assert api.get(f"/api/v1/assets?page={i + 1}&per_page={i % 200 + 1}").status_code == 200
    assert len(clocked._memo) <= 64
    assert len(changes._TABLES_READ) - shapes_before < 20
    assert assets._library_statements.cache_info().currsize <= 512


def test_the_vendors_tag_filter_answers(
    client: Any, session: Any, make_user: Any, api_as: Any
) -> None:
    """The vendor's page joins each asset's versions under a LIMIT: SQLAlchemy compiled the
    tag test with its default compiler too, which had no form for it (a 500)."""
    vendor = api_as(make_user(Role.VENDOR_ADMIN))
    session.commit()
    tag = f"v{uuid.uuid4().hex[:6]}"
    _asset(vendor, f"tagged {tag}", tags=[tag])
    r = vendor.get(f"/api/v1/assets?tag={tag}")
    assert r.status_code == 200, (r.status_code, r.json)
    assert [a["name"] for a in r.json["items"]] == [f"tagged {tag}"]
