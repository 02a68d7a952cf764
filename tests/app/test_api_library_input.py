"""Bad and hostile input on every library write: a clear 4xx naming the problem, nothing stored."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from sqlalchemy import func, select

from prm_domain.enums import Role
from prm_domain.models import Asset, AssetVersion, AuditEvent, BrandKit, RenderJob
from tests.library_fixtures import brochure, png


def _counts(session):
    return {
        m.__tablename__: session.scalar(select(func.count()).select_from(m))
        for m in (Asset, AssetVersion, BrandKit, RenderJob, AuditEvent)
    }


def _bomb_png(width: int = 30_000, height: int = 30_000) -> bytes:
    """A tiny PNG whose header claims 900 megapixels: must be refused before decoding."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def vendor(make_user, api_as):
    return api_as(make_user(Role.VENDOR_ADMIN))


@pytest.fixture
def partner_admin(make_user, api_as):
    user = make_user(Role.PARTNER_ADMIN)
    return api_as(user), user.partner_id


@pytest.fixture
def pdf_asset(vendor):
    asset = vendor.post("/api/v1/assets", {"kind": "pdf", "name": "A"}).json
    version = vendor.post(f"/api/v1/assets/{asset['id']}/versions", data=brochure(2)).json
    return asset["id"], version["id"]


LOGOS = {
    "not an image": (b"hello, I am text", "not an image"),
    "svg with script": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "SVG",
    ),
    "eps": (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "EPS"),
    "pdf": (brochure(1), "PDF"),
    "truncated png": (png()[:60], "damaged"),
    "empty": (b"", "empty"),
    "decompression bomb": (_bomb_png(), "megapixels"),
}


@pytest.mark.parametrize("name", LOGOS)
def test_bad_logos_are_refused_by_content(name, partner_admin, session):
    api, partner_id = partner_admin
    data, words = LOGOS[name]
    before = _counts(session)
    r = api.request("PUT", f"/api/v1/partners/{partner_id}/brand-kit/logos/light", data=data)
    assert r.status_code == 422, r.json
    assert words.lower() in r.json["error"]["message"].lower()
    assert "logo" in r.json["error"]["fields"]
    assert _counts(session) == before


def test_stored_logo_is_reencoded_without_metadata(partner_admin):
    from PIL import Image, PngImagePlugin

    api, partner_id = partner_admin
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "secret-author-name")
    out = io.BytesIO()
    Image.new("RGB", (50, 20), "red").save(out, format="PNG", pnginfo=info)
    assert (
        api.request(
            "PUT", f"/api/v1/partners/{partner_id}/brand-kit/logos/light", data=out.getvalue()
        ).status_code
        == 200
    )
    stored = api.get(f"/api/v1/partners/{partner_id}/brand-kit/logos/light")
    assert stored.mimetype == "image/png" and b"secret-author-name" not in stored.data


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"primary_color": "red"}, "primary_color"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"contact_website": "javascript:alert(1)"}, "contact_website"),
        ({"contact_phone": "<script>"}, "contact_phone"),
        ({"contact_name": "x" * 500}, "contact_name"),
        ({"contact_name": 5}, "contact_name"),
        ({"unknown": "x"}, "unknown"),
    ],
)
def test_bad_brand_fields(body, field, partner_admin, session):
    api, partner_id = partner_admin
    before = _counts(session)
    r = api.patch(f"/api/v1/partners/{partner_id}/brand-kit", body)
    assert r.status_code == 422, r.json
    assert field in r.json["error"]["fields"]
    assert _counts(session) == before


@pytest.mark.parametrize(
    ("zones", "needle"),
    [
        ([{"kind": "logo", "box": [0.8, 0.1, 0.5, 0.1]}], "outside the page"),
        ([{"kind": "logo", "box": [0.1, 0.1, 0, 0.1]}], "positive"),
        ([{"kind": "logo", "box": [0.1, 0.1, 0.2]}], "zones.0.box"),
        ([{"kind": "sticker", "box": [0.1, 0.1, 0.2, 0.2]}], "zones.0.kind"),
        ([{"kind": "logo", "box": [0.1, 0.1, 0.2, 0.2], "pages": [3]}], "2 page"),
        ([{"kind": "logo", "box": [0.1, 0.1, 0.2, 0.2], "pages": [0]}], "Page numbers"),
        ([{"kind": "text", "box": [0.1, 0.1, 0.2, 0.2], "color": "nope"}], "colour"),
        ([{"kind": "qr", "box": [0.1, 0.1, 0.2, 0.2]}], "landing URL"),
        ([{"kind": "logo", "box": [0.1, 0.1, 0.2, 0.2], "extra": 1}], "zones.0.extra"),
    ],
)
def test_bad_zones_name_the_problem(zones, needle, vendor, pdf_asset, session):
    asset_id, version_id = pdf_asset
    before = _counts(session)
    r = vendor.request(
        "PUT", f"/api/v1/assets/{asset_id}/versions/{version_id}/zones", {"zones": zones}
    )
    assert r.status_code == 422, r.json
    assert needle in str(r.json["error"]), r.json
    assert _counts(session) == before
    assert vendor.get(f"/api/v1/assets/{asset_id}").json["versions"][0]["zones"] == []


