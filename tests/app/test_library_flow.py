"""The asset library end to end through the API: upload, zones, publish, brand, render, track."""

from __future__ import annotations

import io
import zipfile

import pypdf
import pytest

from prm_domain.enums import Role
from tests.library_fixtures import NEWSLETTER, brochure, png


@pytest.fixture
def setup(make_user, make_partner, make_tier, api_as):
    tier = make_tier()
    partner = make_partner(tier=tier, name="Acme Reseller")
    other = make_partner(tier=make_tier(), name="Other Partner")
    vendor = api_as(make_user(Role.MARKETING_MANAGER))
    partner_api = api_as(make_user(Role.PARTNER_ADMIN, partner=partner))
    other_api = api_as(make_user(Role.PARTNER_ADMIN, partner=other))
    return vendor, partner_api, other_api, partner, other, tier


def _pdf_asset(vendor, **audience):
    r = vendor.post(
        "/api/v1/assets",
        {
            "kind": "pdf",
            "name": "Cloud brochure",
            "category": "Brochures",
            "landing_url": "https://nimbus.example/cloud?ref=x",
            **audience,
        },
    )
    assert r.status_code == 201, r.json
    asset_id = r.json["id"]
    r = vendor.post(
        f"/api/v1/assets/{asset_id}/versions?filename=brochure.pdf",
        data=brochure(),
        headers={"Content-Type": "application/pdf"},
    )
    assert r.status_code == 201, r.json
    version = r.json
    assert len(version["pages"]) == 2
    zones = [
        {"kind": "logo", "box": [0.7, 0.02, 0.25, 0.08]},
        {"kind": "text", "box": [0.05, 0.9, 0.6, 0.05], "text": "{{ contact.phone }}"},
        {"kind": "qr", "box": [0.85, 0.85, 0.1, 0.1], "pages": "last"},
    ]
    r = vendor.request(
        "PUT", f"/api/v1/assets/{asset_id}/versions/{version['id']}/zones", {"zones": zones}
    )
    assert r.status_code == 200, r.json
    return asset_id, version["id"]


def test_pdf_from_upload_to_partner_download(setup, session):
    vendor, partner_api, other_api, partner, _other, tier = setup
    asset_id, _ = _pdf_asset(vendor, audience_tier_ids=[tier.id])

    # Draft: partners do not see it yet.
    assert partner_api.get("/api/v1/assets").json["total"] == 0
    assert vendor.post(f"/api/v1/assets/{asset_id}/publish", {}).status_code == 200

    # The partner in the audience sees it; the other (another tier) does not, not even by id.
    assert [a["id"] for a in partner_api.get("/api/v1/assets").json["items"]] == [asset_id]
    assert other_api.get("/api/v1/assets").json["total"] == 0
    assert other_api.get(f"/api/v1/assets/{asset_id}").status_code == 404

    # Without a logo there is nothing to brand with: a clear 422.
    r = partner_api.get(f"/api/v1/assets/{asset_id}/render?format=pdf")
    assert r.status_code == 422 and "logo" in r.json["error"]["message"]

    r = partner_api.request(
        "PUT", f"/api/v1/partners/{partner.id}/brand-kit/logos/light", data=png()
    )
    assert r.status_code == 200, r.json
    assert (
        partner_api.patch(
            f"/api/v1/partners/{partner.id}/brand-kit", {"contact_phone": "+49 30 1234567"}
        ).status_code
        == 200
    )

    r = partner_api.get(f"/api/v1/assets/{asset_id}/render?format=pdf&download=true")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert "attachment" in r.headers["Content-Disposition"]
    text = pypdf.PdfReader(io.BytesIO(r.data)).pages[0].extract_text()
    assert "+49 30 1234567" in text
    again = partner_api.get(f"/api/v1/assets/{asset_id}/render?format=pdf&download=true")
    assert again.data == r.data  # from the cache

    # The same person again within minutes is one download (tests/app/test_public_counts.py).
    counts = vendor.get(f"/api/v1/assets/{asset_id}/downloads").json
    assert counts["items"] == [
        {"partner_id": partner.id, "partner_name": "Acme Reseller", "downloads": 1}
    ]

    # A changed brand is never served from a stale cache.
    partner_api.patch(
        f"/api/v1/partners/{partner.id}/brand-kit", {"contact_phone": "+49 30 7654321"}
    )
    fresh = partner_api.get(f"/api/v1/assets/{asset_id}/render?format=pdf")
    assert "+49 30 7654321" in pypdf.PdfReader(io.BytesIO(fresh.data)).pages[0].extract_text()

    # The tracked link counts clicks and carries the partner's attribution.
    link = partner_api.get(f"/api/v1/assets/{asset_id}/link").json
    click = partner_api.client.get(f"/r/{link['code']}")
    assert click.status_code == 302
    assert click.headers["Location"].startswith(
        "https://nimbus.example/cloud?ref=x&utm_source=acme-reseller"
    )
    assert partner_api.get(f"/api/v1/assets/{asset_id}/link").json["clicks"] == 1
    assert partner_api.client.get("/r/doesnotexist").status_code == 404


