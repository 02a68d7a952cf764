"""A vendor's PDF with scripts: cleaned at upload (the uploader is told), never in a download."""

from __future__ import annotations

import io

import pypdf
import pytest

from app.storage import storage
from prm_domain.enums import Role
from prm_domain.models import AssetVersion
from tests.app.test_portal import (  # noqa: F401 - fast_argon2 and password_hash are fixtures
    fast_argon2,
    password_hash,
    text_of,
    token,
)
from tests.asset_engine.test_engine_pdf_active import MARK, active_pdf
from tests.library_fixtures import brochure, png

ZONES = [{"kind": "text", "box": [0.05, 0.9, 0.6, 0.05], "text": "{{ partner }}"}]


def _assert_inert(data: bytes) -> None:
    assert MARK.encode() not in data
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert "/OpenAction" not in reader.trailer["/Root"]
    assert "/JavaScript" not in reader.trailer["/Root"].get("/Names", {})
    assert all("/AA" not in page for page in reader.pages)


@pytest.fixture
def world(make_user, make_partner, make_tier, api_as):
    tier = make_tier()
    partner = make_partner(tier=tier, name="Acme Reseller")
    vendor_user = make_user(Role.MARKETING_MANAGER)
    vendor = api_as(vendor_user)
    partner_api = api_as(make_user(Role.PARTNER_ADMIN, partner=partner))
    r = partner_api.request(
        "PUT", f"/api/v1/partners/{partner.id}/brand-kit/logos/light", data=png()
    )
    assert r.status_code == 200, r.json
    r = vendor.post("/api/v1/assets", {"kind": "pdf", "name": "Brochure"})
    assert r.status_code == 201, r.json
    return vendor, vendor_user, partner_api, r.json["id"]


def test_upload_is_stored_without_active_content_and_the_uploader_is_told(app, session, world):
    vendor, _, partner_api, asset_id = world
    r = vendor.post(
        f"/api/v1/assets/{asset_id}/versions?filename=evil.pdf",
        data=active_pdf(),
        headers={"Content-Type": "application/pdf"},
    )
    assert r.status_code == 201, r.json
    assert "JavaScript" in r.json["removed_content"]
    assert "actions that launch programs or open files" in r.json["removed_content"]
    version = session.get(AssetVersion, r.json["id"])
    with app.app_context():
        stored = storage().get(version.template_key)
    _assert_inert(stored)
    assert version.size == len(stored)

    r = vendor.request(
        "PUT", f"/api/v1/assets/{asset_id}/versions/{version.id}/zones", {"zones": ZONES}
    )
    assert r.status_code == 200, r.json
    assert vendor.post(f"/api/v1/assets/{asset_id}/publish", {}).status_code == 200
    download = partner_api.get(f"/api/v1/assets/{asset_id}/render?format=pdf&download=true")
    assert download.status_code == 200
    _assert_inert(download.data)
    assert "Acme Reseller" in pypdf.PdfReader(io.BytesIO(download.data)).pages[0].extract_text()
    # A clean file is stored as uploaded, and says nothing was removed.
    clean = vendor.post(
        f"/api/v1/assets/{asset_id}/versions?filename=clean.pdf",
        data=brochure(),
        headers={"Content-Type": "application/pdf"},
    )
    assert clean.status_code == 201 and clean.json["removed_content"] == []


def test_a_template_stored_before_cleaning_existed_still_renders_clean(app, session, world):
    """Templates uploaded before uploads were cleaned are cleaned again at every render."""
    vendor, _, partner_api, asset_id = world
    r = vendor.post(
        f"/api/v1/assets/{asset_id}/versions?filename=ok.pdf",
        data=active_pdf(),
        headers={"Content-Type": "application/pdf"},
    )
    version = session.get(AssetVersion, r.json["id"])
    with app.app_context():
        version.template_key = storage().put(active_pdf())  # as an old upload was kept
    version.removed_content = None  # what the migration leaves on versions from before
    session.commit()
    vendor.request(
        "PUT", f"/api/v1/assets/{asset_id}/versions/{version.id}/zones", {"zones": ZONES}
    )
    vendor.post(f"/api/v1/assets/{asset_id}/publish", {})
    download = partner_api.get(f"/api/v1/assets/{asset_id}/render?format=pdf&download=true")
    assert download.status_code == 200
    _assert_inert(download.data)


def test_portal_upload_says_what_was_removed(client, sign_in_as, world):
    _, vendor_user, _, asset_id = world
    sign_in_as(vendor_user)
    r = client.post(
        f"/library/{asset_id}/versions",
        data={"file": (io.BytesIO(active_pdf()), "evil.pdf"), "csrf_token": token(client)},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    page = text_of(client.get(r.headers["Location"]))
    assert "Active content was removed from the PDF" in page and "JavaScript" in page
