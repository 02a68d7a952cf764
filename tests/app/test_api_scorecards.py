"""The scorecard API: the ranking (sorted, paged, decimal strings), the CSV export, one
partner's scorecard; who may ask, and bad query strings answered with the field named."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest

from prm_domain.enums import DealStatus, Role
from prm_domain.models import DealRegistration


@pytest.fixture
def world(make_partner: Any, make_user: Any, session: Any) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    a = make_partner(name="=Formula Partner")  # a name a spreadsheet would evaluate
    b = make_partner(name="Plain Partner")
    for partner, value, status in (
        (a, "10.10", DealStatus.WON),
        (a, "20.20", DealStatus.WON),
        (a, "5.00", DealStatus.LOST),
        (b, "99.99", DealStatus.WON),
    ):
        session.add(
            DealRegistration(
                partner_id=partner.id,
                company="Co",
                contact_name="Ann",
                contact_email="ann@co.example",
                country="DE",
                estimated_value=Decimal(value),
                expected_close=now.date(),
                status=status,
                decided_at=now,
            )
        )
    session.commit()
    return {"a": a, "b": b, "vendor": make_user(Role.CHANNEL_MANAGER)}


def test_ranking_is_sorted_paged_and_exact(world, api_as):
    api = api_as(world["vendor"])
    ids = {world["a"].id, world["b"].id}
    r = api.get("/api/v1/scorecards?sort=revenue&order=desc&per_page=200")
    assert r.status_code == 200, r.json
    rows = [row for row in r.json["items"] if row["partner_id"] in ids]
    assert [row["partner_id"] for row in rows] == [world["b"].id, world["a"].id]
    a = rows[1]["metrics"]
    assert a["revenue"] == "30.30" and a["win_rate"] == "0.6667"
    assert (a["deals_won"], a["deals_lost"]) == (2, 1)
    assert a["lead_acceptance"] is None and a["mdf_roi"] is None
    assert r.json["period_end"] > r.json["period_start"]
    r = api.get("/api/v1/scorecards?q=Plain Partner&per_page=1&page=1")
    assert r.json["total"] == 1 and r.json["items"][0]["partner_id"] == world["b"].id
    assert r.json["items"][0]["metrics"]["win_rate"] == "1.0000"


def test_export_is_the_whole_ranking_with_inert_cells(world, api_as):
    r = api_as(world["vendor"]).get("/api/v1/scorecards/export?q=Partner&sort=name&order=asc")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    names = [row["partner"] for row in rows]
    assert names == ["'=Formula Partner", "Plain Partner"]
    assert rows[0]["revenue"] == "30.30" and rows[0]["win_rate"] == "0.6667"
    assert rows[0]["mdf_roi"] == ""


def test_scorecard_has_twelve_monthly_points(world, api_as):
    r = api_as(world["vendor"]).get(f"/api/v1/scorecards/{world['a'].id}?months=3")
    assert r.status_code == 200, r.json
    body = r.json
    assert body["metrics"]["revenue"] == "30.30" and body["previous"]["revenue"] == "0.00"
    assert len(body["trends"]) == 12
    assert body["trends"][-1]["revenue"] == "30.30" and body["trends"][-1]["deals_won"] == 2
    months = [p["month"] for p in body["trends"]]
    assert months == sorted(months) and all(m.endswith("-01") for m in months)
    start = dt.date.fromisoformat(body["period_start"])
    assert start.day == 1 and (dt.date.fromisoformat(body["period_end"]) - start).days < 93


def test_partner_admin_gets_its_own_row_and_card_only(world, api_as, make_user):
    admin = api_as(make_user(Role.PARTNER_ADMIN, world["a"]))
    r = admin.get("/api/v1/scorecards")
    assert [row["partner_id"] for row in r.json["items"]] == [world["a"].id]
    assert admin.get(f"/api/v1/scorecards/{world['a'].id}").status_code == 200
    other = admin.get(f"/api/v1/scorecards/{world['b'].id}")
    assert other.status_code == 404 and "Plain" not in other.get_data(as_text=True)
    r = admin.get("/api/v1/scorecards/export")
    assert r.status_code == 200
    assert "Plain Partner" not in r.get_data(as_text=True)
    member = api_as(make_user(Role.PARTNER_USER, world["a"]))
    assert member.get("/api/v1/scorecards").status_code == 403
    assert member.get(f"/api/v1/scorecards/{world['a'].id}").status_code == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sort=password", "sort"),
        ("order=up", "order"),
        ("page=0", "page"),
        ("per_page=1000", "per_page"),
        ("months=0", "months"),
        ("months=99999999999999999999", "months"),
        ("tier_id=99999999999", "tier_id"),
        ("q=" + "x" * 201, "q"),
    ],
)
def test_bad_query_strings_name_the_field(world, api_as, query, field):
    api = api_as(world["vendor"])
    for url in ("/api/v1/scorecards", "/api/v1/scorecards/export"):
        if url.endswith("export") and field in ("page", "per_page"):
            continue
        r = api.get(f"{url}?{query}")
        assert r.status_code == 422, (url, query, r.status_code)
        assert field in str(r.json["error"]), r.json
    if field == "months":
        r = api.get(f"/api/v1/scorecards/{world['a'].id}?{query}")
        assert r.status_code == 422 and field in str(r.json["error"])


def test_odd_text_is_searched_for_not_interpreted(world, api_as):
    api = api_as(world["vendor"])
    for q in ("%", "_", "\\", "' OR 1=1 --", "\U0001f600"):
        r = api.get("/api/v1/scorecards", query_string={"q": q})
        assert r.status_code == 200 and r.json["total"] == 0, (q, r.status_code)
    for q in ("\u0000", "a\u202eb"):
        r = api.get("/api/v1/scorecards", query_string={"q": q})
        assert r.status_code == 422 and "q" in r.json["error"]["fields"], (q, r.get_data())
