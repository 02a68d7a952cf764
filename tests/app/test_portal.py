"""Portal pages: sign in/out, dashboard and navigation, partners, my organisation, tiers, audit,
static files served by the app, helpful empty states, and never a 500 for bad input."""

from __future__ import annotations

import re
import uuid
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from prm_domain import passwords
from prm_domain.enums import PartnerStatus, PartnerType, Region, Role
from prm_domain.models import AuditEvent, Partner, Tier, User
from tests.conftest import PASSWORD, csrf_of

# argon2 with its production cost takes ~0.2 s per verify; the portal's logic is the same with a
# cheap parameter set, so these tests hash and verify with it (users are created with it too).
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
FAST_HASH = FAST_HASHER.hash(PASSWORD)
FAST_DUMMY = FAST_HASHER.hash("not-a-real-password")


@pytest.fixture
def password_hash() -> str:
    return FAST_HASH


@pytest.fixture(autouse=True)
def fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_hasher", FAST_HASHER)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", FAST_DUMMY)


class Page(HTMLParser):
    """The parts of a page these tests look at: links, scripts, styles, forms and their inputs."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.forms: list[dict[str, Any]] = []
        self.inline_scripts = 0
        self.style_attrs = 0
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            if name in a:
                self.refs.append((tag, name, a[name]))
        if "style" in a:
            self.style_attrs += 1
        if tag == "script":
            self._in_script = "src" not in a
        if tag == "form":
            self.forms.append(
                {
                    "method": a.get("method", "get").lower(),
                    "action": a.get("action", ""),
                    "inputs": {},
                }
            )
        if tag in ("input", "select", "textarea", "button") and self.forms and a.get("name"):
            self.forms[-1]["inputs"][a["name"]] = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False


def text_of(response: Any) -> str:
    return response.get_data(as_text=True)


def location(response: Any) -> str:
    loc = response.headers["Location"]
    parts = urlsplit(loc)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def token(client: Any) -> str:
    """The session's CSRF token, loading a page first as a browser would (sign-in renews it)."""
    for page in ("/", "/sign-in"):
        with client.session_transaction() as s:
            if "csrf" in s:
                break
        client.get(page)
    return csrf_of(client)


