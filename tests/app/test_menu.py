"""The portal's menu (app/menu.py): worked out once per kind of person, shown per page."""

from __future__ import annotations

import re
from typing import Any

from prm_domain.enums import PartnerStatus, Role
from tests.app.test_portal import text_of


def menu_of(html: str) -> str:
    found = re.search(r'<nav id="mainnav".*?</nav>', html, re.S)
    assert found, "no main navigation"
    return found.group(0)


def groups_of(nav: str) -> dict[str, list[str]]:
    """Each group's title and its links' words."""
    return {
        title: re.findall(r"<a [^>]*>([^<]+)</a>", panel)
        for title, panel in re.findall(
            r'<details class="nav-group"[^>]*>\s*<summary>([^<]+)</summary>\s*'
            r'<div class="nav-panel">(.*?)</div>',
            nav,
            re.S,
        )
    }


def test_people_alike_share_a_menu_whose_links_name_their_own_organisation(
    client: Any, make_user: Any, make_partner: Any, sign_in_as: Any
) -> None:
    first, second = make_partner(), make_partner()
    seen = []
    for partner in (first, second):
        sign_in_as(make_user(Role.PARTNER_ADMIN, partner=partner))
        nav = menu_of(text_of(client.get("/")))
        seen.append(groups_of(nav))
        other = second if partner is first else first
        assert f'href="/partners/{partner.id}/brand-kit"' in nav
        assert f"/partners/{other.id}/" not in nav
        client.post("/sign-out", data={"csrf_token": ""})
    assert seen[0] == seen[1]
    assert seen[0]["Sales"] == ["Leads", "Deals"] and "Brand kit" in seen[0]["Marketing"]


def test_the_page_one_is_on_is_marked_and_so_is_its_group(
    client: Any, make_user: Any, make_partner: Any, sign_in_as: Any
) -> None:
    partner = make_partner()
    sign_in_as(make_user(Role.VENDOR_ADMIN))
    nav = menu_of(text_of(client.get("/partners")))
    assert '<a href="/partners" aria-current="page">Partners</a>' in nav
    assert re.search(r'<details class="nav-group" data-current>\s*<summary>Partners<', nav)
    assert '<a href="/" aria-current' not in nav
    # A page below a link (one partner under Partners) marks the link as "within".
    nav = menu_of(text_of(client.get(f"/partners/{partner.id}")))
    assert '<a href="/partners" data-within>Partners</a>' in nav
    assert re.search(r'<details class="nav-group" data-current>\s*<summary>Partners<', nav)
    nav = menu_of(text_of(client.get("/")))
    assert '<a href="/" aria-current="page">Dashboard</a>' in nav
    assert "data-current" not in nav and "data-within" not in nav


def test_a_menu_changes_with_the_role_and_the_organisations_status(
    client: Any, session: Any, make_user: Any, make_partner: Any, sign_in_as: Any
) -> None:
    sign_in_as(make_user(Role.MARKETING_MANAGER))
    vendor_groups = groups_of(menu_of(text_of(client.get("/"))))
    assert vendor_groups["Pipeline"] == ["Deals", "Leads"]  # no accounts, routing, webhooks
    assert "Audit log" not in menu_of(text_of(client.get("/")))
    client.post("/sign-out", data={"csrf_token": ""})
    partner = make_partner(status=PartnerStatus.ONBOARDING)
    user = make_user(Role.PARTNER_ADMIN, partner=partner)
    sign_in_as(user)
    groups = groups_of(menu_of(text_of(client.get("/"))))
    assert "Library" not in groups["Marketing"] and "Sales" not in groups  # not active yet
    partner.status = PartnerStatus.SUSPENDED
    session.commit()
    page = client.get("/", follow_redirects=True)
    nav = menu_of(text_of(page))
    assert groups_of(nav) == {} and "Dashboard" not in nav  # the notice is all they get
    assert 'href="/account/password"' in nav
