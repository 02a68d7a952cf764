"""The portal's main menu: its links as data, and which of them a signed-in person gets.

Which links show is asked of the one rule (``access.has``, ``access.status_allows``), once per
kind of person: the answers depend only on the role, whether the account is active and the
areas the organisation's status opens (``access.open_areas``), so people alike share them. A
menu asked link by link in the template (a ``url_for`` and a rights check each) was a fifth of
a small portal page's work (bench/bench_scale.py).

To add a page, add one ``Link`` to its group; a group with no link left is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request, url_for
from markupsafe import escape

from prm_domain import access
from prm_domain.access import Area, Right
from prm_domain.models import User


@dataclass(frozen=True)
class Link:
    endpoint: str
    words: str
    right: Right | None = None  # shown only with this right
    area: Area | None = None  # shown only while the organisation's status opens this area
    own_partner: bool = False  # the URL names the person's own organisation


VENDOR_GROUPS: tuple[tuple[str, tuple[Link, ...]], ...] = (
    (
        "Content",
        (
            Link("portal_library.library", "Library", area=Area.CONTENT),
            Link("portal_syndication.item_list", "Syndication"),
            Link("portal_campaigns.campaign_list", "Campaigns"),
            Link("portal_campaigns.calendar", "Campaign calendar"),
        ),
    ),
    (
        "Partners",
        (
            Link("portal.partner_list", "Partners"),
            Link("portal.tier_list", "Tiers"),
            Link("portal_tiers.programme", "Tier rules"),
            Link("portal_scorecards.ranking", "Scorecards", right=Right.VIEW_SCORECARDS),
            Link("portal_training.applications", "Applications", right=Right.MANAGE_PARTNERS),
            Link("portal_training.rules", "Onboarding rules", right=Right.MANAGE_PARTNERS),
            Link("portal_training.dpa", "DPA", right=Right.MANAGE_PARTNERS),
        ),
    ),
    (
        "Pipeline",
        (
            Link("portal_deals.deal_list", "Deals"),
            Link("portal_deals.account_list", "Direct accounts", right=Right.MANAGE_ACCOUNTS),
            Link("portal_syndication.lead_list", "Leads", right=Right.VIEW_LEADS),
            Link("portal_leads.rules", "Lead routing", right=Right.MANAGE_LEAD_ROUTING),
            Link("portal_deals.webhook_list", "CRM webhooks", right=Right.MANAGE_DEAL_WEBHOOKS),
        ),
    ),
    (
        "Programs",
        (
            Link("portal_training.catalogue", "Training"),
            Link("portal_training.manage", "Manage training", right=Right.MANAGE_TRAINING),
            Link("portal_mdf.overview", "MDF", right=Right.VIEW_MDF),
        ),
    ),
)

PARTNER_GROUPS: tuple[tuple[str, tuple[Link, ...]], ...] = (
    (
        "Marketing",
        (
            Link("portal_library.library", "Library", area=Area.CONTENT),
            Link("portal_campaigns.campaign_list", "Campaigns", area=Area.CONTENT),
            Link("portal_channels.channel_list", "Channels", right=Right.MANAGE_OWN_CHANNELS),
            Link("portal_syndication.embed_list", "Website embeds", area=Area.EMBEDS),
            Link("portal_library.brand_kit", "Brand kit", own_partner=True),
        ),
    ),
    (
        "Sales",
        (
            Link("portal_syndication.lead_list", "Leads", area=Area.LEADS),
            Link("portal_deals.deal_list", "Deals", area=Area.DEALS),
        ),
    ),
    (
        "Programs",
        (
            Link("portal_training.catalogue", "Training"),
            Link("portal_mdf.overview", "MDF", right=Right.VIEW_MDF),
            Link("portal_tiers.progress", "Your tier", own_partner=True),
            Link("portal_scorecards.ranking", "My scorecard", right=Right.VIEW_SCORECARDS),
        ),
    ),
    (
        "Organisation",
        (
            Link("portal.organisation", "My organisation"),
            Link("portal_training.dpa", "DPA"),
        ),
    ),
)

# The account panel's links: the audit log needs an open organisation as the menu does.
ACCOUNT_LINKS: tuple[Link, ...] = (
    Link("portal.audit_log", "Audit log", right=Right.VIEW_AUDIT, area=Area.ORGANISATION),
    Link("portal.password_change", "Password"),
)


@dataclass(frozen=True)
class Menu:
    """What one kind of person's menu holds: (href, words) per link, hrefs worked out."""

    dashboard: str | None  # None: the organisation's status opens only the notice, no menu
    groups: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    account: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Shown:
    """A link as this page shows it: ``state`` is "page" on its own page, "within" on a page
    below it (a partner under Partners), else ""."""

    href: str
    words: str
    state: str

    def __html__(self) -> str:
        mark = {"page": ' aria-current="page"', "within": " data-within"}.get(self.state, "")
        return f'<a href="{escape(self.href)}"{mark}>{escape(self.words)}</a>'


_MENUS: dict[tuple[Any, ...], Menu] = {}
# A few per role and status, one more per organisation for its own links; bounded because the
# script root comes from the request (a proxy's SCRIPT_NAME).
_MAX_MENUS = 2048


def menu_for(user: User) -> Menu:
    """The links ``user`` gets, kept per kind of person (see the module's docstring)."""
    areas = access.open_areas(user)
    # The partner's id: two links name the person's own organisation. The script root: a
    # portal served under a path prefix has other hrefs.
    key = (user.role, user.active, areas, user.partner_id, request.script_root)
    menu = _MENUS.get(key)
    if menu is None:
        menu = _build(user, areas)
        if len(_MENUS) >= _MAX_MENUS:
            _MENUS.clear()
        _MENUS[key] = menu
    return menu


def _build(user: User, areas: frozenset[Area]) -> Menu:
    def shown(link: Link) -> bool:
        return (link.right is None or access.has(user, link.right)) and (
            link.area is None or link.area in areas
        )

    def href(link: Link) -> str:
        if link.own_partner:
            return url_for(link.endpoint, partner_id=user.partner_id)
        return url_for(link.endpoint)

    def links(group: tuple[Link, ...]) -> tuple[tuple[str, str], ...]:
        return tuple((href(link), link.words) for link in group if shown(link))

    status_open = Area.ORGANISATION in areas
    groups: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    if status_open:
        every = VENDOR_GROUPS if user.is_vendor else PARTNER_GROUPS
        groups = tuple((title, found) for title, group in every if (found := links(group)))
    return Menu(
        dashboard=url_for("portal.dashboard") if status_open else None,
        groups=groups,
        account=links(ACCOUNT_LINKS),
    )


def marked(menu: Menu, path: str) -> dict[str, Any]:
    """The menu as this page shows it: each link's state, and which group holds this page."""

    def state(href: str) -> str:
        if path == href:
            return "page"
        if href != "/" and path.startswith(href + "/"):
            return "within"
        return ""

    groups = []
    for title, group in menu.groups:
        links = [Shown(href, words, state(href)) for href, words in group]
        groups.append((title, links, any(link.state for link in links)))
    return {
        "dashboard": Shown(menu.dashboard, "Dashboard", state(menu.dashboard))
        if menu.dashboard
        else None,
        "groups": groups,
        "account": [Shown(href, words, state(href)) for href, words in menu.account],
    }