def post_form(client: Any, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    return client.post(path, data={**(data or {}), "csrf_token": token(client)}, **kw)


def count(session: Any, model: Any, *where: Any) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


# --- sign in and out -----------------------------------------------------------------------------


def test_sign_in_page_has_a_form_with_csrf(client):
    r = client.get("/sign-in")
    assert r.status_code == 200
    page = Page(text_of(r))
    (form,) = [f for f in page.forms if f["method"] == "post"]
    assert form["action"] == "/sign-in"
    assert {"email", "password", "csrf_token", "next"} <= set(form["inputs"])
    assert form["inputs"]["csrf_token"] == csrf_of(client)


def test_sign_in_and_out_round_trip(client, make_user, session):
    user = make_user(Role.PARTNER_ADMIN)
    assert client.get("/").status_code == 302
    client.get("/sign-in")
    r = post_form(client, "/sign-in", {"email": user.email.upper(), "password": PASSWORD})
    assert r.status_code == 302 and location(r) == "/"
    session.expire_all()
    assert session.get(User, user.id).last_sign_in_at is not None
    home = client.get("/")
    assert home.status_code == 200 and user.display_name in text_of(home)

    r = post_form(client, "/sign-out")
    assert r.status_code == 302 and location(r) == "/sign-in"
    follow = client.get("/sign-in")
    assert "You are signed out." in text_of(follow)
    r = client.get("/")
    assert r.status_code == 302 and location(r).startswith("/sign-in")


def test_sign_out_is_a_post(client, make_user, sign_in_as):
    sign_in_as(make_user(Role.VENDOR_ADMIN))
    assert client.get("/sign-out").status_code == 405
    assert client.get("/").status_code == 200  # still signed in


def test_pages_need_sign_in_and_come_back_after_it(client, make_user):
    for path in (
        "/",
        "/partners",
        "/partners/new",
        "/organisation",
        "/tiers",
        "/audit",
        "/partners/1",
    ):
        r = client.get(path)
        assert r.status_code == 302, path
        assert location(r).startswith("/sign-in?next=")
    user = make_user(Role.VENDOR_ADMIN)
    r = client.get("/partners?status=active")
    nxt = parse_qs(urlsplit(r.headers["Location"]).query)["next"][0]
    assert nxt == "/partners?status=active"
    page = Page(text_of(client.get(r.headers["Location"])))
    assert page.forms[0]["inputs"]["next"] == nxt
    r = post_form(client, "/sign-in", {"email": user.email, "password": PASSWORD, "next": nxt})
    assert r.status_code == 302 and location(r) == "/partners?status=active"


def test_signed_in_user_visiting_sign_in_goes_to_dashboard(client, make_user, sign_in_as):
    sign_in_as(make_user(Role.PARTNER_USER))
    r = client.get("/sign-in")
    assert r.status_code == 302 and location(r) == "/"


# --- dashboard and navigation --------------------------------------------------------------------


def nav_links(html: str) -> set[str]:
    nav = re.search(r'<nav id="mainnav".*?</nav>', html, re.S)
    assert nav, "no main navigation"
    return {v for tag, attr, v in Page(nav.group(0)).refs if tag == "a"}


@pytest.mark.parametrize(
    ("role", "expected", "absent"),
    [
        (Role.VENDOR_ADMIN, {"/", "/partners", "/tiers", "/audit"}, {"/organisation"}),
        (Role.CHANNEL_MANAGER, {"/", "/partners", "/tiers", "/audit"}, {"/organisation"}),
        (Role.MARKETING_MANAGER, {"/", "/partners", "/tiers"}, {"/audit", "/organisation"}),
        (Role.PARTNER_ADMIN, {"/", "/organisation"}, {"/partners", "/tiers", "/audit"}),
        (Role.PARTNER_USER, {"/", "/organisation"}, {"/partners", "/tiers", "/audit"}),
    ],
)
def test_dashboard_navigation_per_role(client, make_user, sign_in_as, role, expected, absent):
    user = make_user(role)
    sign_in_as(user)
    r = client.get("/")
    assert r.status_code == 200
    html = text_of(r)
    links = nav_links(html)
    assert expected <= links
    assert not (absent & links)
    assert role.label in html
    # Sign-out is a form (POST with CSRF), not a link.
    assert any(f["action"] == "/sign-out" and f["method"] == "post" for f in Page(html).forms)


def test_vendor_dashboard_summarises_partners_and_tiers(
    client, make_user, make_partner, make_tier, sign_in_as
):
    gold = make_tier(name="Gold", rank=900)
    partner = make_partner(name="Acme Dashboard GmbH", tier=gold)
    sign_in_as(make_user(Role.CHANNEL_MANAGER))
    html = text_of(client.get("/"))
    assert "Acme Dashboard GmbH" in html and f"/partners/{partner.id}" in html
    assert "Gold" in html


def test_partner_dashboard_shows_own_organisation_and_tier(
    client, make_user, make_partner, make_tier, sign_in_as
):
    tier = make_tier(name="Silver", description="Silver benefits")
    own = make_partner(name="Own Org Ltd", tier=tier)
    make_partner(name="Someone Else Ltd")
    sign_in_as(make_user(Role.PARTNER_USER, partner=own))
    html = text_of(client.get("/"))
    assert "Own Org Ltd" in html and "Silver" in html and "Silver benefits" in html
    assert "Someone Else Ltd" not in html


def test_dashboard_empty_state_for_a_new_vendor(client, make_user, sign_in_as):
    sign_in_as(make_user(Role.VENDOR_ADMIN))
    html = text_of(client.get("/"))
    assert "No partners yet." in html and "/partners/new" in html
    assert "No tiers yet." in html


# --- partner list: search, filters, pagination ---------------------------------------------------


@pytest.fixture
def catalogue(make_partner, make_tier):
    gold, silver = make_tier(name="Gold"), make_tier(name="Silver")
    return {
        "gold": gold,
        "silver": silver,
        "alpha": make_partner(
            name="Alpha Systems", tier=gold, country="US", region=Region.NORTH_AMERICA
        ),
        "beta": make_partner(
            name="Beta 100% Partners",
            tier=silver,
            status=PartnerStatus.SUSPENDED,
            type=PartnerType.MSP,
        ),
        "gamma": make_partner(name="Gamma_Cloud", tier=silver, country="JP", region=Region.APAC),
    }


def listed(html: str) -> set[str]:
    return set(re.findall(r'<a href="/partners/\d+">([^<]+)</a>', html))


def test_partner_list_search_and_filters(client, make_user, sign_in_as, catalogue):
    sign_in_as(make_user(Role.MARKETING_MANAGER))
    everyone = {"Alpha Systems", "Beta 100% Partners", "Gamma_Cloud"}
    r = client.get("/partners")
    assert r.status_code == 200 and listed(text_of(r)) == everyone
    cases = {
        "?q=alpha": {"Alpha Systems"},
        "?q=ALPHA+sys": {"Alpha Systems"},
        "?q=jp": {"Gamma_Cloud"},  # country code
        "?q=100%25": {"Beta 100% Partners"},  # % is literal, not a wildcard
        "?q=a_c": {"Gamma_Cloud"},  # so is _
        "?q=%25": {"Beta 100% Partners"},
        f"?tier_id={catalogue['gold'].id}": {"Alpha Systems"},
        "?status=suspended": {"Beta 100% Partners"},
        "?type=msp": {"Beta 100% Partners"},
        "?region=APAC": {"Gamma_Cloud"},
        f"?tier_id={catalogue['silver'].id}&status=active": {"Gamma_Cloud"},
        "?q=&status=&type=&region=&tier_id=": everyone,
    }
    for query, expected in cases.items():
        r = client.get("/partners" + query)
        assert r.status_code == 200, query
        assert listed(text_of(r)) == expected, query
    # The chosen filters stay selected in the form.
    html = text_of(client.get("/partners?status=suspended&q=beta"))
    assert '<option value="suspended" selected>' in html and 'value="beta"' in html


def test_partner_list_paginates(client, make_user, make_tier, make_partner, sign_in_as):
    tier = make_tier()
    names = [f"Paged {i:02d}" for i in range(30)]
    for name in names:
        make_partner(name=name, tier=tier)
    sign_in_as(make_user(Role.VENDOR_ADMIN))
    first = text_of(client.get("/partners?q=paged"))
    assert listed(first) == set(names[:25])
    assert "Page 1 of 2" in first
    next_links = [v for tag, _, v in Page(first).refs if tag == "a" and "page=2" in v]
    assert next_links, "no link to the next page"
    second = client.get(next_links[0].replace("&amp;", "&"))
    assert second.status_code == 200
    html = text_of(second)
    assert listed(html) == set(names[25:])
    assert "Page 2 of 2" in html and "page=1" in html and "q=paged" in next_links[0]
    # A page past the end (an old link, a typed number) says so and leads to the last one.
    past = text_of(client.get("/partners?q=paged&page=7"))
    assert "There is no page 7" in past and "30 in all" in past
    back = [
        v for tag, _, v in Page(past).refs if tag == "a" and "Go to page" in past and "page=2" in v
    ]
    assert back and "q=paged" in back[0]


def test_partner_list_empty_states(client, make_user, sign_in_as, make_partner):
    sign_in_as(make_user(Role.VENDOR_ADMIN))
    html = text_of(client.get("/partners"))
    assert "No partners yet." in html
    make_partner(name="Present GmbH")
    html = text_of(client.get("/partners?q=zzz-nothing-matches"))
    assert "No partner matches these filters." in html and 'href="/partners">Clear them' in html
    html = text_of(client.get("/partners?status=exited"))
    assert "No partner matches these filters." in html


def test_partner_users_see_no_partner_list(client, make_user, make_partner, sign_in_as):
    other = make_partner(name="Hidden Partner AG")
    user = make_user(Role.PARTNER_ADMIN)
    sign_in_as(user)
    r = client.get("/partners?q=hidden")
    assert r.status_code == 302 and location(r) == "/organisation"
    assert other.name not in text_of(client.get("/organisation"))


# --- partner detail, create, edit ----------------------------------------------------------------


def test_partner_detail_for_vendor(client, make_user, make_partner, sign_in_as):
    partner = make_partner(
        name="Detail Co", verticals=["Health"], website_domains=["detail.example"]
    )
    member = make_user(Role.PARTNER_USER, partner=partner, display_name="Member Person")
    sign_in_as(make_user(Role.CHANNEL_MANAGER))
    r = client.get(f"/partners/{partner.id}")
    assert r.status_code == 200
    html = text_of(r)
    for bit in ("Detail Co", "Health", "detail.example", "Member Person", member.email):
        assert bit in html
    page = Page(html)
    assert any(f["action"] == f"/partners/{partner.id}/users" for f in page.forms)
    assert f"/partners/{partner.id}/edit" in html


def test_marketing_manager_reads_but_does_not_manage(
    client, make_user, make_partner, sign_in_as, session
):
    partner = make_partner()
    make_user(Role.PARTNER_USER, partner=partner)
    sign_in_as(make_user(Role.MARKETING_MANAGER))
    html = text_of(client.get(f"/partners/{partner.id}"))
    assert partner.name in html
    assert (
        f"/partners/{partner.id}/users" not in html and f"/partners/{partner.id}/edit" not in html
    )
    assert "/partners/new" not in text_of(client.get("/partners"))
    before = count(session, Partner)
    r = post_form(client, "/partners/new", {"name": "Nope"})
    assert r.status_code in (302, 403)
    assert count(session, Partner) == before


def test_unknown_partner_is_a_404_page(client, make_user, sign_in_as):
    sign_in_as(make_user(Role.VENDOR_ADMIN))
    for path in (
        "/partners/999999",
        "/partners/2147483647",
        "/partners/99999999999999999999",
        "/partners/0",
        "/partners/-1",
        "/partners/abc",
        "/partners/999999/edit",
        "/no-such-page",
    ):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.mimetype == "text/html" and "Not found" in text_of(r), path


def partner_form(tier: Tier, **kw: Any) -> dict[str, Any]:
    return {
        "name": "New Partner " + uuid.uuid4().hex[:6],
        "type": "reseller",
        "tier_id": str(tier.id),
        "country": "de",
        "region": "EMEA",
        "status": "onboarding",
        "dpa_signed_on": "2024-02-29",
        "verticals": "Health, Finance\nRetail",
        "business_model": "resale",
        "website_domains": "example.com, shop.example.com",
        **kw,
    }


def test_vendor_adds_a_partner(client, make_user, make_tier, sign_in_as, session):
    tier = make_tier()
    sign_in_as(make_user(Role.CHANNEL_MANAGER))
    r = client.get("/partners/new")
    assert r.status_code == 200 and 'name="tier_id"' in text_of(r)
    data = partner_form(tier)
    r = post_form(client, "/partners/new", data)
    assert r.status_code == 302
    session.expire_all()
    partner = session.scalar(select(Partner).where(Partner.name == data["name"]))
    assert partner is not None and location(r) == f"/partners/{partner.id}"
    assert partner.country == "DE" and partner.verticals == ["Health", "Finance", "Retail"]
    assert partner.website_domains == ["example.com", "shop.example.com"]
    assert partner.status == PartnerStatus.ONBOARDING and str(partner.dpa_signed_on) == "2024-02-29"
    assert f"Partner {data['name']} added." in text_of(client.get(location(r)))
    assert count(session, AuditEvent, AuditEvent.action == "partner.created") == 1


def test_partner_form_redisplays_errors(
    client, make_user, make_tier, make_partner, sign_in_as, session
):
    tier = make_tier()
    taken = make_partner(name="Taken Name")
    sign_in_as(make_user(Role.VENDOR_ADMIN))
    before = count(session, Partner)
    r = post_form(
        client,
        "/partners/new",
        partner_form(tier, name="", country="D1", dpa_signed_on="2026-13-45"),
    )
    assert r.status_code == 422
    html = text_of(r)
    # Field messages start a sentence on the form (the domain's read "email: is required").
    assert "Is required" in html and "two-letter" in html and "Must be a date" in html
    assert 'value="D1"' in html  # what was typed stays
    r = post_form(client, "/partners/new", partner_form(tier, name=taken.name.upper()))
    assert r.status_code == 422 and "Already used" in text_of(r)
    assert count(session, Partner) == before


def test_vendor_edits_a_partner(client, make_user, make_partner, make_tier, sign_in_as, session):
    partner = make_partner(name="Before Edit")
    gold = make_tier(name="Gold Edit")
    sign_in_as(make_user(Role.VENDOR_ADMIN))
    r = client.get(f"/partners/{partner.id}/edit")
    assert r.status_code == 200 and 'value="Before Edit"' in text_of(r)
    r = post_form(
        client,
        f"/partners/{partner.id}/edit",
        partner_form(gold, name="After Edit", status="active"),
    )
    assert r.status_code == 302 and location(r) == f"/partners/{partner.id}"
    session.expire_all()
    fresh = session.get(Partner, partner.id)
    assert fresh.name == "After Edit" and fresh.tier_id == gold.id


def test_partner_admin_edits_own_profile_but_not_vendor_fields(
    client, make_user, make_partner, make_tier, sign_in_as, session
):
    base_tier, gold = make_tier(), make_tier(name="Gold Own")
    partner = make_partner(name="Own Profile", tier=base_tier)
    sign_in_as(make_user(Role.PARTNER_ADMIN, partner=partner))
    r = client.get(f"/partners/{partner.id}/edit")
    assert r.status_code == 200
    assert 'name="tier_id"' not in text_of(r) and 'name="status"' not in text_of(r)
    r = post_form(
        client,
        f"/partners/{partner.id}/edit",
        {
            "name": "Own Profile Renamed",
            "verticals": "Energy",
            "business_model": "services",
            "website_domains": "own-profile.example",
            "tier_id": str(gold.id),
            "status": "exited",
        },
    )
    assert r.status_code == 302 and location(r) == "/organisation"
    session.expire_all()
    fresh = session.get(Partner, partner.id)
    # Name and verticals are the vendor's now (a proposal asks for them): not changed here.
    assert fresh.name == "Own Profile" and fresh.verticals == []
    assert fresh.website_domains == ["own-profile.example"]
    assert fresh.tier_id == base_tier.id and fresh.status == PartnerStatus.ACTIVE


def test_partner_user_may_not_edit_the_profile(
    client, make_user, make_partner, sign_in_as, session
):
    partner = make_partner(name="Read Only Org")
    sign_in_as(make_user(Role.PARTNER_USER, partner=partner))
    assert client.get(f"/partners/{partner.id}/edit").status_code in (302, 403)
    r = post_form(client, f"/partners/{partner.id}/edit", {"name": "Hijacked"})
    assert r.status_code in (302, 403, 422)
    assert "may not change" in text_of(r) or r.status_code != 422
    session.expire_all()
    assert session.get(Partner, partner.id).name == "Read Only Org"


# --- my organisation and its users ---------------------------------------------------------------


def test_partner_admin_sees_and_adds_users(client, make_user, make_partner, sign_in_as, session):
    partner = make_partner(name="Org With Users")
    admin = make_user(Role.PARTNER_ADMIN, partner=partner, display_name="The Admin")
    colleague = make_user(Role.PARTNER_USER, partner=partner, display_name="A Colleague")
    sign_in_as(admin)
    r = client.get("/organisation")
    assert r.status_code == 200
    html = text_of(r)
    assert "Org With Users" in html and "The Admin" in html and colleague.email in html
    page = Page(html)
    assert any(f["action"] == f"/partners/{partner.id}/users" for f in page.forms)
    assert any(f["action"] == f"/users/{colleague.id}/active" for f in page.forms)
    assert not any(f["action"] == f"/users/{admin.id}/active" for f in page.forms)  # not oneself

    email = f"new-{uuid.uuid4().hex[:6]}@example.com"
    r = post_form(
        client,
        f"/partners/{partner.id}/users",
        {
            "email": email,
            "password": "a-long-password",
            "display_name": "New Person",
            "role": "partner_user",
        },
    )
    assert r.status_code == 302 and location(r) == "/organisation"
    assert f"New Person can now sign in as {email}." in text_of(client.get("/organisation"))
    session.expire_all()
    created = session.scalar(select(User).where(User.email == email))
    assert created.partner_id == partner.id and created.role == Role.PARTNER_USER

    # The new user can sign in.
    post_form(client, "/sign-out")
    client.get("/sign-in")
    r = post_form(client, "/sign-in", {"email": email, "password": "a-long-password"})
    assert r.status_code == 302


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {
                "email": "not-an-email",
                "password": "a-long-password",
                "display_name": "X",
                "role": "partner_user",
            },
            "email",
        ),
        (
            {
                "email": "ok@example.com",
                "password": "short",
                "display_name": "X",
                "role": "partner_user",
            },
            "password",
        ),
        (
            {
                "email": "ok@example.com",
                "password": "a-long-password",
                "display_name": "",
                "role": "partner_user",
            },
            "display_name",
        ),
        (
            {
                "email": "ok@example.com",
                "password": "a-long-password",
                "display_name": "X" * 10_000,
                "role": "partner_user",
            },
            "display_name",
        ),
        (
            {
                "email": "ok@example.com",
                "password": "a-long-password",
                "display_name": "X",
                "role": "vendor_admin",
            },
            "role",
        ),
        (
            {
                "email": "ok@example.com",
                "password": "a-long-password",
                "display_name": "X",
                "role": "",
            },
            "role",
        ),
    ],
)
def test_add_user_with_bad_values_is_refused(
    client, make_user, make_partner, sign_in_as, session, values, message
):
    partner = make_partner()
    sign_in_as(make_user(Role.PARTNER_ADMIN, partner=partner))
    before = count(session, User)
    r = post_form(client, f"/partners/{partner.id}/users", values)
    assert r.status_code == 302
    html = text_of(client.get("/organisation"))
    assert "flash-error" in html and message in html
    assert count(session, User) == before


