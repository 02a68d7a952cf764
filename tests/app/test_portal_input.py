"""Never a 500 on a page for bad input: odd query strings, bad form values, unknown ids."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from prm_domain.enums import Role
from prm_domain.models import Partner, PartnerChangeRequest, Tier, User
from tests.app.test_portal import (  # noqa: F401 - fast_argon2 and password_hash are fixtures
    fast_argon2,
    partner_form,
    password_hash,
    post_form,
    text_of,
)

HUGE = "N" * 10_000

ODD_LIST_QUERIES = [
    "page=abc",
    "page=0",
    "page=-1",
    "page=1.5",
    "page=99999",
    "page=99999999999999999999",
    "page=%C2%B2",
    "page=%D9%A1",
    "page=",
    "page=%00",
    "tier_id=999999999999",
    "tier_id=999999999",
    "tier_id=2147483648",
    "tier_id=-1",
    "tier_id=abc",
    "tier_id=%C2%B2",
    "tier_id=0",
    "status=bogus",
    "type=bogus",
    "region=bogus",
    "status=ACTIVE",
    "status=active&status=bogus",
    "q=%00",
    "q=a%00b",
    "q=%25%5F%5C",
    "q=%FF%FE",
    "q=" + "x" * 5000,
    "q=%F0%9F%A6%84",
    "q=%27%3B--",
    "endpoint=x",
    "_method=POST",
    "_external=1&_scheme=javascript",
    "_anchor=%0Aalert(1)",
    "page=2&endpoint=x",
    "page=2&_method=DELETE",
    "page=2&_external=1&_scheme=javascript",
    "page=2&_anchor=x",
    "q[]=1&page[]=2",
]


def _status_problems(client: Any, paths: list[str]) -> list[str]:
    problems = []
    for path in paths:
        r = client.get(path)
        if r.status_code >= 500:
            problems.append(f"GET {path} -> {r.status_code}")
        elif r.status_code == 200 and "javascript:" in text_of(r):
            problems.append(f"GET {path} renders a javascript: URL")
    return problems


def test_odd_query_strings_on_the_partner_list(
    client, make_user, make_tier, make_partner, sign_in_as
):
    tier = make_tier()
    for i in range(30):  # more than a page, so the pager renders too
        make_partner(name=f"Odd {i:02d}", tier=tier)
    sign_in_as(make_user(Role.VENDOR_ADMIN))
    problems = _status_problems(client, [f"/partners?{q}" for q in ODD_LIST_QUERIES])
    assert not problems, "\n".join(problems)
    # Ignored filters show everything, not an error.
    html = text_of(client.get("/partners?status=bogus&tier_id=abc&page=abc"))
    assert "Odd 00" in html and "Page 1 of 2" in html


def test_odd_query_strings_on_other_pages(client, make_user, make_partner, sign_in_as, session):
    partner = make_partner()
    admin = make_user(Role.PARTNER_ADMIN, partner=partner)
    for _ in range(51):  # two pages of users
        make_user(Role.PARTNER_USER, partner=partner)
    sign_in_as(admin)
    pages = ["/organisation", "/", f"/partners/{partner.id}", f"/partners/{partner.id}/edit"]
    problems = _status_problems(client, [f"{p}?{q}" for p in pages for q in ODD_LIST_QUERIES])
    assert not problems, "\n".join(problems)
    post_form(client, "/sign-out")

    from prm_domain import audit

    vendor = make_user(Role.VENDOR_ADMIN)
    for i in range(55):
        audit.record(session, vendor, f"test.{i}", vendor)
    session.flush()
    sign_in_as(vendor)
    pages = ["/audit", "/tiers", "/", "/partners/new", f"/partners/{partner.id}"]
    problems = _status_problems(client, [f"{p}?{q}" for p in pages for q in ODD_LIST_QUERIES])
    assert not problems, "\n".join(problems)


BAD_TIER_FORMS: list[dict[str, str]] = [
    {"rank": "-1"},
    {"rank": "abc"},
    {"rank": "%C2%B2"},
    {"rank": "\u00b2"},
    {"rank": "\u0661"},
    {"rank": "1e3"},
    {"rank": "99999999999999"},
    {"rank": ""},
    {"rank": "1001"},
    {"mdf_share_percent": "abc"},
    {"mdf_share_percent": "NaN"},
    {"mdf_share_percent": "sNaN"},
    {"mdf_share_percent": "Infinity"},
    {"mdf_share_percent": "1e999999999"},
    {"mdf_share_percent": "1e-999999999"},
    {"mdf_share_percent": "-1"},
    {"discount_percent": "12.345"},
    {"discount_percent": "\u00b2"},
    {"name": ""},
    {"name": "   "},
    {"name": HUGE},
    {"name": "a\x00b"},
    {"description": HUGE},
    {"description": "\x01"},
    {"content_access": HUGE},
    {"content_access": ",".join(["x"] * 50)},
]


def test_bad_tier_form_values(client, make_user, sign_in_as, session):
    sign_in_as(make_user(Role.VENDOR_ADMIN))
    good = {
        "name": "Fine",
        "rank": "5",
        "mdf_share_percent": "1",
        "discount_percent": "2",
        "content_access": "standard",
        "description": "",
    }
    problems = []
    for bad in BAD_TIER_FORMS:
        r = post_form(client, "/tiers", good | bad)
        if r.status_code != 422:
            problems.append(f"{bad!r:.60} -> {r.status_code}")
    assert not problems, "\n".join(problems)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Tier)) == 0


BAD_PARTNER_FORMS: list[dict[str, str]] = [
    {"dpa_signed_on": "2026-13-45"},
    {"dpa_signed_on": "99999-01-01"},
    {"dpa_signed_on": "0000-00-00"},
    {"dpa_signed_on": "2999-01-01"},
    {"dpa_signed_on": "yesterday"},
    {"dpa_signed_on": "2024-01-01T00:00"},
    {"tier_id": "\u00b2"},
    {"tier_id": "abc"},
    {"tier_id": "99999999999999"},
    {"tier_id": "999999999"},
    {"tier_id": "-1"},
    {"tier_id": "0"},
    {"tier_id": ""},
    {"name": ""},
    {"name": "  "},
    {"name": HUGE},
    {"name": "a\x00b"},
    {"country": "ÄÖ"},
    {"country": ""},
    {"country": "D\x00"},
    {"region": "bogus"},
    {"type": ""},
    {"status": "bogus"},
    {"business_model": "bogus"},
    {"website_domains": "xn--"},
    {"website_domains": "a..b"},
    {"website_domains": "-bad-.com"},
    {"website_domains": "ä" * 300},
    {"website_domains": HUGE},
    {"website_domains": "x" * 64 + ".com"},
    {"website_domains": "nodot"},
    {"website_domains": "a\x00.com"},
    {"verticals": HUGE},
    {"verticals": ",".join(["v"] * 30)},
    {"verticals": "\x02"},
]


def test_bad_partner_form_values(client, make_user, make_tier, make_partner, sign_in_as, session):
    tier = make_tier()
    partner = make_partner(name="Stays Put", tier=tier)
    sign_in_as(make_user(Role.VENDOR_ADMIN))
    problems = []
    for bad in BAD_PARTNER_FORMS:
        for path in ("/partners/new", f"/partners/{partner.id}/edit"):
            r = post_form(client, path, partner_form(tier) | bad)
            if r.status_code != 422:
                problems.append(f"{path} {bad!r:.60} -> {r.status_code}")
    assert not problems, "\n".join(problems)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Partner)) == 1
    assert session.get(Partner, partner.id).name == "Stays Put"


def test_bad_profile_values_from_a_partner_admin(
    client, make_user, make_partner, sign_in_as, session
):
    partner = make_partner(name="Own Stays")
    sign_in_as(make_user(Role.PARTNER_ADMIN, partner=partner))
    problems = []
    for bad in [{"business_model": "bogus"}, {"website_domains": "a..b"}]:
        r = post_form(client, f"/partners/{partner.id}/edit", bad)
        if r.status_code != 422:
            problems.append(f"{bad!r:.60} -> {r.status_code}")
    # Name and verticals are proposed to the vendor: the proposal form checks them.
    for bad in [
        {"name": HUGE},
        {"name": "x\x00"},
        {"verticals": HUGE},
        {"region": "MARS"},
        {"type": "bogus"},
        {"note": HUGE},
        {},
    ]:
        r = post_form(client, f"/partners/{partner.id}/change-requests", bad)
        if r.status_code != 422 or ("field-error" not in text_of(r) and bad):
            problems.append(f"proposal {bad!r:.60} -> {r.status_code}")
    assert not problems, "\n".join(problems)
    session.expire_all()
    assert session.get(Partner, partner.id).name == "Own Stays"
    assert session.scalar(select(func.count()).select_from(PartnerChangeRequest)) == 0


def test_bad_user_form_values(client, make_user, make_partner, sign_in_as, session):
    partner = make_partner()
    sign_in_as(make_user(Role.PARTNER_ADMIN, partner=partner))
    good = {
        "email": "fine@example.com",
        "password": "a-long-password",
        "display_name": "Fine",
        "role": "partner_user",
    }
    before = session.scalar(select(func.count()).select_from(User))
    problems = []
    for bad in [
        {"email": HUGE + "@example.com"},
        {"email": "a\x00@example.com"},
        {"email": ""},
        {"password": "p" * 10_000},
        {"display_name": HUGE},
        {"display_name": "\x00"},
        {"role": "bogus"},
        {"role": "vendor_admin"},
    ]:
        r = post_form(client, f"/partners/{partner.id}/users", good | bad)
        if r.status_code >= 500 or r.status_code == 200:
            problems.append(f"{bad!r:.60} -> {r.status_code}")
    assert not problems, "\n".join(problems)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(User)) == before


@pytest.mark.parametrize(
    "data",
    [
        {"email": HUGE, "password": "x"},
        {"email": "a\x00b@example.com", "password": "x"},
        {"email": "x@example.com", "password": "p" * 10_000},
        {"email": "", "password": ""},
        {},
        {"email": "x@example.com", "password": "x", "next": "/\r\nSet-Cookie: evil=1"},
    ],
)
def test_bad_sign_in_values(client, data):
    r = post_form(client, "/sign-in", data)
    assert r.status_code == 401
    assert "Email or password is incorrect." in text_of(r)


def test_unknown_ids_are_404_pages(client, make_user, sign_in_as):
    sign_in_as(make_user(Role.VENDOR_ADMIN))
    for path in ("/partners/999999", "/partners/999999/edit", "/partners/2147483648"):
        r = client.get(path)
        assert r.status_code == 404 and "Not found" in text_of(r), path
    for path in (
        "/partners/999999/users",
        "/users/999999/active",
        "/partners/999999/edit",
        "/users/99999999999999/active",
    ):
        r = post_form(client, path, {"active": "0", "name": "x"})
        assert r.status_code == 404 and "Not found" in text_of(r), path
