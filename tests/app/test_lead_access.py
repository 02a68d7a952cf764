"""Who sees lead data (personal data of the people who filled in a partner's form).

Partner admins and vendor roles see every lead in their scope; a partner user sees only the
leads assigned to them, on every face alike: API list, one lead, CSV export, portal list,
detail and the export link, and the notifications that carry a lead's name.
"""

from __future__ import annotations

from typing import Any

from prm_domain.models import AuditEvent, Notification
from tests.app import test_portal_syndication as synd
from tests.app.test_portal import (  # noqa: F401 - fast_argon2 and password_hash are fixtures
    fast_argon2,
    password_hash,
    post_form,
    text_of,
)
from tests.app.test_portal_syndication import make_embed, make_item, make_lead

world = synd.world  # the same organisations, users and roles as the portal tests


def leads_of(world: dict[str, Any], session: Any) -> tuple[Any, Any]:
    form = make_item(session, world["marketing"], "lead_form")
    embed = make_embed(session, world["acme_admin"], world["acme"], name="Shop")
    mine = make_lead(session, embed, form, name="Assigned Alice", email="alice@buyer.example")
    theirs = make_lead(session, embed, form, name="Unassigned Bob", email="bob@buyer.example")
    return mine, theirs


def test_partner_user_sees_only_leads_assigned_to_them_over_the_api(world, session, api_as):
    mine, theirs = leads_of(world, session)
    admin, member = api_as(world["acme_admin"]), api_as(world["acme_user"])
    # Before any assignment, the partner user sees no lead at all.
    assert member.get("/api/v1/leads").json["total"] == 0
    assert member.get(f"/api/v1/leads/{mine.id}").status_code == 404
    assert "Assigned Alice" not in member.get("/api/v1/leads/export.csv").get_data(as_text=True)

    r = admin.patch(f"/api/v1/leads/{mine.id}", {"assigned_user_id": world["acme_user"].id})
    assert r.status_code == 200 and r.json["assigned_user_id"] == world["acme_user"].id
    listed = member.get("/api/v1/leads").json
    assert [x["id"] for x in listed["items"]] == [mine.id]
    assert member.get(f"/api/v1/leads/{mine.id}").json["email"] == "alice@buyer.example"
    ghost = member.get("/api/v1/leads/2000000000")
    other = member.get(f"/api/v1/leads/{theirs.id}")
    assert other.status_code == 404 and other.get_data() == ghost.get_data()
    csv = member.get("/api/v1/leads/export.csv").get_data(as_text=True)
    assert "alice@buyer.example" in csv and "bob@buyer.example" not in csv
    # The admin still sees both; vendors see all.
    assert admin.get("/api/v1/leads").json["total"] == 2
    assert api_as(world["channel"]).get("/api/v1/leads").json["total"] == 2
    event = session.query(AuditEvent).filter_by(action="lead.assigned").one()
    assert event.changes == {"assigned_user_id": [None, world["acme_user"].id]}


def test_only_the_partners_admins_assign_and_only_to_their_members(world, session, api_as):
    mine, _ = leads_of(world, session)
    url = f"/api/v1/leads/{mine.id}"
    member, vendor = api_as(world["acme_user"]), api_as(world["channel"])
    assert member.patch(url, {"assigned_user_id": world["acme_user"].id}).status_code == 404
    assert vendor.patch(url, {"assigned_user_id": world["acme_user"].id}).status_code == 403
    admin = api_as(world["acme_admin"])
    stranger = admin.patch(url, {"assigned_user_id": world["other_user"].id})
    nobody = admin.patch(url, {"assigned_user_id": 2_000_000_000})
    assert stranger.status_code == nobody.status_code == 422
    assert stranger.get_data() == nobody.get_data()  # another tenant's user id tells nothing
    assert admin.patch(url, {"assigned_user_id": "7"}).status_code == 422
    assert admin.patch(url, {"assigned_user_id": None}).json["assigned_user_id"] is None


