"""Portal pages of the asset library: library lists, new asset with upload, asset pages, zone
editor, batch renders, brand kits; tenancy, CSRF and CSP rules on every one of them."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from prm_domain import assets, brandkits
from prm_domain.enums import AssetStatus, PartnerType, Region, Role
from prm_domain.models import Asset, AssetDownload, AssetVersion, AuditEvent, BrandKit
from tests.app.test_portal import (  # noqa: F401 - fast_argon2 and password_hash are fixtures
    Page,
    fast_argon2,
    password_hash,
    post_form,
    text_of,
    token,
)
from tests.library_fixtures import NEWSLETTER, brochure, png

# (rule, method) of every portal_library route with an object id, each covered by a
# cross-tenant test below (a partner user of another organisation gets 404 and changes nothing).
# The maintainer wires these into tests/app/test_portal_tenancy.py's CASES.
CROSS_TENANT_CASES: list[tuple[str, str]] = [
    ("/library/<id:asset_id>", "GET"),
    ("/library/<id:asset_id>", "POST"),
    ("/library/<id:asset_id>/versions", "POST"),
    ("/library/<id:asset_id>/publish", "POST"),
    ("/library/<id:asset_id>/unpublish", "POST"),
    ("/library/<id:asset_id>/batches", "POST"),
    ("/library/<id:asset_id>/jobs/<id:job_id>", "GET"),
    ("/library/<id:asset_id>/versions/<id:version_id>/zones", "GET"),
    ("/library/<id:asset_id>/versions/<id:version_id>/zones", "POST"),
    ("/library/<id:asset_id>/versions/<id:version_id>/zones/fit", "POST"),
    ("/library/<id:asset_id>/versions/<id:version_id>/zones/preview", "POST"),
    ("/library/<id:asset_id>/partner-footer", "POST"),
    ("/partners/<id:partner_id>/brand-kit", "GET"),
    ("/partners/<id:partner_id>/brand-kit", "POST"),
    ("/partners/<id:partner_id>/brand-kit/logos/<any(light, dark):variant>", "POST"),
]


# -- helpers ----------------------------------------------------------------------------------


def store(app: Any) -> Any:
    return app.extensions["cobrand.storage"]


def make_asset(
    session: Any,
    app: Any,
    actor: Any,
    kind: str = "pdf",
    data: bytes | None = None,
    *,
    publish: bool = False,
    **values: Any,
) -> tuple[Asset, AssetVersion]:
    """An asset with one version, through the domain (what the pages show, not how)."""
    values.setdefault("name", f"{kind} asset")
    asset = assets.create_asset(session, actor, kind, values)
    if data is None:
        data = {"pdf": brochure(), "social": png(1200, 627), "email": NEWSLETTER.encode()}[kind]
    with app.app_context():
        version = assets.add_version(session, actor, store(app), asset.id, f"t.{kind}", data)
        if publish:
            assets.publish(session, actor, asset.id)
    session.commit()
    return asset, version


def give_logo(session: Any, app: Any, partner: Any) -> None:
    kit = brandkits.kit_for(session, partner.id)
    kit.logo_key = store(app).put(png())
    kit.version = (kit.version or 0) + 1
    session.add(kit)
    session.commit()


def count(session: Any, model: Any, *where: Any) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def no_inline_code(html: str) -> None:
    page = Page(html)
    assert page.inline_scripts == 0
    assert page.style_attrs == 0
    assert 'style="' not in html and "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "a <script> without src"


def upload_form(**kw: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "kind": "pdf",
        "name": "Cloud brochure",
        "description": "Our cloud, in six pages.",
        "category": "Brochures",
        "tags": "cloud, security",
        "landing_url": "https://nimbus.example/cloud",
        "audience_verticals": "",
        "file": (io.BytesIO(brochure()), "brochure.pdf"),
    }
    form.update(kw)
    return form


@pytest.fixture
def world(make_tier, make_partner, make_user) -> dict[str, Any]:
    gold, silver = make_tier(name="Gold"), make_tier(name="Silver")
    acme = make_partner(name="Acme Reseller", tier=gold)
    other = make_partner(name="Other Org GmbH", tier=silver, region=Region.APAC)
    return {
        "gold": gold,
        "silver": silver,
        "acme": acme,
        "other": other,
        "marketing": make_user(Role.MARKETING_MANAGER),
        "channel": make_user(Role.CHANNEL_MANAGER),
        "acme_admin": make_user(Role.PARTNER_ADMIN, partner=acme),
        "acme_user": make_user(Role.PARTNER_USER, partner=acme),
        "other_admin": make_user(Role.PARTNER_ADMIN, partner=other),
        "other_user": make_user(Role.PARTNER_USER, partner=other),
    }


# -- vendor: new asset with its upload in one form --------------------------------------------


def test_vendor_creates_an_asset_with_its_upload_and_it_is_listed(
    client, sign_in_as, session, world
):
    sign_in_as(world["marketing"])
    r = client.get("/library/new")
    assert r.status_code == 200
    html = text_of(r)
    assert 'enctype="multipart/form-data"' in html and 'name="csrf_token"' in html
    assert "Gold" in html and "Reseller / VAR" in html  # audience checkboxes
    r = client.post(
        "/library/new",
        data={
            **upload_form(),
            "audience_tier_ids": [str(world["gold"].id)],
            "audience_regions": ["EMEA"],
            "audience_partner_types": ["reseller"],
            "csrf_token": token(client),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 302, text_of(r)
    session.expire_all()
    asset = session.scalar(select(Asset).where(Asset.name == "Cloud brochure"))
    assert asset is not None and asset.status == AssetStatus.DRAFT
    assert asset.audience_tier_ids == [world["gold"].id]
    assert asset.audience_regions == ["EMEA"] and asset.audience_partner_types == ["reseller"]
    assert asset.tags == ["cloud", "security"]
    [version] = asset.versions
    assert version.filename == "brochure.pdf" and len(version.pages) == 2
    # A PDF goes straight to the zone editor of its first version.
    assert r.headers["Location"].endswith(f"/library/{asset.id}/versions/{version.id}/zones")
    assert client.get(r.headers["Location"]).status_code == 200

    listing = text_of(client.get("/library"))
    assert "Cloud brochure" in listing and f"/library/{asset.id}" in listing
    assert f"/api/v1/assets/{asset.id}/thumbnail" in listing
    assert "Cloud brochure" in text_of(client.get("/library?q=cloud&kind=pdf&status=draft"))
    assert "Cloud brochure" not in text_of(client.get("/library?kind=email"))
    assert "No asset matches" in text_of(client.get("/library?status=published"))


def test_a_refused_upload_stores_nothing_and_shows_the_error(
    app, client, sign_in_as, session, world
):
    sign_in_as(world["marketing"])
    before = count(session, Asset), count(session, AuditEvent)
    r = client.post(
        "/library/new",
        data={
            **upload_form(file=(io.BytesIO(png()), "fake.pdf")),
            "csrf_token": token(client),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    html = text_of(r)
    assert 'class="field-error"' in html and 'value="Cloud brochure"' in html  # form kept
    assert (count(session, Asset), count(session, AuditEvent)) == before
    assert count(session, AssetVersion) == 0
    storage_dir = Path(app.config["STORAGE_DIR"])
    assert not storage_dir.exists() or not [p for p in storage_dir.rglob("*") if p.is_file()]

    # No file at all, and a bad field: refused as well, nothing stored.
    r = client.post(
        "/library/new",
        data={**upload_form(landing_url="javascript:alert(1)"), "csrf_token": token(client)},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and count(session, Asset) == before[0]


def test_library_is_closed_to_roles_that_do_not_manage_assets(client, sign_in_as, world):
    sign_in_as(world["acme_admin"])
    assert client.get("/library/new").status_code == 404
    assert 'href="/library/new"' not in text_of(client.get("/library"))


def test_channel_manager_reads_the_library_but_cannot_add(client, sign_in_as, world):
    sign_in_as(world["channel"])
    assert client.get("/library").status_code == 200
    assert 'href="/library/new"' not in text_of(client.get("/library"))
    r = client.get("/library/new")
    assert r.status_code in (302, 403)  # refused with a message


def test_library_paginates(app, client, sign_in_as, session, world):
    for n in range(26):
        assets.create_asset(session, world["marketing"], "email", {"name": f"Mail {n:02d}"})
    session.commit()
    sign_in_as(world["marketing"])
    first = text_of(client.get("/library"))
    assert "Page 1 of 2" in first and "26 assets" in first
    second = text_of(client.get("/library?page=2"))
    assert "Page 2 of 2" in second and second.count('class="asset-card"') == 2


# -- vendor: asset page -----------------------------------------------------------------------


def test_vendor_asset_page_edits_uploads_publishes(app, client, sign_in_as, session, world):
    asset, v1 = make_asset(session, app, world["marketing"], name="Datasheet")
    give_logo(session, app, world["acme"])
    sign_in_as(world["marketing"])
    html = text_of(client.get(f"/library/{asset.id}"))
    assert "Datasheet" in html and "v1" in html and "No downloads yet" in html
    assert f"/api/v1/assets/{asset.id}/render?" in html and "format=preview" in html
    assert f"partner_id={world['acme'].id}" in html  # the sample partner has a logo
    no_inline_code(html)

    r = post_form(
        client,
        f"/library/{asset.id}",
        {"name": "Datasheet 2025", "landing_url": "notaurl", "audience_regions": "EMEA"},
    )
    assert r.status_code == 422 and 'class="field-error"' in text_of(r)
    r = post_form(
        client,
        f"/library/{asset.id}",
        {
            "name": "Datasheet 2025",
            "category": "Datasheets",
            "audience_regions": "EMEA",
            "landing_url": "https://nimbus.example/ds",
        },
    )
    assert r.status_code == 302
    session.expire_all()
    asset = session.get(Asset, asset.id)
    assert asset.name == "Datasheet 2025" and asset.audience_regions == ["EMEA"]

    r = client.post(
        f"/library/{asset.id}/versions",
        data={"file": (io.BytesIO(brochure(3)), "v2.pdf"), "csrf_token": token(client)},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    r = client.post(
        f"/library/{asset.id}/versions",
        data={"file": (io.BytesIO(b"not a pdf"), "v3.pdf"), "csrf_token": token(client)},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and "flash-error" in text_of(r)
    session.expire_all()
    assert [v.number for v in session.get(Asset, asset.id).versions] == [1, 2]

    assert (
        post_form(client, f"/library/{asset.id}/publish", {"version_id": str(v1.id)}).status_code
        == 302
    )
    session.expire_all()
    asset = session.get(Asset, asset.id)
    assert asset.status == AssetStatus.PUBLISHED and asset.published_version_id == v1.id
    assert post_form(client, f"/library/{asset.id}/publish").status_code == 302
    session.expire_all()
    assert session.get(Asset, asset.id).published_version.number == 2
    assert post_form(client, f"/library/{asset.id}/unpublish").status_code == 302
    session.expire_all()
    assert session.get(Asset, asset.id).status == AssetStatus.UNPUBLISHED


def test_batch_render_form_starts_a_job_with_a_progress_page(
    app, client, sign_in_as, session, world
):
    asset, _ = make_asset(session, app, world["marketing"], publish=True, name="Flyer")
    give_logo(session, app, world["acme"])
    sign_in_as(world["marketing"])
    r = post_form(
        client,
        f"/library/{asset.id}/batches",
        {"format": "pdf", "tier_ids": str(world["gold"].id), "statuses": "active"},
    )
    assert r.status_code == 302, text_of(r)
    page = client.get(r.headers["Location"])
    html = text_of(page)
    assert page.status_code == 200 and "<progress" in html
    job_id = re.search(r"/api/v1/jobs/(\d+)", html).group(1)
    # Tests run tasks inline: the job is done, the zip is offered.
    assert f"/api/v1/jobs/{job_id}/download" in html and "Done: 1 of 1" in html
    no_inline_code(html)
    assert client.get(f"/api/v1/jobs/{job_id}").json["status"] == "done"  # what the bar polls
    # Both partners, the one without a logo fails and is listed.
    r = post_form(client, f"/library/{asset.id}/batches", {"format": "pdf"})
    html = text_of(client.get(r.headers["Location"]))
    assert "Other Org GmbH" in html and "no logo" in html
    # An empty segment, a bad format: the form says so.
    r = post_form(client, f"/library/{asset.id}/batches", {"format": "pdf", "regions": "LATAM"})
    assert r.status_code == 422 and "No partner of the asset" in text_of(r)
    r = post_form(client, f"/library/{asset.id}/batches", {"format": "exe"})
    assert r.status_code == 422
    assert "Batch #" in text_of(client.get(f"/library/{asset.id}"))


# -- zone editor ------------------------------------------------------------------------------


def test_zones_saved_through_the_portal_land_on_the_version(
    app, client, sign_in_as, session, world
):
    asset, version = make_asset(session, app, world["marketing"])
    give_logo(session, app, world["acme"])
    sign_in_as(world["marketing"])
    r = client.get(f"/library/{asset.id}/versions/{version.id}/zones")
    assert r.status_code == 200
    html = text_of(r)
    no_inline_code(html)
    assert f"/api/v1/assets/{asset.id}/versions/{version.id}/pages/1?width=600" in html
    assert "js/zone-editor.js" in html and "data-zones='[]'" in html
    zones = [
        {"kind": "logo", "box": [0.7, 0.02, 0.25, 0.08]},
        {"kind": "text", "box": [0.05, 0.9, 0.6, 0.05], "text": "{{ contact.phone }}"},
    ]
    url = f"/library/{asset.id}/versions/{version.id}/zones"
    r = client.post(url, json={"zones": zones}, headers={"X-CSRF-Token": token(client)})
    assert r.status_code == 200, r.json
    assert [z["kind"] for z in r.json["zones"]] == ["logo", "text"]
    session.expire_all()
    saved = session.get(AssetVersion, version.id).zones
    assert saved[0]["box"] == [0.7, 0.02, 0.25, 0.08] and saved[1]["text"] == "{{ contact.phone }}"
    # The page shows them for editing, and the preview of the sample partner renders.
    html = text_of(client.get(url))
    assert "contact.phone" in html
    preview = re.search(r'data-preview-base="([^"]+)"', html).group(1).replace("&amp;", "&")
    r = client.get(f"{preview}&partner_id={world['acme'].id}")
    assert r.status_code == 200 and r.mimetype == "image/png"

    # Refused: outside the page, a QR zone without a landing URL, not a list.
    for bad, field in (
        ([{"kind": "logo", "box": [0.9, 0.9, 0.2, 0.2]}], "zones.0"),
        ([{"kind": "qr", "box": [0.1, 0.1, 0.1, 0.1]}], "zones"),
        ("nope", "zones"),
    ):
        r = client.post(url, json={"zones": bad}, headers={"X-CSRF-Token": token(client)})
        assert r.status_code == 422 and field in r.json["error"]["fields"], r.json
    session.expire_all()
    assert len(session.get(AssetVersion, version.id).zones) == 2


def test_email_assets_show_a_sandboxed_preview_instead_of_zones(
    app, client, sign_in_as, session, world
):
    asset, version = make_asset(session, app, world["marketing"], "email")
    give_logo(session, app, world["acme"])
    sign_in_as(world["marketing"])
    for path in (f"/library/{asset.id}/versions/{version.id}/zones", f"/library/{asset.id}"):
        html = text_of(client.get(path))
        assert re.search(r'<iframe[^>]+sandbox=""', html), path
        assert "format=html" in html and "zone-editor.js" not in html
        no_inline_code(html)
    r = client.post(
        f"/library/{asset.id}/versions/{version.id}/zones",
        json={"zones": [{"kind": "logo", "box": [0, 0, 0.1, 0.1]}]},
        headers={"X-CSRF-Token": token(client)},
    )
    assert r.status_code == 422


# -- partners: library and asset page ---------------------------------------------------------


def test_publish_shows_the_asset_only_to_partners_in_the_audience(
    app, client, sign_in_as, session, world
):
    asset, _ = make_asset(
        session,
        app,
        world["marketing"],
        name="Gold brochure",
        category="Brochures",
        audience_tier_ids=[world["gold"].id],
        landing_url="https://nimbus.example/gold",
    )
    sign_in_as(world["acme_admin"])
    html = text_of(client.get("/library"))
    assert "Gold brochure" not in html and "Nothing has been shared" in html
    assert f"/partners/{world['acme'].id}/brand-kit" in html  # no logo yet: go set it up
    assert client.get(f"/library/{asset.id}").status_code == 404  # a draft

    sign_in_as(world["marketing"])
    assert post_form(client, f"/library/{asset.id}/publish").status_code == 302

    sign_in_as(world["acme_admin"])
    html = text_of(client.get("/library"))
    assert "Gold brochure" in html and f"/api/v1/assets/{asset.id}/thumbnail" in html
    assert "Gold brochure" in text_of(client.get("/library?q=gold&category=Brochures"))
    assert "No asset matches" in text_of(client.get("/library?kind=social"))
    page = client.get(f"/library/{asset.id}")
    assert page.status_code == 200 and "Upload your logo" in text_of(page)

    sign_in_as(world["other_admin"])
    assert "Gold brochure" not in text_of(client.get("/library"))
    r = client.get(f"/library/{asset.id}")
    assert r.status_code == 404 and "Gold brochure" not in text_of(r)


def test_partner_asset_page_previews_downloads_and_tracked_link(
    app, client, sign_in_as, session, world
):
    asset, _ = make_asset(
        session,
        app,
        world["marketing"],
        publish=True,
        name="Everyone brochure",
        landing_url="https://nimbus.example/all",
    )
    social, _ = make_asset(session, app, world["marketing"], "social", publish=True)
    email, _ = make_asset(session, app, world["marketing"], "email", publish=True)
    give_logo(session, app, world["acme"])
    sign_in_as(world["acme_user"])
    html = text_of(client.get(f"/library/{asset.id}"))
    no_inline_code(html)
    assert f"/api/v1/assets/{asset.id}/render?format=preview" in html
    download = f"/api/v1/assets/{asset.id}/render?format=pdf&amp;download=true"
    assert download in html
    link = re.search(r'id="tracked-link"[^>]*value="([^"]+)"', html).group(1)
    assert re.search(r"/r/[A-Za-z0-9]{8}$", link) and "data-copy" in html
    r = client.get(download.replace("&amp;", "&"))
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert count(session, AssetDownload) == 1

    html = text_of(client.get(f"/library/{social.id}"))
    assert "format=png&amp;download=true" in html and "format=jpeg&amp;download=true" in html
    assert "tracked-link" not in html  # no landing page, no link
    html = text_of(client.get(f"/library/{email.id}"))
    assert re.search(r'<iframe[^>]+sandbox=""', html)
    assert "format=html&amp;download=true" in html and "format=eml&amp;download=true" in html

    sign_in_as(world["marketing"])
    html = text_of(client.get(f"/library/{asset.id}"))
    assert "Acme Reseller" in html and "Downloads by partner" in html


# -- brand kits -------------------------------------------------------------------------------


def test_logo_upload_through_the_brand_kit_form(app, client, sign_in_as, session, world):
    acme = world["acme"]
    sign_in_as(world["acme_admin"])
    r = client.get(f"/partners/{acme.id}/brand-kit")
    assert r.status_code == 200 and "No logo yet" in text_of(r)
    no_inline_code(text_of(r))
    r = client.post(
        f"/partners/{acme.id}/brand-kit/logos/light",
        data={"logo": (io.BytesIO(png()), "logo.png"), "csrf_token": token(client)},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    session.expire_all()
    kit = session.scalar(select(BrandKit).where(BrandKit.partner_id == acme.id))
    assert kit.logo_key and not kit.logo_on_dark_key
    html = text_of(client.get(f"/partners/{acme.id}/brand-kit"))
    assert f"/api/v1/partners/{acme.id}/brand-kit/logos/light" in html
    assert client.get(f"/api/v1/partners/{acme.id}/brand-kit/logos/light").mimetype == "image/png"

    r = client.post(
        f"/partners/{acme.id}/brand-kit/logos/dark",
        data={
            "logo": (io.BytesIO(b"%PDF-1.4 not an image"), "logo.png"),
            "csrf_token": token(client),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    html = text_of(r)
    assert 'id="logo-dark-error"' in html and 'aria-invalid="true"' in html
    session.expire_all()
    assert not session.scalar(
        select(BrandKit).where(BrandKit.partner_id == acme.id)
    ).logo_on_dark_key

    r = post_form(client, f"/partners/{acme.id}/brand-kit/logos/light", {"remove": "1"})
    assert r.status_code == 302
    session.expire_all()
    assert not session.scalar(select(BrandKit).where(BrandKit.partner_id == acme.id)).logo_key


def test_brand_kit_details_show_errors_per_field(client, sign_in_as, session, world):
    acme = world["acme"]
    sign_in_as(world["acme_admin"])
    r = post_form(
        client,
        f"/partners/{acme.id}/brand-kit",
        {"primary_color": "red", "contact_email": "nope", "contact_phone": "call me"},
    )
    assert r.status_code == 422
    html = text_of(r)
    assert html.count('class="field-error"') == 3 and 'value="call me"' in html
    r = post_form(
        client,
        f"/partners/{acme.id}/brand-kit",
        {
            "primary_color": "#1A2B3C",
            "contact_email": "sales@acme.example",
            "contact_phone": "+49 30 1",
        },
    )
    assert r.status_code == 302
    session.expire_all()
    kit = session.scalar(select(BrandKit).where(BrandKit.partner_id == acme.id))
    assert kit.primary_color == "#1a2b3c" and kit.contact_phone == "+49 30 1"
    assert "#1a2b3c" in text_of(client.get(f"/partners/{acme.id}/brand-kit"))


def test_partner_users_read_the_brand_kit_but_do_not_change_it(client, sign_in_as, session, world):
    acme = world["acme"]
    sign_in_as(world["acme_user"])
    html = text_of(client.get(f"/partners/{acme.id}/brand-kit"))
    assert "Only your organisation" in html and "Save details" not in html
    r = post_form(client, f"/partners/{acme.id}/brand-kit", {"primary_color": "#123456"})
    assert r.status_code in (302, 403)  # refused with a message
    assert count(session, BrandKit) == 0


def test_navigation_links_library_and_brand_kit(client, sign_in_as, world):
    sign_in_as(world["acme_user"])
    html = text_of(client.get("/"))
    assert 'href="/library"' in html and f'href="/partners/{world["acme"].id}/brand-kit"' in html
    assert "css/library.css" in html
    sign_in_as(world["marketing"])
    html = text_of(client.get("/"))
    assert 'href="/library"' in html and "/brand-kit" not in html


# -- tenancy ----------------------------------------------------------------------------------


def test_cross_tenant_cases_cover_every_library_route_with_an_id(app):
    rules = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("portal_library.") and rule.arguments
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert rules == set(CROSS_TENANT_CASES)


def snapshot(session: Any) -> Any:
    from tests.app.test_portal_tenancy import snapshot as full

    return full(session)


def test_another_organisation_gets_404_everywhere_and_changes_nothing(
    app, client, sign_in_as, session, world
):
    marketing, acme = world["marketing"], world["acme"]
    asset, version = make_asset(
        session, app, marketing, publish=True, audience_tier_ids=[world["gold"].id]
    )
    give_logo(session, app, acme)
    sign_in_as(marketing)
    r = post_form(client, f"/library/{asset.id}/batches", {"format": "pdf"})
    job_id = int(r.headers["Location"].rsplit("/", 1)[1])
    pdf = lambda: (io.BytesIO(brochure()), "x.pdf")  # noqa: E731
    calls = {
        ("/library/<id:asset_id>", "GET"): lambda: client.get(f"/library/{asset.id}"),
        ("/library/<id:asset_id>", "POST"): lambda: post_form(
            client, f"/library/{asset.id}", {"name": "Taken over"}
        ),
        ("/library/<id:asset_id>/versions", "POST"): lambda: client.post(
            f"/library/{asset.id}/versions",
            data={"file": pdf(), "csrf_token": token(client)},
            content_type="multipart/form-data",
        ),
        ("/library/<id:asset_id>/publish", "POST"): lambda: post_form(
            client, f"/library/{asset.id}/publish"
        ),
        ("/library/<id:asset_id>/unpublish", "POST"): lambda: post_form(
            client, f"/library/{asset.id}/unpublish"
        ),
        ("/library/<id:asset_id>/batches", "POST"): lambda: post_form(
            client, f"/library/{asset.id}/batches", {"format": "pdf"}
        ),
        ("/library/<id:asset_id>/jobs/<id:job_id>", "GET"): lambda: client.get(
            f"/library/{asset.id}/jobs/{job_id}"
        ),
        ("/library/<id:asset_id>/versions/<id:version_id>/zones", "GET"): lambda: client.get(
            f"/library/{asset.id}/versions/{version.id}/zones"
        ),
        ("/library/<id:asset_id>/versions/<id:version_id>/zones", "POST"): lambda: client.post(
            f"/library/{asset.id}/versions/{version.id}/zones",
            json={"zones": []},
            headers={"X-CSRF-Token": token(client)},
        ),
        ("/library/<id:asset_id>/versions/<id:version_id>/zones/fit", "POST"): lambda: client.post(
            f"/library/{asset.id}/versions/{version.id}/zones/fit",
            json={"zones": [{"kind": "text", "box": [0, 0, 0.5, 0.1], "text": "x"}]},
            headers={"X-CSRF-Token": token(client)},
        ),
        (
            "/library/<id:asset_id>/versions/<id:version_id>/zones/preview",
            "POST",
        ): lambda: client.post(
            f"/library/{asset.id}/versions/{version.id}/zones/preview",
            json={"zones": [], "partner_id": acme.id},
            headers={"X-CSRF-Token": token(client)},
        ),
        ("/library/<id:asset_id>/partner-footer", "POST"): lambda: post_form(
            client, f"/library/{asset.id}/partner-footer"
        ),
        ("/partners/<id:partner_id>/brand-kit", "GET"): lambda: client.get(
            f"/partners/{acme.id}/brand-kit"
        ),
        ("/partners/<id:partner_id>/brand-kit", "POST"): lambda: post_form(
            client, f"/partners/{acme.id}/brand-kit", {"contact_phone": "+1 555"}
        ),
        (
            "/partners/<id:partner_id>/brand-kit/logos/<any(light, dark):variant>",
            "POST",
        ): lambda: client.post(
            f"/partners/{acme.id}/brand-kit/logos/light",
            data={"logo": (io.BytesIO(png()), "l.png"), "csrf_token": token(client)},
            content_type="multipart/form-data",
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
            assert "Acme Reseller" not in body and asset.name not in body, key
        assert snapshot(session) == before
    # Logo removal (same route, remove=1) is refused as well.
    r = post_form(client, f"/partners/{acme.id}/brand-kit/logos/light", {"remove": "1"})
    assert r.status_code == 404
    session.expire_all()
    assert session.scalar(select(BrandKit).where(BrandKit.partner_id == acme.id)).logo_key


def test_own_partner_reaches_its_pages(app, client, sign_in_as, session, world):
    """The same calls on the own tenant work: the 404s above are about tenancy."""
    asset, _ = make_asset(
        session, app, world["marketing"], publish=True, audience_tier_ids=[world["gold"].id]
    )
    sign_in_as(world["acme_admin"])
    assert client.get(f"/library/{asset.id}").status_code == 200
    assert client.get(f"/partners/{world['acme'].id}/brand-kit").status_code == 200


# -- CSRF and CSP -----------------------------------------------------------------------------


def test_every_post_route_refuses_a_missing_csrf_token(app, client, sign_in_as, session, world):
    asset, version = make_asset(session, app, world["marketing"])
    sign_in_as(world["marketing"])
    paths = {
        "portal_library.asset_new": "/library/new",
        "portal_library.asset_update": f"/library/{asset.id}",
        "portal_library.version_upload": f"/library/{asset.id}/versions",
        "portal_library.asset_publish": f"/library/{asset.id}/publish",
        "portal_library.asset_unpublish": f"/library/{asset.id}/unpublish",
        "portal_library.batch_start": f"/library/{asset.id}/batches",
        "portal_library.zones_save": f"/library/{asset.id}/versions/{version.id}/zones",
        "portal_library.zones_fit": f"/library/{asset.id}/versions/{version.id}/zones/fit",
        "portal_library.zones_preview": f"/library/{asset.id}/versions/{version.id}/zones/preview",
        "portal_library.partner_footer": f"/library/{asset.id}/partner-footer",
        "portal_library.brand_kit_update": f"/partners/{world['acme'].id}/brand-kit",
        "portal_library.brand_logo_upload": f"/partners/{world['acme'].id}/brand-kit/logos/light",
    }
    posts = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("portal_library.") and "POST" in rule.methods
    }
    assert posts == set(paths)
    before = snapshot(session)
    for endpoint, path in paths.items():
        assert client.post(path, data={"name": "x"}).status_code == 400, endpoint
        r = client.post(path, data={"csrf_token": "forged"})
        assert r.status_code == 400, endpoint
    r = client.post(paths["portal_library.zones_save"], json={"zones": []})
    assert r.status_code == 400
    assert snapshot(session) == before


def test_library_pages_have_no_inline_script_or_style(app, client, sign_in_as, session, world):
    pdf, pdf_v = make_asset(session, app, world["marketing"], publish=True)
    social, social_v = make_asset(session, app, world["marketing"], "social", publish=True)
    give_logo(session, app, world["acme"])
    sign_in_as(world["marketing"])
    vendor_pages = [
        "/library",
        "/library?q=zzz",
        "/library/new",
        f"/library/{pdf.id}",
        f"/library/{social.id}",
        f"/library/{pdf.id}/versions/{pdf_v.id}/zones",
        f"/library/{social.id}/versions/{social_v.id}/zones",
        f"/partners/{world['acme'].id}/brand-kit",
    ]
    for path in vendor_pages:
        r = client.get(path)
        assert r.status_code == 200, path
        no_inline_code(text_of(r))
    sign_in_as(world["acme_admin"])
    for path in ("/library", f"/library/{pdf.id}", f"/partners/{world['acme'].id}/brand-kit"):
        r = client.get(path)
        assert r.status_code == 200, path
        no_inline_code(text_of(r))
    for ref in ("/static/css/library.css", "/static/js/library.js", "/static/js/zone-editor.js"):
        r = client.get(ref)
        assert r.status_code == 200 and not re.search(r"https?://", r.get_data(as_text=True))
        r.close()


@pytest.mark.parametrize("path", ["/library/99999999999", "/library/0", "/library/abc"])
def test_bad_ids_are_404_pages(client, sign_in_as, world, path):
    sign_in_as(world["marketing"])
    assert client.get(path).status_code == 404


def test_partner_type_and_region_audience(app, client, sign_in_as, session, world):
    asset, _ = make_asset(
        session,
        app,
        world["marketing"],
        publish=True,
        name="APAC MSP kit",
        audience_regions=["APAC"],
        audience_partner_types=[PartnerType.RESELLER.value],
    )
    sign_in_as(world["acme_admin"])  # EMEA
    assert "APAC MSP kit" not in text_of(client.get("/library"))
    sign_in_as(world["other_admin"])  # APAC reseller
    assert "APAC MSP kit" in text_of(client.get("/library"))
    assert client.get(f"/library/{asset.id}").status_code == 200
