"""Campaign pages across tenants: another organisation's campaign (one it is not invited to)
and invitation are 404 on every page with an id, and nothing changes; the own one works."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from prm_domain.campaigns import campaigns
from prm_domain.enums import Role
from prm_domain.models import Channel, Enrolment, Publication
from tests.app.test_portal import (  # noqa: F401 - fast_argon2 and password_hash are fixtures
    fast_argon2,
    password_hash,
    post_form,
    text_of,
)
from tests.app.test_portal_tenancy import snapshot

CA = "/campaigns/<id:campaign_id>"
EN = "/enrolments/<id:enrolment_id>"
CROSS_TENANT_CASES: list[tuple[str, str]] = [
    (CA, "GET"),
    (CA + "/edit", "POST"),
    (CA + "/items", "POST"),
    (CA + "/<any(launch, pause, resume, duplicate):action>", "POST"),
    (CA + "/results.csv", "GET"),
    (EN + "/approve", "POST"),
    (EN + "/<any('opt-out', pause, resume):step>", "POST"),
]


@pytest.fixture
def world(make_partner, make_user, session) -> dict[str, Any]:
    owner = make_partner(name="Invited Owner Ltd")
    intruder = make_partner(name="Intruder Org GmbH")
    marketing = make_user(Role.MARKETING_MANAGER)
    campaign = campaigns.create_campaign(
        session, marketing, {"name": "Owner-only launch", "audience_tier_ids": [owner.tier_id]}
    )
    campaigns.add_item(session, marketing, campaign.id, {"kind": "social", "text": "Secret text"})
    campaigns.launch_campaign(session, marketing, campaign.id)
    enrolment = session.scalars(select(Enrolment).where(Enrolment.campaign_id == campaign.id)).one()
    session.commit()
    return {
        "campaign": campaign.id,
        "enrolment": enrolment.id,
        "owner_admin": make_user(Role.PARTNER_ADMIN, partner=owner),
        "intruders": [
            make_user(Role.PARTNER_ADMIN, partner=intruder),
            make_user(Role.PARTNER_USER, partner=intruder),
        ],
    }


def _calls(client: Any, w: dict[str, Any]) -> dict[tuple[str, str], Any]:
    c, e = w["campaign"], w["enrolment"]
    return {
        (CA, "GET"): lambda: client.get(f"/campaigns/{c}"),
        (CA + "/edit", "POST"): lambda: post_form(client, f"/campaigns/{c}/edit", {"name": "X"}),
        (CA + "/items", "POST"): lambda: post_form(
            client, f"/campaigns/{c}/items", {"kind": "social", "text": "planted"}
        ),
        (CA + "/<any(launch, pause, resume, duplicate):action>", "POST"): lambda: post_form(
            client, f"/campaigns/{c}/pause"
        ),
        (CA + "/results.csv", "GET"): lambda: client.get(f"/campaigns/{c}/results.csv"),
        (EN + "/approve", "POST"): lambda: post_form(client, f"/enrolments/{e}/approve"),
        (EN + "/<any('opt-out', pause, resume):step>", "POST"): lambda: post_form(
            client, f"/enrolments/{e}/opt-out"
        ),
    }


def test_cross_tenant_cases_cover_every_campaign_route_with_an_id(app):
    rules = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("portal_campaigns.") and rule.arguments
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert rules == set(CROSS_TENANT_CASES)


def test_another_organisation_gets_404_and_the_owner_gets_through(
    client, sign_in_as, session, world
):
    calls = _calls(client, world)
    assert set(calls) == set(CROSS_TENANT_CASES)
    for actor in world["intruders"]:
        sign_in_as(actor)
        before = snapshot(session)
        for key, call in calls.items():
            r = call()
            assert r.status_code == 404, f"{key}: {r.status_code}"
            assert "Owner-only launch" not in text_of(r) and "Secret text" not in text_of(r)
        assert snapshot(session) == before
        assert "Owner-only launch" not in text_of(client.get("/campaigns"))
    sign_in_as(world["owner_admin"])
    assert "Secret text" in text_of(calls[(CA, "GET")]())
    r = post_form(
        client, f"/enrolments/{world['enrolment']}/approve", {"outbox": "1", "scope": "all"}
    )
    assert r.status_code == 302
    pubs = session.scalars(
        select(Publication).where(Publication.enrolment_id == world["enrolment"])
    ).all()
    assert len(pubs) == 1 and pubs[0].content["text"] == "Secret text"
    assert session.get(Channel, pubs[0].channel_id).kind.value == "outbox"
    assert calls[(CA + "/edit", "POST")]().status_code == 403  # the vendor's to change


def test_every_post_route_refuses_a_missing_csrf_token(app, client, sign_in_as, session, world):
    c, e = world["campaign"], world["enrolment"]
    paths = {
        "portal_campaigns.campaign_create": "/campaigns",
        "portal_campaigns.campaign_update": f"/campaigns/{c}/edit",
        "portal_campaigns.item_add": f"/campaigns/{c}/items",
        "portal_campaigns.campaign_action": f"/campaigns/{c}/pause",
        "portal_campaigns.enrolment_approve": f"/enrolments/{e}/approve",
        "portal_campaigns.enrolment_step": f"/enrolments/{e}/opt-out",
        "portal_campaigns.contact_add": "/contacts",
        "portal_campaigns.contact_import": "/contacts/import",
    }
    posts = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("portal_campaigns.") and "POST" in rule.methods
    }
    assert posts == set(paths)
    sign_in_as(world["owner_admin"])
    before = snapshot(session)
    for endpoint, path in paths.items():
        assert client.post(path, data={"name": "x"}).status_code == 400, endpoint
        assert client.post(path, data={"csrf_token": "forged"}).status_code == 400, endpoint
    assert snapshot(session) == before


def test_results_calendar_and_channels_say_states_in_words(
    client, sign_in_as, session, world, make_user
):
    """No raw stored values ("invited", "social", "outbox", "connected") on the pages people
    read: the results table, the calendar, the channel list and the preview's channel choice."""
    c, e = world["campaign"], world["enrolment"]
    sign_in_as(world["owner_admin"])
    preview = text_of(client.get(f"/campaigns/{c}"))
    assert "· social post ·" in preview and "· social ·" not in preview
    assert post_form(client, f"/enrolments/{e}/approve", {"outbox": "1"}).status_code == 302
    due = session.scalars(select(Publication.due_at).where(Publication.campaign_id == c)).first()
    assert due is not None
    calendar = text_of(client.get(f"/calendar?view=week&date={due.date().isoformat()}"))
    assert "Social post" in calendar and "Owner-only launch" in calendar
    assert "(scheduled)" in calendar and " social " not in calendar
    channels = text_of(client.get("/channels"))
    assert 'href="/outbox"' in channels and "Connected" in channels
    assert "Outbox (preview feed) · Outbox" not in channels
    sign_in_as(make_user(Role.MARKETING_MANAGER))
    results = text_of(client.get(f"/campaigns/{c}"))
    assert 'data-label="Partner\'s answer">Approved<' in results
    assert 'data-label="Channel">Outbox<' in results and 'data-label="Post">Scheduled<' in results
    # Nothing published yet: the chart's place says so, rather than an empty drawing.
    assert "Nothing published yet" in results


def test_posts_per_day_chart_says_which_days_it_covers():
    import datetime as dt

    from app.portal_campaigns import _bars

    day = dt.date(2026, 11, 28)
    assert _bars([(day, 1), (day + dt.timedelta(days=1), 2)])["span"] == "28 Nov to 29 Nov"
    assert _bars([(day, 3)])["span"] == "on 28 Nov" and _bars([])["span"] == ""