def test_add_user_with_taken_email(client, make_user, make_partner, sign_in_as, session):
    partner = make_partner()
    existing = make_user(Role.VENDOR_ADMIN)
    sign_in_as(make_user(Role.PARTNER_ADMIN, partner=partner))
    before = count(session, User)
    r = post_form(
        client,
        f"/partners/{partner.id}/users",
        {
            "email": existing.email.upper(),
            "password": "a-long-password",
            "display_name": "Dup",
            "role": "partner_user",
        },
    )
    page = text_of(client.get("/organisation"))
    # Vendor staff's address: refused without saying it exists, or whose it is.
    assert r.status_code == 302 and "cannot be used for a new account here" in page
    assert "already" not in page and "exists" not in page
    assert count(session, User) == before


def test_partner_user_sees_organisation_without_user_management(
    client, make_user, make_partner, sign_in_as, session
):
    partner = make_partner(name="Plain Member Org")
    colleague = make_user(Role.PARTNER_USER, partner=partner)
    sign_in_as(make_user(Role.PARTNER_USER, partner=partner))
    html = text_of(client.get("/organisation"))
    assert "Plain Member Org" in html
    assert colleague.email not in html and "/users" not in html and "/edit" not in html
    before = count(session, User)
    r = post_form(
        client,
        f"/partners/{partner.id}/users",
        {
            "email": "x@example.com",
            "password": "a-long-password",
            "display_name": "X",
            "role": "partner_admin",
        },
    )
    assert r.status_code in (302, 403)
    assert count(session, User) == before