def test_partner_user_sees_only_assigned_leads_in_the_portal(
    world, session, client, sign_in_as, api_as
):
    mine, theirs = leads_of(world, session)
    sign_in_as(world["acme_user"])
    listing = text_of(client.get("/leads"))
    assert "Assigned Alice" not in listing and "Unassigned Bob" not in listing
    assert client.get(f"/leads/{mine.id}").status_code == 404

    sign_in_as(world["acme_admin"])
    detail = client.get(f"/leads/{mine.id}")
    assert 'name="assigned_user_id"' in text_of(detail)
    r = post_form(
        client, f"/leads/{mine.id}/assign", {"assigned_user_id": str(world["acme_user"].id)}
    )
    assert r.status_code == 302

    sign_in_as(world["acme_user"])
    listing = text_of(client.get("/leads"))
    assert "Assigned Alice" in listing and "Unassigned Bob" not in listing
    assert client.get(f"/leads/{mine.id}").status_code == 200
    assert client.get(f"/leads/{theirs.id}").status_code == 404
    assert 'name="assigned_user_id"' not in text_of(client.get(f"/leads/{mine.id}"))
    csv = text_of(client.get("/api/v1/leads/export.csv"))  # the page's export link, by cookie
    assert "alice@buyer.example" in csv and "bob@buyer.example" not in csv
    # A partner user cannot assign, not even to themselves.
    assert (
        post_form(
            client, f"/leads/{theirs.id}/assign", {"assigned_user_id": str(world["acme_user"].id)}
        ).status_code
        == 404
    )


def test_lead_notifications_reach_only_those_who_may_see_the_lead(
    world, session, client, sign_in_as, api_as
):
    mine, _ = leads_of(world, session)  # each new lead notified the organisation
    sign_in_as(world["acme_user"])
    body = text_of(client.get("/"))
    assert "Assigned Alice" not in body and "Unassigned Bob" not in body
    sign_in_as(world["acme_admin"])
    body = text_of(client.get("/"))
    assert "New lead: Assigned Alice" in body and "New lead: Unassigned Bob" in body
    # A user marking "all read" does not touch what they cannot see.
    sign_in_as(world["acme_user"])
    client.get("/")
    post_form(client, "/notifications/read")
    assert session.query(Notification).filter(Notification.read_at.is_(None)).count() == 2

    api_as(world["acme_admin"]).patch(
        f"/api/v1/leads/{mine.id}", {"assigned_user_id": world["acme_user"].id}
    )
    sign_in_as(world["acme_user"])
    body = text_of(client.get("/"))
    assert "Lead assigned to you: Assigned Alice" in body and "Unassigned Bob" not in body
    # The personal notice is theirs alone: other members, even admins, do not get it.
    sign_in_as(world["acme_admin"])
    assert "Lead assigned to you" not in text_of(client.get("/"))


def test_reassignment_takes_the_lead_from_the_earlier_assignees_notifications(
    world, session, client, sign_in_as, api_as
):
    """Assigned to a user and back to the admin: the user's "Lead assigned to you" notice names a
    lead they may no longer see, so it goes with the assignment (unread or read)."""
    mine, _ = leads_of(world, session)
    admin = api_as(world["acme_admin"])
    url = f"/api/v1/leads/{mine.id}"
    assert admin.patch(url, {"assigned_user_id": world["acme_user"].id}).status_code == 200
    sign_in_as(world["acme_user"])
    assert "Lead assigned to you: Assigned Alice" in text_of(client.get("/"))
    assert admin.patch(url, {"assigned_user_id": world["acme_admin"].id}).status_code == 200
    sign_in_as(world["acme_user"])
    body = text_of(client.get("/"))
    assert "Assigned Alice" not in body and "alice@buyer.example" not in body
    stale = session.query(Notification).filter(Notification.user_id == world["acme_user"].id)
    assert stale.count() == 0
    # Given back to the user, they are told again; unassigned, the notice goes again.
    assert admin.patch(url, {"assigned_user_id": world["acme_user"].id}).status_code == 200
    sign_in_as(world["acme_user"])
    assert "Lead assigned to you: Assigned Alice" in text_of(client.get("/"))
    assert admin.patch(url, {"assigned_user_id": None}).status_code == 200
    sign_in_as(world["acme_user"])
    assert "Assigned Alice" not in text_of(client.get("/"))


def test_the_dashboard_counts_only_the_leads_the_reader_may_see(
    world, session, client, sign_in_as, api_as
):
    mine, _ = leads_of(world, session)
    sign_in_as(world["acme_user"])
    body = text_of(client.get("/"))
    assert "1 new lead" not in body and "2 new leads" not in body  # none assigned: none counted
    api_as(world["acme_admin"]).patch(
        f"/api/v1/leads/{mine.id}", {"assigned_user_id": world["acme_user"].id}
    )
    sign_in_as(world["acme_user"])
    body = text_of(client.get("/"))
    assert "1 new lead" in body and "2 new leads" not in body
    sign_in_as(world["acme_admin"])
    assert "2 new leads" in text_of(client.get("/"))
