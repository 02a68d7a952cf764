"""What the library tells a vendor before partners get an asset (issue 13), through the portal
and the API: brand fields of emails and the partner footer, the reach of a publish, the audience
on cards, sample partners outside the audience, and the zone editor's text-size check."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from prm_domain import asset_checks, audience, brandkits
from prm_domain.enums import PartnerStatus, Role
from prm_domain.errors import NotFound, PermissionDenied, ValidationError
from tests.app import test_portal_library as library_tests
from tests.app.test_portal import (  # noqa: F401 - fast_argon2 and password_hash are fixtures
    fast_argon2,
    password_hash,
    post_form,
    text_of,
    token,
)
from tests.app.test_portal_library import give_logo, make_asset, store

world = library_tests.world  # the library tests' partners, tiers and users

PLAIN_EMAIL = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Nimbus Cloud 5.0 is here.</mj-text>
</mj-column></mj-section></mj-body></mjml>"""


def words(html: str) -> str:
    """The page's text, tags dropped and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def flashes(client: Any) -> str:
    with client.session_transaction() as s:
        return " ".join(m for _, m in s.get("_flashes", []))


# -- the domain -------------------------------------------------------------------------------


def test_audience_in_words_and_reach_count_active_partners_only(session, make_partner, world, app):
    gold, silver = world["gold"], world["silver"]
    make_partner(name="Gold Two", tier=gold)
    make_partner(name="Gold Suspended", tier=gold, status=PartnerStatus.SUSPENDED)
    make_partner(name="Gold Prospect", tier=gold, status=PartnerStatus.PROSPECT)
    asset, _ = make_asset(session, app, world["marketing"], audience_tier_ids=[gold.id])
    assert audience.describe(session, asset) == "Gold only"
    assert audience.reach(session, asset) == 2  # Acme Reseller and Gold Two
    assert audience.why_not(session, asset, world["acme"]) is None
    assert audience.why_not(session, asset, world["other"]) == "tier Silver"
    asset.audience_tier_ids = [gold.id, silver.id]
    asset.audience_regions = ["EMEA"]
    # Highest tier first (the factory happens to rank Silver above Gold).
    assert audience.describe(session, asset) == f"{silver.name}, {gold.name} · EMEA"
    assert audience.why_not(session, asset, world["other"]) == "region APAC"
    everyone, _ = make_asset(session, app, world["marketing"], name="Everyone")
    assert audience.describe(session, everyone) == "All partners"
    reach = asset_checks.reach_of(session, everyone)
    assert reach.partners == 3 and reach.sentence() == "3 partners: All partners"


def test_brand_fields_of_an_email_and_the_partner_footer(session, app, world):
    marketing = world["marketing"]
    plain, version = make_asset(session, app, marketing, "email", PLAIN_EMAIL.encode())
    with app.app_context():
        assert asset_checks.brand_fields_of(store(app), version) == []
        footed = asset_checks.add_partner_footer(session, marketing, store(app), plain.id)
        assert footed.number == 2 and footed.filename.endswith("+ partner footer.mjml")
        assert asset_checks.has_partner_footer(store(app), footed)
        assert not asset_checks.has_partner_footer(store(app), version)
        # Twice would print the partner's details twice: refused, and no third version.
        with pytest.raises(ValidationError, match="already has the standard partner footer"):
            asset_checks.add_partner_footer(session, marketing, store(app), plain.id)
        assert plain.latest_version.number == 2
        assert set(asset_checks.brand_fields_of(store(app), footed)) == {
            "brand.logo_url",
            "partner_name",
            "contact.name",
            "contact.title",
            "contact.phone",
            "contact.email",
            "contact.website",
            "contact.address",
        }
        assert (
            asset_checks.email_brand_fields(session, marketing, store(app), plain.id, version.id)
            == []
        )
        pdf, _ = make_asset(session, app, marketing)
        with pytest.raises(ValidationError):
            asset_checks.add_partner_footer(session, marketing, store(app), pdf.id)
        with pytest.raises(PermissionDenied):
            asset_checks.add_partner_footer(session, world["acme_admin"], store(app), plain.id)


def test_zone_text_check_reports_the_sample_and_the_smallest_in_the_audience(
    session, app, world, make_partner
):
    marketing, acme = world["marketing"], world["acme"]
    wordy = make_partner(name="Wordy Gold Partner", tier=world["gold"])
    kit = brandkits.kit_for(session, wordy.id)
    kit.contact_address = "Unit 4, Harbour Business Park, 221 Long Quay Road, " * 3
    session.add(kit)
    session.flush()
    asset, version = make_asset(session, app, marketing, audience_tier_ids=[world["gold"].id])
    zones = [
        {"kind": "logo", "box": [0.1, 0.1, 0.2, 0.1]},
        {"kind": "text", "box": [0.1, 0.5, 0.4, 0.02], "text": "{{ contact.address }}"},
    ]
    [fit] = asset_checks.check_zone_text(session, marketing, asset.id, version.id, zones, acme.id)
    assert fit["index"] == 1 and fit["partner"] == "Acme Reseller" and fit["unit"] == "pt"
    assert fit["checked"] == 2 and fit["below"] == 1
    assert fit["smallest"]["partner"] == "Wordy Gold Partner"
    with pytest.raises(ValidationError) as bad:
        asset_checks.check_zone_text(
            session, marketing, asset.id, version.id, [{"kind": "text", "box": [0, 0, 2, 1]}], None
        )
    assert "zones.0" in bad.value.fields
    with pytest.raises(PermissionDenied):
        asset_checks.check_zone_text(
            session, world["acme_admin"], asset.id, version.id, zones, acme.id
        )
    with pytest.raises(NotFound):
        asset_checks.check_zone_text(session, marketing, asset.id, version.id, zones, 999_999)


# -- the portal and the API -------------------------------------------------------------------


def test_publishing_says_how_many_partners_it_reaches(
    client, sign_in_as, session, app, world, api_as
):
    asset, _ = make_asset(session, app, world["marketing"], audience_tier_ids=[world["gold"].id])
    sign_in_as(world["marketing"])
    page = text_of(client.get(f"/library/{asset.id}"))
    assert "Would reach 1 partner: Gold only" in " ".join(page.split())
    r = post_form(client, f"/library/{asset.id}/publish")
    assert r.status_code == 302
    assert "is published to 1 partner: Gold only." in flashes(client)
    # The API answers the same numbers.
    api = api_as(world["marketing"])
    body = api.post(f"/api/v1/assets/{asset.id}/publish", {}).json
    assert body["reach"] == 1 and body["audience"] == "Gold only"
    nobody, _ = make_asset(
        session, app, world["marketing"], audience_regions=["LATAM"], name="LATAM only"
    )
    post_form(client, f"/library/{nobody.id}/publish")
    assert "published to 0 partners: LATAM only. No active partner is in its audience" in (
        flashes(client)
    )


def test_uploading_an_email_says_how_many_brand_fields_it_uses(
    client, sign_in_as, session, app, world
):
    give_logo(session, app, world["acme"])  # a sample partner for the preview
    sign_in_as(world["marketing"])
    new_page = text_of(client.get("/library/new"))
    assert "{{ contact.phone }}" in new_page and "Standard partner footer block" in new_page

    def upload(source: str, name: str) -> Any:
        return client.post(
            "/library/new",
            data={
                "kind": "email",
                "name": name,
                "file": (io.BytesIO(source.encode()), "mail.mjml"),
                "csrf_token": token(client),
            },
            content_type="multipart/form-data",
        )

    r = upload(PLAIN_EMAIL, "Plain mail")
    assert r.status_code == 302
    assert "It uses no brand fields" in flashes(client)
    asset_url = r.headers["Location"]
    page = text_of(client.get(asset_url))
    assert 'data-brand-fields="0"' in page and "Add the standard partner footer" in page
    assert post_form(client, asset_url + "/publish").status_code == 302  # v1 goes live
    r = post_form(client, asset_url + "/partner-footer")
    assert r.status_code == 302 and "adds the partner footer" in flashes(client)
    page = text_of(client.get(asset_url))
    assert 'data-brand-fields="8"' in page
    # The preview beside the report shows the version the report is about (v2), not live v1.
    assert "Version 2 (not published)." in words(page)
    # The footer is not offered twice, and asking anyway is refused with a clear message.
    assert "Add the standard partner footer</button>" not in page
    assert "Version 2 has the standard partner footer" in words(page)
    r = post_form(client, asset_url + "/partner-footer")
    assert r.status_code == 422
    assert "Version 2 already has the standard partner footer." in words(text_of(r))
    from tests.library_fixtures import NEWSLETTER

    upload(NEWSLETTER, "Branded mail")
    assert "It uses 2 brand fields: partner_name, contact.phone." in flashes(client)


def test_cards_show_the_audience_and_samples_outside_it_are_marked(
    client, sign_in_as, session, app, world
):
    gold = world["gold"]
    asset, _ = make_asset(
        session, app, world["marketing"], publish=True, audience_tier_ids=[gold.id], name="Gold kit"
    )
    give_logo(session, app, world["acme"])
    give_logo(session, app, world["other"])
    sign_in_as(world["marketing"])
    assert "Gold only" in text_of(client.get("/library"))
    page = text_of(client.get(f"/library/{asset.id}"))
    assert '<optgroup label="In the audience">' in page
    assert "Other Org GmbH (not in audience: tier Silver)" in page
    assert page.index("In the audience") < page.index("Outside the audience")
    outside = text_of(client.get(f"/library/{asset.id}?partner_id={world['other'].id}"))
    assert "Other Org GmbH is outside this asset" in outside
    sign_in_as(world["acme_admin"])
    assert "Gold only" in text_of(client.get("/library"))


def test_the_fit_endpoint_answers_json_and_changes_nothing(client, sign_in_as, session, app, world):
    asset, version = make_asset(session, app, world["marketing"], publish=True)
    sign_in_as(world["marketing"])
    url = f"/library/{asset.id}/versions/{version.id}/zones/fit"
    zones = [{"kind": "text", "box": [0.1, 0.1, 0.3, 0.005], "text": "{{ partner_name }}"}]
    r = client.post(
        url,
        json={"zones": zones, "partner_id": world["acme"].id},
        headers={"X-CSRF-Token": token(client)},
    )
    assert r.status_code == 200
    [fit] = r.json["zones"]
    assert fit["readable"] is False and fit["size"] < 7 and fit["partner"] == "Acme Reseller"
    r = client.post(url, json={"zones": "nope"}, headers={"X-CSRF-Token": token(client)})
    assert r.status_code == 422 and "zones" in r.json["error"]["fields"]
    assert client.post(url, json={"zones": zones}).status_code == 400  # no CSRF token
    session.expire_all()
    assert version.zones == []
    for user in (world["acme_admin"], world["channel"]):
        sign_in_as(user)
        r = client.post(url, json={"zones": zones}, headers={"X-CSRF-Token": token(client)})
        assert r.status_code in (403, 404)


def test_the_zone_editor_says_whether_saving_goes_live(client, sign_in_as, session, app, world):
    live, live_v = make_asset(
        session, app, world["marketing"], publish=True, audience_tier_ids=[world["gold"].id]
    )
    sign_in_as(world["marketing"])
    page = words(text_of(client.get(f"/library/{live.id}/versions/{live_v.id}/zones")))
    assert "Live: partners get changes when you save" in page
    assert "it reaches 1 partner (Gold only)" in page
    assert "downloaded" not in page
    r = client.post(
        f"/library/{live.id}/versions/{live_v.id}/zones",
        json={"zones": []},
        headers={"X-CSRF-Token": token(client)},
    )
    assert r.json["live"] is True and r.json["reach"] == 1 and r.json["audience"] == "Gold only"
    draft, draft_v = make_asset(session, app, world["marketing"], name="Draft one")
    page = words(text_of(client.get(f"/library/{draft.id}/versions/{draft_v.id}/zones")))
    assert "Draft: partners do not see version 1" in page and "Live:" not in page
    assert Role.MARKETING_MANAGER  # the editor is the marketing manager's


def test_emails_show_the_partner_logo_from_its_public_short_link(
    client, sign_in_as, session, app, world
):
    from sqlalchemy import select

    from prm_domain.models import TrackedLink
    from tests.library_fixtures import png

    marketing, acme = world["marketing"], world["acme"]
    asset, _ = make_asset(session, app, marketing, "email", PLAIN_EMAIL.encode(), publish=True)
    with app.app_context():
        footed = asset_checks.add_partner_footer(session, marketing, store(app), asset.id)
        session.commit()
        brandkits.set_logo(
            session, world["acme_admin"], store(app), acme.id, "light", png(300, 100)
        )
        session.commit()
    sign_in_as(marketing)
    html = text_of(
        client.get(
            f"/api/v1/assets/{asset.id}/render?format=html&partner_id={acme.id}"
            f"&version_id={footed.id}"
        )
    )
    [logo_url] = re.findall(r'src="(http[^"]*/logo)"', html)
    code = logo_url.rsplit("/", 2)[1]
    anonymous = app.test_client()  # a mail client: no session
    r = anonymous.get(f"/r/{code}/logo")
    assert r.status_code == 200 and r.mimetype == "image/png"
    session.expire_all()
    kit = brandkits.kit_for(session, acme.id)
    assert r.data == store(app).get(kit.logo_key)
    link = session.scalar(select(TrackedLink).where(TrackedLink.code == code))
    assert link.clicks == 0  # loading the logo is not a click
    assert anonymous.get("/r/zzzzzzzz/logo").status_code == 404
    assert anonymous.get("/r/bad!code/logo").status_code == 404


def test_the_api_says_brand_fields_at_upload_and_publish(session, world, api_as):
    api = api_as(world["marketing"])
    asset_id = api.post("/api/v1/assets", {"kind": "email", "name": "API mail"}).json["id"]
    r = api.post(f"/api/v1/assets/{asset_id}/versions", data=PLAIN_EMAIL.encode())
    assert r.status_code == 201 and r.json["brand_fields"] == []
    body = api.post(f"/api/v1/assets/{asset_id}/publish", {}).json
    assert body["brand_fields"] == [] and body["reach"] == 2 and body["audience"] == "All partners"
    pdf_id = api.post("/api/v1/assets", {"kind": "pdf", "name": "API pdf"}).json["id"]
    from tests.library_fixtures import brochure

    r = api.post(f"/api/v1/assets/{pdf_id}/versions", data=brochure())
    assert r.status_code == 201 and r.json["brand_fields"] is None


def test_the_live_preview_renders_unsaved_zones_and_stores_nothing(
    client, sign_in_as, session, app, world
):
    from PIL import Image
    from sqlalchemy import func, select

    from prm_domain.models import RenderedFile, TrackedLink

    asset, version = make_asset(
        session, app, world["marketing"], publish=True, landing_url="https://nimbus.example/x"
    )
    give_logo(session, app, world["acme"])
    sign_in_as(world["marketing"])
    url = f"/library/{asset.id}/versions/{version.id}/zones/preview"
    headers = {"X-CSRF-Token": token(client)}

    def preview(zones: list[Any], **extra: Any) -> Any:
        body = {"zones": zones, "partner_id": world["acme"].id, **extra}
        return client.post(url, json=body, headers=headers)

    def reddish(r: Any) -> int:
        r_, g_, b_ = Image.open(io.BytesIO(r.data)).convert("RGB").split()
        mask = Image.merge(
            "RGB",
            (
                r_.point(lambda v: 255 if v > 200 else 0),
                g_.point(lambda v: 255 if v < 60 else 0),
                b_.point(lambda v: 255 if v < 90 else 0),
            ),
        ).convert("L")
        return mask.point(lambda v: 255 if v == 255 else 0).histogram()[255]

    empty = preview([])
    assert empty.status_code == 200 and empty.mimetype == "image/png"
    assert empty.headers["Cache-Control"] == "no-store"
    logo = preview([{"kind": "logo", "box": [0.1, 0.1, 0.5, 0.2]}])
    assert reddish(logo) > 1000 > reddish(empty)  # the partner's (crimson) logo is drawn
    qr = preview([{"kind": "qr", "box": [0.1, 0.1, 0.2, 0.15]}], page=2)
    assert qr.status_code == 200
    assert preview([], page=3).status_code == 422
    assert preview([{"kind": "nope", "box": [0, 0, 1, 1]}]).status_code == 422
    assert client.post(url, json={"zones": []}, headers=headers).status_code == 422
    session.expire_all()
    assert version.zones == []
    assert session.scalar(select(func.count()).select_from(RenderedFile)) == 0
    assert session.scalar(select(func.count()).select_from(TrackedLink)) == 0