def test_batch_job_renders_every_partner_of_the_segment(setup, session):
    vendor, partner_api, _, partner, other, tier = setup
    asset_id, _ = _pdf_asset(vendor)
    vendor.post(f"/api/v1/assets/{asset_id}/publish", {})
    partner_api.request("PUT", f"/api/v1/partners/{partner.id}/brand-kit/logos/light", data=png())
    r = vendor.post(
        f"/api/v1/assets/{asset_id}/batches",
        {"format": "pdf", "segment": {"tier_ids": [tier.id, other.tier_id]}},
    )
    assert r.status_code == 202, r.json
    job = vendor.get(f"/api/v1/jobs/{r.json['id']}").json
    assert job["status"] == "done" and job["total"] == 2 and job["done"] == 2
    assert [f["partner_id"] for f in job["failures"]] == [other.id]  # no logo yet
    z = zipfile.ZipFile(io.BytesIO(vendor.get(job["download_url"]).data))
    assert z.namelist() == ["cloud-brochure-acme-reseller.pdf"]
    assert partner_api.get(f"/api/v1/jobs/{job['id']}").status_code == 404


def test_email_and_social(setup):
    vendor, partner_api, _, partner, _, _ = setup
    partner_api.request("PUT", f"/api/v1/partners/{partner.id}/brand-kit/logos/light", data=png())
    r = vendor.post("/api/v1/assets", {"kind": "email", "name": "Newsletter"})
    email_id = r.json["id"]
    assert (
        vendor.post(f"/api/v1/assets/{email_id}/versions", data=NEWSLETTER.encode()).status_code
        == 201
    )
    vendor.post(f"/api/v1/assets/{email_id}/publish", {})
    html = partner_api.get(f"/api/v1/assets/{email_id}/render?format=html")
    assert html.status_code == 200 and "Hello from Acme Reseller" in html.get_data(as_text=True)
    eml = partner_api.get(f"/api/v1/assets/{email_id}/render?format=eml&download=true")
    assert eml.mimetype == "message/rfc822" and b"Subject: Newsletter" in eml.data

    r = vendor.post("/api/v1/assets", {"kind": "social", "name": "Launch post"})
    social_id = r.json["id"]
    assert (
        vendor.post(
            f"/api/v1/assets/{social_id}/versions", data=png(1200, 627, (10, 10, 80))
        ).status_code
        == 201
    )
    v = vendor.get(f"/api/v1/assets/{social_id}").json["versions"][0]
    assert v["pages"] == [[1200.0, 627.0, 0]]
    vendor.request(
        "PUT",
        f"/api/v1/assets/{social_id}/versions/{v['id']}/zones",
        {"zones": [{"kind": "logo", "box": [0.05, 0.05, 0.3, 0.2]}]},
    )
    vendor.post(f"/api/v1/assets/{social_id}/publish", {})
    jpeg = partner_api.get(f"/api/v1/assets/{social_id}/render?format=jpeg")
    assert jpeg.status_code == 200 and jpeg.data[:3] == b"\xff\xd8\xff"