def test_vendor_organisation_goes_to_partner_list(client, make_user, sign_in_as):
    sign_in_as(make_user(Role.VENDOR_ADMIN))
    r = client.get("/organisation")
    assert r.status_code == 302 and location(r) == "/partners"


def test_vendor_adds_user_to_partner_from_detail(
    client, make_user, make_partner, sign_in_as, session
):
    partner = make_partner()
    sign_in_as(make_user(Role.CHANNEL_MANAGER))
    email = f"added-{uuid.uuid4().hex[:6]}@example.com"
    r = post_form(
        client,
        f"/partners/{partner.id}/users",
        {
            "email": email,
            "password": "a-long-password",
            "display_name": "Added",
            "role": "partner_admin",
        },
    )
    assert r.status_code == 302 and location(r) == f"/partners/{partner.id}"
    assert email in text_of(client.get(f"/partners/{partner.id}"))


def test_user_deactivate_and_reactivate(client, make_user, make_partner, sign_in_as, session):
    partner = make_partner()
    member = make_user(Role.PARTNER_USER, partner=partner)
    admin = make_user(Role.PARTNER_ADMIN, partner=partner)
    sign_in_as(admin)
    r = post_form(
        client,
        f"/users/{member.id}/active",
        {"active": "0"},
        headers={"Referer": "http://localhost/organisation"},
    )
    assert r.status_code == 302 and location(r) == "/organisation"
    session.expire_all()
    assert session.get(User, member.id).active is False
    assert "Deactivated" in text_of(client.get("/organisation"))
    post_form(client, f"/users/{member.id}/active", {"active": "1"})
    session.expire_all()
    assert session.get(User, member.id).active is True
    # Nobody deactivates themselves.
    r = post_form(client, f"/users/{admin.id}/active", {"active": "0"})
    assert r.status_code == 302
    session.expire_all()
    assert session.get(User, admin.id).active is True


