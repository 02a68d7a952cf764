"""Regressions for defects a review found: each test failed before its fix."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from prm_domain import jobs
from prm_domain.enums import JobStatus, Role
from prm_domain.models import BrandKit, RenderJob
from tests.library_fixtures import NEWSLETTER, brochure, png

HUGE = 99999999999999999999


@pytest.fixture
def lib(make_user, make_partner, make_tier, api_as, session):
    tier = make_tier()
    partners = [make_partner(tier=tier, name=f"Reg Partner {i}") for i in range(2)]
    vendor_user = make_user(Role.VENDOR_ADMIN)
    vendor = api_as(vendor_user)
    for i, p in enumerate(partners):
        admin = api_as(make_user(Role.PARTNER_ADMIN, partner=p))
        # Distinct logos: storage is content-addressed, and one file must go missing alone.
        logo = png(color=(200, 10 * i, 30))
        r = admin.request("PUT", f"/api/v1/partners/{p.id}/brand-kit/logos/light", data=logo)
        assert r.status_code == 200
    asset = vendor.post(
        "/api/v1/assets", {"kind": "pdf", "name": "Reg", "landing_url": "https://n.example/x"}
    ).json
    version = vendor.post(f"/api/v1/assets/{asset['id']}/versions", data=brochure(1)).json
    vendor.post(f"/api/v1/assets/{asset['id']}/publish", {})
    return {
        "vendor": vendor,
        "vendor_user": vendor_user,
        "asset": asset["id"],
        "version": version["id"],
        "partners": partners,
        "tier": tier,
    }


@pytest.mark.parametrize(
    "request_",
    [
        ("GET", "/api/v1/assets/{a}/render?format=preview&partner_id=" + str(HUGE), None),
        ("GET", "/api/v1/assets/{a}/render?format=pdf&version_id=" + str(HUGE), None),
        ("GET", "/api/v1/assets/{a}/link?partner_id=" + str(HUGE), None),
        ("POST", "/api/v1/assets/{a}/publish", {"version_id": HUGE}),
        ("POST", "/api/v1/assets/{a}/batches", {"format": "pdf", "segment": {"tier_ids": [HUGE]}}),
        ("GET", "/api/v1/leads?embed_id=" + str(HUGE), None),
        (
            "POST",
            "/api/v1/embeds",
            {"kind": "banner", "items": [HUGE], "allowed_domains": ["a.example"]},
        ),
    ],
)
def test_huge_ids_anywhere_are_422_not_500(lib, request_):
    method, path, body = request_
    r = lib["vendor"].request(method, path.format(a=lib["asset"]), body)
    assert r.status_code == 422, (r.status_code, r.data[:300])


@pytest.mark.parametrize("query", ["q=%00", "category=%00", "tag=%00"])
def test_nul_in_library_search_is_422(lib, query):
    r = lib["vendor"].get(f"/api/v1/assets?{query}")
    assert r.status_code == 422, r.data[:300]
    assert lib["vendor"].get("/api/v1/syndication/items?q=%00").status_code == 422


def test_a_partner_whose_logo_file_is_gone_fails_alone(lib, session, app):
    storage = app.extensions["cobrand.storage"]
    kit = session.scalar(select(BrandKit).where(BrandKit.partner_id == lib["partners"][0].id))
    storage.delete(kit.logo_key)
    r = lib["vendor"].post(
        f"/api/v1/assets/{lib['asset']}/batches",
        {"format": "pdf", "segment": {"tier_ids": [lib["tier"].id]}},
    )
    assert r.status_code == 202, r.data[:300]
    job = lib["vendor"].get(f"/api/v1/jobs/{r.json['id']}").json
    assert job["status"] == "done" and job["done"] == job["total"] == 2
    assert [f["partner_id"] for f in job["failures"]] == [lib["partners"][0].id]
    assert "missing" in job["failures"][0]["error"]


def test_a_step_sees_what_another_delivery_committed(lib, session, session_factory):
    job = jobs.start_job(
        session, lib["vendor_user"], lib["asset"], {"tier_ids": [lib["tier"].id]}, "pdf"
    )
    session.commit()
    storage_ = None
    from prm_domain.storage import LocalStorage

    storage_ = LocalStorage(lib["vendor"].client.application.config["STORAGE_DIR"])
    session.get(RenderJob, job.id)  # this session now holds the job in its identity map
    other = session_factory()
    assert jobs.step(other, storage_, job.id, "http://t.example")
    other.commit()
    other.close()
    jobs.step(session, storage_, job.id, "http://t.example")  # must not redo the first partner
    session.commit()
    fresh = session.get(RenderJob, job.id, populate_existing=True)
    assert fresh.status == JobStatus.DONE
    assert sorted(r[0] for r in fresh.results) == sorted(p.id for p in lib["partners"])


def test_renaming_an_asset_changes_its_cached_renders(make_user, make_partner, api_as):
    partner = make_partner()
    admin = api_as(make_user(Role.PARTNER_ADMIN, partner=partner))
    admin.request("PUT", f"/api/v1/partners/{partner.id}/brand-kit/logos/light", data=png())
    vendor = api_as(make_user(Role.MARKETING_MANAGER))
    email = vendor.post("/api/v1/assets", {"kind": "email", "name": "Old subject"}).json["id"]
    vendor.post(f"/api/v1/assets/{email}/versions", data=NEWSLETTER.encode())
    vendor.post(f"/api/v1/assets/{email}/publish", {})
    assert b"Subject: Old subject" in admin.get(f"/api/v1/assets/{email}/render?format=eml").data
    vendor.patch(f"/api/v1/assets/{email}", {"name": "New subject"})
    assert b"Subject: New subject" in admin.get(f"/api/v1/assets/{email}/render?format=eml").data


def test_landing_url_cannot_be_cleared_under_a_qr_zone(lib):
    vendor, a, v = lib["vendor"], lib["asset"], lib["version"]
    r = vendor.request(
        "PUT",
        f"/api/v1/assets/{a}/versions/{v}/zones",
        {"zones": [{"kind": "qr", "box": [0.8, 0.8, 0.1, 0.1]}]},
    )
    assert r.status_code == 200
    r = vendor.patch(f"/api/v1/assets/{a}", {"landing_url": None})
    assert r.status_code == 422 and "landing_url" in r.json["error"]["fields"]


def test_the_zip_is_a_zip(lib):
    import zipfile

    r = lib["vendor"].post(
        f"/api/v1/assets/{lib['asset']}/batches",
        {"format": "pdf", "segment": {"tier_ids": [lib["tier"].id]}},
    )
    job = lib["vendor"].get(f"/api/v1/jobs/{r.json['id']}").json
    names = zipfile.ZipFile(io.BytesIO(lib["vendor"].get(job["download_url"]).data)).namelist()
    assert len(names) == 2