def test_one_download_counts_once_whatever_the_format(setup, session):
    """html, eml and txt of the same email within the repeat window are one download: the
    format is how the person takes the file, not another download."""
    from sqlalchemy import func, select

    from prm_domain.models import AssetDownload

    vendor, partner_api, _, partner, _, _ = setup
    partner_api.request("PUT", f"/api/v1/partners/{partner.id}/brand-kit/logos/light", data=png())
    email_id = vendor.post("/api/v1/assets", {"kind": "email", "name": "Newsletter"}).json["id"]
    r = vendor.post(f"/api/v1/assets/{email_id}/versions", data=NEWSLETTER.encode())
    assert r.status_code == 201, r.json
    vendor.post(f"/api/v1/assets/{email_id}/publish", {})
    for fmt in ("html", "eml", "txt", "eml"):
        r = partner_api.get(f"/api/v1/assets/{email_id}/render?format={fmt}&download=true")
        assert r.status_code == 200, (fmt, r.json)
    count = select(func.count()).select_from(AssetDownload)
    assert session.scalar(count.where(AssetDownload.asset_id == email_id)) == 1


def test_uploads_are_checked_by_content(setup):
    vendor, *_ = setup
    asset_id = vendor.post("/api/v1/assets", {"kind": "pdf", "name": "X"}).json["id"]
    r = vendor.post(f"/api/v1/assets/{asset_id}/versions?filename=fake.pdf", data=png())
    assert r.status_code == 422 and "file" in r.json["error"]["fields"]
    r = vendor.post(f"/api/v1/assets/{asset_id}/versions?filename=x.pdf", data=b"")
    assert r.status_code == 422
    assert vendor.get(f"/api/v1/assets/{asset_id}").json["versions"] == []


def test_email_preview_is_frameable_by_us_and_sandboxed(setup):
    vendor, partner_api, _, partner, _, _ = setup
    partner_api.request("PUT", f"/api/v1/partners/{partner.id}/brand-kit/logos/light", data=png())
    email_id = vendor.post("/api/v1/assets", {"kind": "email", "name": "N"}).json["id"]
    vendor.post(f"/api/v1/assets/{email_id}/versions", data=NEWSLETTER.encode())
    vendor.post(f"/api/v1/assets/{email_id}/publish", {})
    r = partner_api.get(f"/api/v1/assets/{email_id}/render?format=html")
    csp = r.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "frame-ancestors 'self'" in csp and "script-src" not in csp
    assert r.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_text_zones_can_wrap(setup):
    vendor, *_ = setup
    asset_id, version_id = _pdf_asset(vendor)
    zones = [
        {"kind": "text", "box": [0.1, 0.1, 0.3, 0.2], "text": "{{ partner_name }}", "wrap": True}
    ]
    r = vendor.request(
        "PUT", f"/api/v1/assets/{asset_id}/versions/{version_id}/zones", {"zones": zones}
    )
    assert r.status_code == 200 and r.json["zones"][0]["wrap"] is True


def test_cross_site_cookie_downloads_are_served_but_not_counted(
    setup, make_user, sign_in_as, session
):
    from sqlalchemy import func, select

    from prm_domain.models import AssetDownload

    vendor, partner_api, _, partner, _, _ = setup
    asset_id, _ = _pdf_asset(vendor)
    vendor.post(f"/api/v1/assets/{asset_id}/publish", {})
    partner_api.request("PUT", f"/api/v1/partners/{partner.id}/brand-kit/logos/light", data=png())
    browser = sign_in_as(make_user(Role.PARTNER_USER, partner=partner))
    url = f"/api/v1/assets/{asset_id}/render?format=pdf&download=true"
    r = browser.get(url, headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert session.scalar(select(func.count()).select_from(AssetDownload)) == 0
    assert browser.get(url, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert session.scalar(select(func.count()).select_from(AssetDownload)) == 1