# --- tiers ---------------------------------------------------------------------------------------


def test_vendor_admin_adds_a_tier(client, make_user, sign_in_as, session):
    sign_in_as(make_user(Role.VENDOR_ADMIN))
    r = client.get("/tiers")
    assert r.status_code == 200 and "No tiers yet" in text_of(r) and "Add a tier" in text_of(r)
    r = post_form(
        client,
        "/tiers",
        {
            "name": "Platinum",
            "rank": "500",
            "mdf_share_percent": "5.5",
            "discount_percent": "20",
            "content_access": "standard, premium",
            "description": "Top",
        },
    )
    assert r.status_code == 302 and location(r) == "/tiers"
    html = text_of(client.get("/tiers"))
    assert "Tier Platinum added." in html and "Platinum" in html and "standard, premium" in html
    session.expire_all()
    tier = session.scalar(select(Tier).where(Tier.name == "Platinum"))
    assert tier.rank == 500 and str(tier.mdf_share_percent) == "5.50"


def test_tier_form_errors_redisplay(client, make_user, make_tier, sign_in_as, session):
    make_tier(name="Existing", rank=10)
    sign_in_as(make_user(Role.VENDOR_ADMIN))
    before = count(session, Tier)
    r = post_form(
        client,
        "/tiers",
        {"name": "existing", "rank": "11", "mdf_share_percent": "1", "discount_percent": "1"},
    )
    assert r.status_code == 422 and "already" in text_of(r)
    r = post_form(
        client,
        "/tiers",
        {"name": "Other", "rank": "10", "mdf_share_percent": "1", "discount_percent": "1"},
    )
    assert r.status_code == 422 and "rank" in text_of(r)
    r = post_form(
        client,
        "/tiers",
        {"name": "Other", "rank": "-1", "mdf_share_percent": "abc", "discount_percent": "101"},
    )
    assert r.status_code == 422
    html = text_of(r)
    assert "whole number" in html and "decimal number" in html and "between 0 and 100" in html
    assert 'value="abc"' in html
    assert count(session, Tier) == before