def test_text_templates_are_sandboxed(vendor, pdf_asset, partner_admin, session, make_partner):
    asset_id, version_id = pdf_asset
    hostile = "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    r = vendor.request(
        "PUT",
        f"/api/v1/assets/{asset_id}/versions/{version_id}/zones",
        {"zones": [{"kind": "text", "box": [0.1, 0.1, 0.5, 0.1], "text": hostile}]},
    )
    # Either refused at once, or refused when rendering; never rendered.
    if r.status_code == 200:
        vendor.post(f"/api/v1/assets/{asset_id}/publish", {})
        api, partner_id = partner_admin
        api.request("PUT", f"/api/v1/partners/{partner_id}/brand-kit/logos/light", data=png())
        out = api.get(f"/api/v1/assets/{asset_id}/render?format=pdf")
        assert out.status_code == 422, out.data[:200]
    else:
        assert r.status_code == 422


@pytest.mark.parametrize(
    ("kind", "data", "needle"),
    [
        ("pdf", png(), "PDF"),
        ("pdf", b"%PDF-1.7\n1 0 obj", "PDF"),
        ("pdf", b"", "empty"),
        ("email", b"\xff\xfe\x00bad", "UTF-8"),
        (
            "email",
            b'<mjml><mj-body><mj-include path="/etc/passwd" /></mj-body></mjml>',
            "mj-include",
        ),
        ("social", b"GIF89a-broken", "GIF"),
        ("social", brochure(1), "PDF"),
    ],
    # Named, not by their bytes: a generated PDF carries its creation time, and xdist workers
    # that collect different test ids refuse to run.
    ids=[
        "png-as-pdf",
        "truncated-pdf",
        "empty-pdf",
        "utf16-mjml",
        "mj-include",
        "bad-gif",
        "pdf-as-social",
    ],
)
def test_template_uploads_are_checked_by_content(kind, data, needle, vendor, session):
    asset_id = vendor.post("/api/v1/assets", {"kind": kind, "name": "X"}).json["id"]
    before = _counts(session)
    r = vendor.post(f"/api/v1/assets/{asset_id}/versions?filename=innocent.{kind}", data=data)
    assert r.status_code == 422, r.json
    assert needle.lower() in r.json["error"]["message"].lower(), r.json
    assert _counts(session) == before


def test_oversized_upload_is_413(vendor, app):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    asset_id = vendor.post("/api/v1/assets", {"kind": "pdf", "name": "X"}).json["id"]
    r = vendor.post(f"/api/v1/assets/{asset_id}/versions", data=b"%PDF-" + b"0" * 5000)
    assert r.status_code == 413 and r.json["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "video", "name": "x"}, "kind"),
        ({"kind": "pdf"}, "name"),
        ({"kind": "pdf", "name": "x", "landing_url": "javascript:alert(1)"}, "landing_url"),
        ({"kind": "pdf", "name": "x", "audience_tier_ids": [999999]}, "audience_tier_ids"),
        ({"kind": "pdf", "name": "x", "audience_regions": ["MARS"]}, "audience_regions.0"),
        ({"kind": "pdf", "name": "x", "tags": "not-a-list"}, "tags"),
    ],
)
def test_bad_asset_fields(body, field, vendor, session):
    before = _counts(session)
    r = vendor.post("/api/v1/assets", body)
    assert r.status_code == 422, r.json
    assert field in r.json["error"]["fields"], r.json
    assert _counts(session) == before


@pytest.mark.parametrize(
    "query",
    [
        "format=exe",
        "format=",
        "partner_id=abc&format=pdf",
        "partner_id=99999999&format=pdf",
        "version_id=0&format=pdf",
    ],
)
def test_bad_render_queries(query, vendor, pdf_asset):
    asset_id, _ = pdf_asset
    r = vendor.get(f"/api/v1/assets/{asset_id}/render?{query}")
    assert r.status_code in (404, 422), (r.status_code, r.data[:300])
    assert "error" in r.json


def test_batch_needs_a_known_format_and_a_matching_segment(vendor, pdf_asset, session):
    asset_id, _ = pdf_asset
    # A draft renders for nobody: partners get published versions only.
    r = vendor.post(f"/api/v1/assets/{asset_id}/batches", {"format": "pdf"})
    assert r.status_code == 422 and r.json["error"]["fields"] == {"asset": "not published"}
    assert vendor.post(f"/api/v1/assets/{asset_id}/publish", {}).status_code == 200
    before = _counts(session)
    assert vendor.post(f"/api/v1/assets/{asset_id}/batches", {"format": "docx"}).status_code == 422
    r = vendor.post(
        f"/api/v1/assets/{asset_id}/batches",
        {"format": "pdf", "segment": {"regions": ["APAC"], "tier_ids": [987654]}},
    )
    assert r.status_code == 422 and "segment" in r.json["error"]["fields"]
    assert (
        vendor.post(
            f"/api/v1/assets/{asset_id}/batches",
            {"format": "pdf", "segment": {"regions": ["MARS"]}},
        ).status_code
        == 422
    )
    assert _counts(session) == before


def test_marketing_roles_only(make_user, api_as, pdf_asset):
    asset_id, version_id = pdf_asset
    for role in (Role.CHANNEL_MANAGER, Role.PARTNER_ADMIN):
        api = api_as(make_user(role))
        r = api.post("/api/v1/assets", {"kind": "pdf", "name": "x"})
        assert r.status_code == 403
    cm = api_as(make_user(Role.CHANNEL_MANAGER))
    assert (
        cm.request(
            "PUT", f"/api/v1/assets/{asset_id}/versions/{version_id}/zones", {"zones": []}
        ).status_code
        == 403
    )
    assert cm.post(f"/api/v1/assets/{asset_id}/publish", {}).status_code == 403
