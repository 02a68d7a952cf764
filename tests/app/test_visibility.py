"""Visibility of content, asked of one rule (``access.asset_visible_to_partner`` and
``access.item_visible_to_partner``) by every face: library, downloads, renders, batch jobs,
tracked links, syndicated items, embed content and the public resource download.

``test_every_content_route_has_a_visibility_case`` walks the URL map: every route that takes an
asset or an item id needs a case in ``ROUTES``, which the walker runs for a Registered partner
against an unpublished asset, a Gold-only asset, a draft, and resources whose asset is one of
those (404, nothing changed), and against visible ones (reached), so a new content route cannot
ship without the rule.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from prm_domain import jobs
from prm_domain.enums import JobStatus, PartnerStatus, Role
from prm_domain.errors import ValidationError
from prm_domain.models import Partner, RenderJob, Tier, TrackedLink, User
from tests.app.test_api_tenancy import fast_hash, snapshot  # noqa: F401
from tests.conftest import PASSWORD, Api, csrf_of
from tests.library_fixtures import brochure, png

LANDING = "https://nimbus.example/cloud?ref=print"
SITE = "https://reseller.example"


@dataclass
class World:
    vendor: Api
    vendor_user: User
    gold: Tier
    registered: Partner
    gold_partner: Partner
    admin: User
    api: Api  # the Registered partner's admin
    assets: dict[str, int] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)
    embed_key: str = ""


def _asset(vendor: Api, name: str, publish: bool = True, **audience: Any) -> tuple[int, int]:
    r = vendor.post(
        "/api/v1/assets",
        {"kind": "pdf", "name": f"{name} {uuid.uuid4().hex[:4]}", "landing_url": LANDING}
        | audience,
    )
    assert r.status_code == 201, r.json
    asset_id = r.json["id"]
    r = vendor.post(f"/api/v1/assets/{asset_id}/versions?filename=b.pdf", data=brochure(1))
    assert r.status_code == 201, r.json
    if publish:
        assert vendor.post(f"/api/v1/assets/{asset_id}/publish", {}).status_code == 200
    return asset_id, r.json["id"]


def _resource(vendor: Api, asset_id: int, **audience: Any) -> int:
    r = vendor.post(
        "/api/v1/syndication/items",
        {"kind": "resource", "title": f"Resource {asset_id}", "asset_id": asset_id} | audience,
    )
    assert r.status_code == 201, r.json
    return int(r.json["id"])


@pytest.fixture
def world(
    app: Flask,
    make_tier: Callable[..., Tier],
    make_partner: Callable[..., Partner],
    make_user: Callable[..., User],
    api_as: Callable[[User | None], Api],
    session: Session,
) -> World:
    app.config["SYNDICATION_CACHE_SECONDS"] = 0  # every answer read from the database
    gold, registered_tier = make_tier(name="Gold"), make_tier(name="Registered")
    registered = make_partner(tier=registered_tier)
    gold_partner = make_partner(tier=gold)
    vendor_user = make_user(Role.MARKETING_MANAGER)
    admin = make_user(Role.PARTNER_ADMIN, registered)
    w = World(
        api_as(vendor_user),
        vendor_user,
        gold,
        registered,
        gold_partner,
        admin,
        api_as(admin),
    )
    for p in (registered, gold_partner):
        logo = api_as(make_user(Role.PARTNER_ADMIN, p)).request(
            "PUT", f"/api/v1/partners/{p.id}/brand-kit/logos/light", data=png()
        )
        assert logo.status_code == 200
    for name, kw in (
        ("everyone", {}),
        ("gold_only", {"audience_tier_ids": [gold.id]}),
        ("unpublished", {}),
        ("draft", {"publish": False}),
    ):
        w.assets[name], w.versions[name] = _asset(w.vendor, name, **kw)
    # Resources made while their assets were visible; no audience of their own.
    for name in ("everyone", "gold_only", "unpublished"):
        w.items[name] = _resource(w.vendor, w.assets[name])
    r = w.api.post("/api/v1/embeds", {"kind": "resources", "allowed_domains": ["reseller.example"]})
    assert r.status_code == 201, r.json
    w.embed_key = r.json["key"]
    assert w.vendor.post(f"/api/v1/assets/{w.assets['unpublished']}/unpublish").status_code == 200
    session.commit()
    return w


HIDDEN_ASSETS = ("unpublished", "gold_only", "draft")
HIDDEN_ITEMS = ("unpublished", "gold_only")


# -- the findings ---------------------------------------------------------------------------


def test_unpublished_asset_leaves_embed_content_and_public_download(
    world: World, client: FlaskClient
) -> None:
    """Found: after unpublish, the co-branded file still appeared in embed content and
    downloaded without authentication from the public resource URL."""
    base = f"/syndication/v1/embeds/{world.embed_key}"
    item = world.items["everyone"]
    shown = client.get(base, headers={"Origin": SITE}).json["resources"]
    assert [r["id"] for r in shown] == [item]
    assert client.get(f"{base}/resources/{item}").status_code == 200
    assert client.get(f"{base}/resources/{item}/thumbnail").status_code == 200
    assert f"resources/{item}" in client.get(f"{base}/fragment").get_data(as_text=True)

    assert (
        world.vendor.post(f"/api/v1/assets/{world.assets['everyone']}/unpublish").status_code == 200
    )
    assert client.get(base, headers={"Origin": SITE}).json["resources"] == []
    assert f"resources/{item}" not in client.get(f"{base}/fragment").get_data(as_text=True)
    for path in (f"{base}/resources/{item}", f"{base}/resources/{item}/thumbnail"):
        r = client.get(path)
        assert r.status_code == 404 and r.headers["Content-Type"].startswith("application/json")


def test_resource_without_audience_never_serves_a_gold_only_asset(
    world: World, client: FlaskClient
) -> None:
    """Found: a resource item with no audience of its own served a Gold-only asset to a
    Registered partner through its embed."""
    base = f"/syndication/v1/embeds/{world.embed_key}"
    ids = [r["id"] for r in client.get(base, headers={"Origin": SITE}).json["resources"]]
    assert world.items["gold_only"] not in ids and world.items["everyone"] in ids
    for name in HIDDEN_ITEMS:
        assert client.get(f"{base}/resources/{world.items[name]}").status_code == 404
        assert client.get(f"{base}/resources/{world.items[name]}/thumbnail").status_code == 404


def test_embed_that_chose_an_item_loses_it_when_its_asset_goes(
    world: World, client: FlaskClient
) -> None:
    r = world.api.post(
        "/api/v1/embeds",
        {
            "kind": "resources",
            "items": [world.items["everyone"]],
            "allowed_domains": ["reseller.example"],
        },
    )
    assert r.status_code == 201, r.json
    # Items it may not see cannot be chosen either.
    r = world.api.post(
        "/api/v1/embeds",
        {
            "kind": "resources",
            "items": [world.items["gold_only"]],
            "allowed_domains": ["reseller.example"],
        },
    )
    assert r.status_code == 422 and "items" in r.json["error"]["fields"]
    key = world.api.get("/api/v1/embeds").json["items"][0]["key"]
    world.vendor.patch(
        f"/api/v1/assets/{world.assets['everyone']}", {"audience_tier_ids": [world.gold.id]}
    )
    assert (
        client.get(f"/syndication/v1/embeds/{key}", headers={"Origin": SITE}).json["resources"]
        == []
    )


def test_partner_lists_hold_only_visible_content(world: World, sign_in_as: Any) -> None:
    ids = {a["id"] for a in world.api.get("/api/v1/assets?per_page=100").json["items"]}
    assert ids == {world.assets["everyone"]}
    items = {i["id"] for i in world.api.get("/api/v1/syndication/items").json["items"]}
    assert items == {world.items["everyone"]}
    client = sign_in_as(world.admin)
    html = client.get("/library").get_data(as_text=True)
    assert f"/library/{world.assets['everyone']}" in html
    for name in HIDDEN_ASSETS:
        assert f'/library/{world.assets[name]}"' not in html
    # The Gold partner does get the Gold-only resource: the rule is not "never".
    gold_admin = User(
        email=f"g-{uuid.uuid4().hex[:6]}@example.com",
        password_hash="x",
        display_name="G",
        role=Role.PARTNER_ADMIN,
        partner_id=world.gold_partner.id,
    )
    from prm_domain.syndication import items as items_service

    session = Session.object_session(world.admin)
    assert session is not None
    session.add(gold_admin)
    session.flush()
    seen = {i.id for i in items_service.list_items(session, gold_admin).items}
    assert world.items["gold_only"] in seen and world.items["unpublished"] not in seen


# -- tracked links: after unpublish, the landing page (anonymous), never the file -----------


def test_tracked_link_after_unpublish_lands_without_attribution(
    world: World, client: FlaskClient, session: Session
) -> None:
    asset_id = world.assets["everyone"]
    code = world.api.get(f"/api/v1/assets/{asset_id}/link").json["code"]
    r = client.get(f"/r/{code}")
    assert r.status_code == 302
    assert "utm_content=partner-" in r.headers["Location"] and "ref=print" in r.headers["Location"]
    assert world.vendor.post(f"/api/v1/assets/{asset_id}/unpublish").status_code == 200
    r = client.get(f"/r/{code}")
    assert r.status_code == 302
    assert r.headers["Location"] == LANDING  # the vendor's page as written, no partner tags
    assert "/render" not in r.headers["Location"] and "/resources/" not in r.headers["Location"]
    session.expire_all()
    assert session.query(TrackedLink).filter_by(code=code).one().clicks == 1  # the first only
    # And the partner can no longer fetch the link itself.
    assert world.api.get(f"/api/v1/assets/{asset_id}/link").status_code == 404


# -- batch jobs -----------------------------------------------------------------------------


def test_batch_job_renders_only_for_partners_who_may_see_the_asset(
    app: Flask, world: World, session: Session, make_partner: Callable[..., Partner]
) -> None:
    make_partner(tier=world.gold, status=PartnerStatus.SUSPENDED)
    asset_id = world.assets["gold_only"]
    job = jobs.start_job(session, world.vendor_user, asset_id, {}, "pdf")
    assert job.partner_ids == [world.gold_partner.id]  # not Registered, not the suspended one
    # Unpublished between the start and the step: nothing is rendered for anyone.
    assert world.vendor.post(f"/api/v1/assets/{asset_id}/unpublish").status_code == 200
    session.expire_all()
    storage = app.extensions["cobrand.storage"]
    while jobs.step(session, storage, job.id, "http://localhost"):
        pass
    job = session.get(RenderJob, job.id)
    assert job.status == JobStatus.FAILED and job.results == []
    assert "no longer see" in job.failures[0]["error"]
    with pytest.raises(ValidationError, match="Publish the asset"):
        jobs.start_job(session, world.vendor_user, asset_id, {}, "pdf")


# -- the walker: every route with an asset or item id asks the rule -------------------------

A = "/api/v1/assets/<id:asset_id>"
I = "/api/v1/syndication/items/<id:item_id>"  # noqa: E741
E = "/syndication/v1/embeds/<key>/resources/<int:item_id>"


@dataclass(frozen=True)
class Route:
    """How to call a route for ``target``; ``reached``: the status a visible target gets."""

    path: Callable[[dict[str, str]], str]
    reached: int | None = 200  # None: vendor-only, refused for every target
    body: dict[str, Any] | None = None
    face: str = "api"  # api, portal or public


def _p(template: str) -> Callable[[dict[str, str]], str]:
    return lambda v: re.sub(r"\{(\w+)\}", lambda m: v[m.group(1)], template)


ROUTES: dict[tuple[str, str], Route] = {
    (A, "GET"): Route(_p("/api/v1/assets/{asset}")),
    (A, "PATCH"): Route(_p("/api/v1/assets/{asset}"), None, {"name": "x"}),
    (A + "/versions", "POST"): Route(_p("/api/v1/assets/{asset}/versions"), None, {}),
    (A + "/versions/<id:version_id>/zones", "PUT"): Route(
        _p("/api/v1/assets/{asset}/versions/{version}/zones"), None, {"zones": []}
    ),
    (A + "/versions/<id:version_id>/pages/<id:page>", "GET"): Route(
        _p("/api/v1/assets/{asset}/versions/{version}/pages/1"), None
    ),
    (A + "/publish", "POST"): Route(_p("/api/v1/assets/{asset}/publish"), None, {}),
    (A + "/unpublish", "POST"): Route(_p("/api/v1/assets/{asset}/unpublish"), None, {}),
    (A + "/thumbnail", "GET"): Route(_p("/api/v1/assets/{asset}/thumbnail")),
    (A + "/render", "GET"): Route(_p("/api/v1/assets/{asset}/render?format=pdf&download=true")),
    (A + "/link", "GET"): Route(_p("/api/v1/assets/{asset}/link")),
    (A + "/downloads", "GET"): Route(_p("/api/v1/assets/{asset}/downloads")),
    (A + "/batches", "POST"): Route(_p("/api/v1/assets/{asset}/batches"), None, {"format": "pdf"}),
    (I, "GET"): Route(_p("/api/v1/syndication/items/{item}")),
    (I, "PATCH"): Route(_p("/api/v1/syndication/items/{item}"), None, {"title": "x"}),
    (I, "DELETE"): Route(_p("/api/v1/syndication/items/{item}"), None),
    (E, "GET"): Route(_p("/syndication/v1/embeds/{key}/resources/{item}"), face="public"),
    (E + "/thumbnail", "GET"): Route(
        _p("/syndication/v1/embeds/{key}/resources/{item}/thumbnail"), face="public"
    ),
    ("/library/<id:asset_id>", "GET"): Route(_p("/library/{asset}"), face="portal"),
    ("/library/<id:asset_id>", "POST"): Route(_p("/library/{asset}"), None, {}, "portal"),
    ("/library/<id:asset_id>/versions", "POST"): Route(
        _p("/library/{asset}/versions"), None, {}, "portal"
    ),
    ("/library/<id:asset_id>/publish", "POST"): Route(
        _p("/library/{asset}/publish"), None, {}, "portal"
    ),
    ("/library/<id:asset_id>/unpublish", "POST"): Route(
        _p("/library/{asset}/unpublish"), None, {}, "portal"
    ),
    ("/library/<id:asset_id>/batches", "POST"): Route(
        _p("/library/{asset}/batches"), None, {"format": "pdf"}, "portal"
    ),
    ("/library/<id:asset_id>/jobs/<id:job_id>", "GET"): Route(
        _p("/library/{asset}/jobs/1"), None, face="portal"
    ),
    ("/library/<id:asset_id>/versions/<id:version_id>/zones", "GET"): Route(
        _p("/library/{asset}/versions/{version}/zones"), None, face="portal"
    ),
    ("/library/<id:asset_id>/versions/<id:version_id>/zones", "POST"): Route(
        _p("/library/{asset}/versions/{version}/zones"), None, {}, "portal"
    ),
    ("/library/<id:asset_id>/versions/<id:version_id>/zones/fit", "POST"): Route(
        _p("/library/{asset}/versions/{version}/zones/fit"), None, {}, "portal"
    ),
    ("/library/<id:asset_id>/versions/<id:version_id>/zones/preview", "POST"): Route(
        _p("/library/{asset}/versions/{version}/zones/preview"), None, {}, "portal"
    ),
    ("/library/<id:asset_id>/partner-footer", "POST"): Route(
        _p("/library/{asset}/partner-footer"), None, {}, "portal"
    ),
    ("/syndicated-items/<id:item_id>/edit", "GET"): Route(
        _p("/syndicated-items/{item}/edit"), None, face="portal"
    ),
    ("/syndicated-items/<id:item_id>/edit", "POST"): Route(
        _p("/syndicated-items/{item}/edit"), None, {}, "portal"
    ),
    ("/syndicated-items/<id:item_id>/delete", "POST"): Route(
        _p("/syndicated-items/{item}/delete"), None, {}, "portal"
    ),
}


def _content_routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if {"asset_id", "item_id"} & set(rule.arguments)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def test_every_content_route_has_a_visibility_case(app: Flask) -> None:
    routes = _content_routes(app)
    missing = sorted(routes - ROUTES.keys())
    assert not missing, f"routes serving assets or items without a visibility case: {missing}"
    assert not ROUTES.keys() - routes, "cases for routes that are gone"


def test_the_walk_notices_a_new_content_route(app: Flask) -> None:
    app.add_url_rule("/api/v1/assets/<id:asset_id>/share", "share", lambda asset_id: "")
    assert ("/api/v1/assets/<id:asset_id>/share", "GET") in _content_routes(app) - ROUTES.keys()


def _values(world: World, name: str, method: str) -> dict[str, str]:
    return {
        "asset": str(world.assets.get(name, world.assets["everyone"])),
        "version": str(world.versions.get(name, world.versions["everyone"])),
        "item": str(world.items.get(name, world.items["everyone"])),
        "key": world.embed_key,
        "method": method,
    }


def test_hidden_content_is_not_found_on_every_route(
    app: Flask, world: World, session: Session
) -> None:
    portal = app.test_client()
    portal.get("/sign-in")
    r = portal.post(
        "/sign-in",
        data={"email": world.admin.email, "password": PASSWORD, "csrf_token": csrf_of(portal)},
    )
    assert r.status_code == 302
    portal.get("/")
    public = app.test_client()
    before = snapshot(session)
    wrong = []
    for (rule, method), route in sorted(ROUTES.items()):
        names = HIDDEN_ITEMS if "item_id" in rule else HIDDEN_ASSETS
        for name in names:
            values = _values(world, name, method)
            if "item_id" in rule:
                values["asset"] = str(world.assets[name])
            r = _send(world, portal, public, route, method, values)
            refused = (404,) if route.reached is not None else (403, 404)
            if r.status_code not in refused:
                wrong.append((method, rule, name, r.status_code, r.get_data()[:160]))
    assert not wrong, f"hidden content reached: {wrong}"
    assert snapshot(session) == before
    # Control: the same calls on visible content reach it, so each case aims at a live route.
    for (rule, method), route in sorted(ROUTES.items()):
        if route.reached is None:
            continue
        r = _send(world, portal, public, route, method, _values(world, "everyone", method))
        assert r.status_code == route.reached, (rule, method, r.status_code)


def _send(
    world: World,
    portal: FlaskClient,
    public: FlaskClient,
    route: Route,
    method: str,
    values: dict[str, str],
) -> Any:
    url = route.path(values)
    if route.face == "api":
        return world.api.request(method, url, route.body if method != "GET" else None)
    if route.face == "public":
        return public.get(url)
    if method == "GET":
        return portal.get(url)
    return portal.post(url, data={**(route.body or {}), "csrf_token": csrf_of(portal)})


def test_public_download_is_refused_at_once_even_while_content_is_cached(
    app: Flask, world: World, client: FlaskClient
) -> None:
    """The per-process content cache (SYNDICATION_CACHE_SECONDS) may list a resource for a few
    seconds after its asset is unpublished; the download itself asks the rule every time."""
    app.config["SYNDICATION_CACHE_SECONDS"] = 60
    base = f"/syndication/v1/embeds/{world.embed_key}"
    item = world.items["everyone"]
    assert [r["id"] for r in client.get(base, headers={"Origin": SITE}).json["resources"]] == [item]
    assert (
        world.vendor.post(f"/api/v1/assets/{world.assets['everyone']}/unpublish").status_code == 200
    )
    assert client.get(f"{base}/resources/{item}").status_code == 404
    assert client.get(f"{base}/resources/{item}/thumbnail").status_code == 404