@pytest.mark.parametrize("role", [Role.CHANNEL_MANAGER, Role.MARKETING_MANAGER])
def test_other_vendor_roles_read_tiers_only(
    client, make_user, make_tier, sign_in_as, session, role
):
    make_tier(name="Visible Tier")
    sign_in_as(make_user(role))
    html = text_of(client.get("/tiers"))
    assert "Visible Tier" in html and "Add a tier" not in html
    before = count(session, Tier)
    r = post_form(
        client,
        "/tiers",
        {"name": "Sneaky", "rank": "3", "mdf_share_percent": "1", "discount_percent": "1"},
    )
    assert r.status_code in (403, 422)
    assert count(session, Tier) == before


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.PARTNER_USER])
def test_tiers_page_is_vendor_only(client, make_user, sign_in_as, session, role):
    sign_in_as(make_user(role))
    assert client.get("/tiers").status_code == 404
    before = count(session, Tier)
    r = post_form(
        client,
        "/tiers",
        {"name": "Sneaky", "rank": "3", "mdf_share_percent": "1", "discount_percent": "1"},
    )
    assert r.status_code == 404
    assert count(session, Tier) == before


# --- audit log -----------------------------------------------------------------------------------


def test_audit_log_lists_changes(client, make_user, make_tier, sign_in_as):
    admin = make_user(Role.VENDOR_ADMIN)
    sign_in_as(admin)
    assert "Nothing has changed yet." in text_of(client.get("/audit"))
    post_form(
        client,
        "/tiers",
        {"name": "Audited Tier", "rank": "7", "mdf_share_percent": "1", "discount_percent": "1"},
    )
    html = text_of(client.get("/audit"))
    assert "tier.created" in html and admin.email in html and "Audited Tier" in html


