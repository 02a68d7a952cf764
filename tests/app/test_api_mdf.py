"""The MDF API end to end: decimal strings, idempotency keys, 409/422 answers, proof files,
tenancy, export and ROI."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prm_domain.enums import Role
from prm_domain.models import Lead, MdfClaim, MdfRequest
from tests.mdf_fixtures import ATTENDEES, png

TODAY = dt.date.today()


@pytest.fixture
def mdf(session: Session, make_partner: Any, make_user: Any, api_as: Any) -> dict[str, Any]:
    vendor = api_as(make_user(Role.VENDOR_ADMIN))
    partner = make_partner()
    other = make_partner()
    admin = api_as(make_user(Role.PARTNER_ADMIN, partner))
    stranger = api_as(make_user(Role.PARTNER_ADMIN, other))
    fund = vendor.post(
        "/api/v1/mdf/funds",
        {
            "name": "FY",
            "currency": "EUR",
            "budget": "100000.00",
            "starts_on": str(TODAY - dt.timedelta(days=30)),
            "ends_on": str(TODAY + dt.timedelta(days=300)),
            "claim_days": 60,
        },
    )
    assert fund.status_code == 201, fund.get_json()
    fund_id = fund.get_json()["id"]
    for p, amount in ((partner, "5000.00"), (other, "10.00")):
        r = vendor.post(
            f"/api/v1/mdf/funds/{fund_id}/allocations", {"partner_id": p.id, "amount": amount}
        )
        assert r.status_code == 201, r.get_json()
    return {
        "vendor": vendor,
        "admin": admin,
        "stranger": stranger,
        "fund_id": fund_id,
        "partner": partner,
    }


def _request(mdf: dict[str, Any], amount: str = "1000.00", **kw: Any) -> dict[str, Any]:
    return {
        "fund_id": mdf["fund_id"],
        "activity_type": "event",
        "description": "Roadshow",
        "starts_on": str(TODAY - dt.timedelta(days=2)),
        "ends_on": str(TODAY),
        "total_cost": "3000.00",
        "requested_amount": amount,
        "expected_leads": 30,
    } | kw


def _claim(api: Any, request_id: int, amount: str = "900.00", key: str | None = None) -> Any:
    data = {
        "request_id": str(request_id),
        "amount": amount,
        "actual_cost": "2500.00",
        "proof": [(io.BytesIO(png()), "stand.png"), (io.BytesIO(ATTENDEES), "list.csv")],
    }
    headers = {**api.headers, **({"Idempotency-Key": key} if key else {})}
    return api.client.post(
        "/api/v1/mdf/claims", data=data, headers=headers, content_type="multipart/form-data"
    )


def test_request_to_payment_over_the_api(mdf: dict[str, Any], session: Session) -> None:
    admin, vendor = mdf["admin"], mdf["vendor"]
    r = admin.post("/api/v1/mdf/requests", _request(mdf), headers={"Idempotency-Key": "k1"})
    assert r.status_code == 201, r.get_json()
    first = r.get_json()
    again = admin.post("/api/v1/mdf/requests", _request(mdf), headers={"Idempotency-Key": "k1"})
    assert (again.status_code, again.get_json()) == (201, first)
    assert session.scalar(select(func.count()).select_from(MdfRequest)) == 1
    other = admin.post(
        "/api/v1/mdf/requests", _request(mdf, "5.00"), headers={"Idempotency-Key": "k1"}
    )
    assert other.status_code == 409
    rid = first["id"]
    assert vendor.post(f"/api/v1/mdf/requests/{rid}/approve", {}).status_code == 200
    assert vendor.post(f"/api/v1/mdf/requests/{rid}/approve", {}).status_code == 409
    c = _claim(admin, rid, key="c1")
    assert c.status_code == 201, c.get_json()
    assert _claim(admin, rid, key="c1").get_json() == c.get_json()
    assert session.scalar(select(func.count()).select_from(MdfClaim)) == 1
    claim = c.get_json()
    assert [p["media_type"] for p in claim["proofs"]] == ["image/png", "text/csv"]
    cid = claim["id"]
    paid = vendor.post(
        f"/api/v1/mdf/claims/{cid}/pay", {"reference": "SEPA-1", "paid_on": str(TODAY)}
    )
    assert paid.status_code == 409  # not approved yet
    assert vendor.post(f"/api/v1/mdf/claims/{cid}/approve", {"amount": "800.00"}).status_code == 200
    assert (
        vendor.post(
            f"/api/v1/mdf/claims/{cid}/pay", {"reference": "SEPA-1", "paid_on": str(TODAY)}
        ).status_code
        == 200
    )
    rows = admin.get("/api/v1/mdf/balances").get_json()["items"]
    assert rows == [
        {
            "partner_id": mdf["partner"].id,
            "fund_id": mdf["fund_id"],
            "currency": "EUR",
            "rule": "fixed",
            "accrual_percent": None,
            "allocated": "5000.00",
            "committed": "0.00",
            "claimed": "0.00",
            "paid": "800.00",
            "expired": "0.00",
            "available": "4200.00",
        }
    ]
    kinds = [e["kind"] for e in admin.get("/api/v1/mdf/ledger").get_json()["items"]]
    assert kinds == ["pay", "release", "claim", "commit", "allocate"]
    proof = admin.get(claim["proofs"][0]["url"])
    assert proof.status_code == 200 and proof.data == png()


def test_numbers_are_422_and_over_available_names_the_amount(mdf: dict[str, Any]) -> None:
    r = mdf["admin"].post("/api/v1/mdf/requests", {**_request(mdf), "requested_amount": 1000})
    assert r.status_code == 422
    assert "requested_amount" in r.get_json()["error"]["fields"]
    r = mdf["admin"].post("/api/v1/mdf/requests", _request(mdf, "5000.01", total_cost="9000.00"))
    assert r.status_code == 422
    fields = r.get_json()["error"]["fields"]
    assert "5000.00" in fields["requested_amount"] and fields["available"] == "5000.00"


def test_other_tenants_get_404_for_every_mdf_object(mdf: dict[str, Any]) -> None:
    admin, stranger, vendor = mdf["admin"], mdf["stranger"], mdf["vendor"]
    rid = admin.post("/api/v1/mdf/requests", _request(mdf)).get_json()["id"]
    vendor.post(f"/api/v1/mdf/requests/{rid}/approve", {})
    claim = _claim(admin, rid).get_json()
    for path in (
        f"/api/v1/mdf/requests/{rid}",
        f"/api/v1/mdf/claims/{claim['id']}",
        claim["proofs"][0]["url"],
    ):
        assert stranger.get(path).status_code == 404
    assert stranger.post(f"/api/v1/mdf/claims/{claim['id']}/proofs").status_code in (404, 415)
    assert stranger.get("/api/v1/mdf/requests").get_json()["items"] == []
    assert stranger.get("/api/v1/mdf/claims").get_json()["items"] == []
    assert {r["partner_id"] for r in stranger.get("/api/v1/mdf/balances").get_json()["items"]} != {
        mdf["partner"].id
    }
    assert stranger.post(f"/api/v1/mdf/requests/{rid}/approve", {}).status_code in (403, 404)


def test_export_cells_are_inert_in_csv_and_xlsx(mdf: dict[str, Any]) -> None:
    admin, vendor = mdf["admin"], mdf["vendor"]
    rid = admin.post("/api/v1/mdf/requests", _request(mdf)).get_json()["id"]
    vendor.post(f"/api/v1/mdf/requests/{rid}/approve", {})
    data = {
        "request_id": str(rid),
        "amount": "10.00",
        "actual_cost": "10.00",
        "results": '=HYPERLINK("http://evil")',
        "proof": [(io.BytesIO(png()), "a.png"), (io.BytesIO(ATTENDEES), "b.csv")],
    }
    r = admin.client.post(
        "/api/v1/mdf/claims", data=data, headers=admin.headers, content_type="multipart/form-data"
    )
    assert r.status_code == 201, r.get_json()
    period = f"starts_on={TODAY - dt.timedelta(days=1)}&ends_on={TODAY}"
    csv = vendor.get(f"/api/v1/mdf/export?{period}")
    assert csv.status_code == 200
    assert "'=HYPERLINK" in csv.get_data(as_text=True)
    xlsx = vendor.get(f"/api/v1/mdf/export?{period}&format=xlsx")
    assert xlsx.status_code == 200
    with zipfile.ZipFile(io.BytesIO(xlsx.data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        strings = z.read("xl/sharedStrings.xml").decode()
    assert "<f>" not in sheet and "'=HYPERLINK" in strings
    assert admin.get(f"/api/v1/mdf/export?{period}").status_code == 403


def test_roi_counts_leads_tagged_for_the_activity(mdf: dict[str, Any], session: Session) -> None:
    admin, vendor = mdf["admin"], mdf["vendor"]
    rid = admin.post("/api/v1/mdf/requests", _request(mdf)).get_json()["id"]
    vendor.post(f"/api/v1/mdf/requests/{rid}/approve", {})
    cid = _claim(admin, rid, "400.00").get_json()["id"]
    vendor.post(f"/api/v1/mdf/claims/{cid}/approve", {})
    vendor.post(f"/api/v1/mdf/claims/{cid}/pay", {"reference": "R", "paid_on": str(TODAY)})
    for i, tag in enumerate([f"mdf-{rid}", f"mdf-{rid}", "other", f"mdf-{rid}0"]):
        session.add(
            Lead(
                partner_id=mdf["partner"].id,
                email=f"l{i}@example.com",
                fingerprint=f"f{i}",
                utm={"utm_campaign": tag},
            )
        )
    session.commit()
    report = admin.get("/api/v1/mdf/roi").get_json()
    (row,) = report["activities"]
    assert (row["leads"], row["paid"], row["cost_per_lead"]) == (2, "400.00", "200.00")
    assert row["closed_won"] == "0.00"  # no lead became a deal (see test_cross_feature.py)
    assert mdf["stranger"].get("/api/v1/mdf/roi").get_json()["activities"] == []
    assert Decimal(report["by_quarter"][0]["paid"]) == Decimal("400.00")


def test_daily_job_is_a_periodic_task(app: Any, mdf: dict[str, Any]) -> None:
    from app.celery_app import enqueue, schedule

    assert "cobrand.mdf_daily" in schedule(app)
    with app.app_context():
        future = enqueue("cobrand.mdf_daily")
        assert future is not None
        lapsed, expired, reminded = future.result(timeout=30)
    assert (lapsed, expired) == (0, 0) and reminded >= 0


def test_more_information_answered_with_files_over_the_api(mdf: dict[str, Any]) -> None:
    admin, vendor = mdf["admin"], mdf["vendor"]
    rid = admin.post("/api/v1/mdf/requests", _request(mdf)).get_json()["id"]
    vendor.post(f"/api/v1/mdf/requests/{rid}/approve", {})
    cid = _claim(admin, rid).get_json()["id"]
    asked = vendor.post(f"/api/v1/mdf/claims/{cid}/request-info", {"reason": "The invoice?"})
    assert asked.status_code == 200 and asked.get_json()["status"] == "info_requested"

    def answer(api: Any, name: str, key: str) -> Any:
        return api.client.post(
            f"/api/v1/mdf/claims/{cid}/proofs",
            data={"note": "Attached.", "proof": [(io.BytesIO(png()), name)]},
            headers={**api.headers, "Idempotency-Key": key},
            content_type="multipart/form-data",
        )

    assert answer(vendor, "v.png", "v1").status_code == 403  # never on the partner's behalf
    first = answer(admin, "invoice.png", "a1")
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["status"] == "submitted"
    assert [p["filename"] for p in first.get_json()["proofs"]][-1] == "invoice.png"
    replay = answer(admin, "invoice.png", "a1")
    assert (replay.status_code, replay.get_json()) == (200, first.get_json())
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert answer(admin, "again.png", "a2").status_code == 409  # nothing is asked any more
    assert vendor.post(f"/api/v1/mdf/claims/{cid}/approve", {}).status_code == 200