def test_channel_manager_reads_the_audit_log(client, make_user, make_tier, sign_in_as):
    tier = make_tier()
    manager = make_user(Role.CHANNEL_MANAGER)
    sign_in_as(manager)
    data = partner_form(tier)
    assert post_form(client, "/partners/new", data).status_code == 302
    r = client.get("/audit")
    assert r.status_code == 200
    html = text_of(r)
    assert "partner.created" in html and manager.email in html and data["name"] in html


@pytest.mark.parametrize("role", [Role.MARKETING_MANAGER, Role.PARTNER_ADMIN, Role.PARTNER_USER])
def test_audit_log_is_refused_to_other_roles(client, make_user, sign_in_as, role):
    sign_in_as(make_user(role))
    r = client.get("/audit")
    assert r.status_code in (302, 403, 404)
    assert "Audit log" not in text_of(r)
    if r.status_code == 302:
        assert "Your role does not allow this." in text_of(client.get(location(r)))


def test_audit_log_paginates(client, make_user, sign_in_as, session):
    admin = make_user(Role.VENDOR_ADMIN)
    sign_in_as(admin)
    from prm_domain import audit

    for i in range(55):
        audit.record(session, admin, f"test.event{i}", admin)
    session.flush()
    html = text_of(client.get("/audit"))
    assert "Page 1 of 2" in html and "test.event54" in html and "test.event0<" not in html
    html = text_of(client.get("/audit?page=2"))
    assert "Page 2 of 2" in html and "test.event0" in html


# --- static files: all served by the app, no CDN, no inline script or style ----------------------


def all_pages(client, make_user, make_partner, make_tier, sign_in_as):
    """Every page of the portal, as (path, html), for a vendor admin and for a partner admin."""
    tier = make_tier()
    partner = make_partner(tier=tier)
    make_user(Role.PARTNER_USER, partner=partner)
    pages: list[tuple[str, str]] = []
    for path in ("/sign-in", "/no-such-page"):
        pages.append((path, text_of(client.get(path))))
    sign_in_as(make_user(Role.VENDOR_ADMIN))
    for path in (
        "/",
        "/partners",
        "/partners?q=zzz",
        f"/partners/{partner.id}",
        "/partners/new",
        f"/partners/{partner.id}/edit",
        "/tiers",
        "/audit",
        "/partners/999999",
    ):
        r = client.get(path)
        assert r.status_code in (200, 404), path
        pages.append((path, text_of(r)))
    post_form(client, "/sign-out")
    sign_in_as(make_user(Role.PARTNER_ADMIN, partner=partner))
    for path in ("/", "/organisation", f"/partners/{partner.id}/edit"):
        r = client.get(path)
        assert r.status_code == 200, path
        pages.append((path, text_of(r)))
    return pages


def test_no_page_loads_anything_from_another_site(
    client, make_user, make_partner, make_tier, sign_in_as
):
    static_refs: set[str] = set()
    for path, html in all_pages(client, make_user, make_partner, make_tier, sign_in_as):
        page = Page(html)
        assert page.inline_scripts == 0 and page.style_attrs == 0, (
            path
        )  # CSP has no 'unsafe-inline'
        assert "<style" not in html, path
        tags = {tag for tag, _, _ in page.refs}
        assert {"script", "link"} <= tags, path
        for tag, attr, value in page.refs:
            parts = urlsplit(value)
            if tag in (
                "script",
                "link",
                "img",
                "iframe",
                "source",
                "video",
                "audio",
                "object",
                "embed",
            ):
                assert not parts.scheme and not parts.netloc, (
                    f"{path}: {tag} {attr}={value} is external"
                )
            if tag in ("script", "link"):
                assert value.startswith("/static/"), f"{path}: {value}"
            if value.startswith("/static/"):
                static_refs.add(value)
            assert not value.startswith(("http://", "https://", "//")), f"{path}: {value}"
    assert {"/static/css/app.css", "/static/js/app.js"} <= static_refs
    for ref in static_refs:
        r = client.get(ref)
        assert r.status_code == 200, ref
        body = r.get_data(as_text=True)
        r.close()
        assert body.strip(), ref
        if ref.endswith(".css"):
            assert r.mimetype == "text/css"
            assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", body), ref
        if ref.endswith(".js"):
            assert r.mimetype in ("text/javascript", "application/javascript")
            assert not re.search(r"https?://", body), ref


def test_pages_are_responsive(client):
    html = text_of(client.get("/sign-in"))
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    r = client.get("/static/css/app.css")
    css = r.get_data(as_text=True)
    r.close()
    assert "@media (max-width:" in css and ".nav-toggle" in css
    r = client.get("/static/js/app.js")
    assert "nav-toggle" in r.get_data(as_text=True)
    r.close()


def test_email_breaks_escapes_and_marks_wrap_points(app) -> None:
    with app.app_context():
        out = app.jinja_env.filters["email_breaks"]('<b onclick="x">@a.example')
    assert out == "&lt;b onclick=&#34;x&#34;&gt;@<wbr>a.<wbr>example"
