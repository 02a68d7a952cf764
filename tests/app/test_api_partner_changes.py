"""Fields that gate content are the vendor's: a partner admin proposes, a vendor manager decides.

Also: a partner admin never learns another tenant's name from a rename (the name is proposed,
and the proposal's answer is the same whether the name is taken or not).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain.enums import Role
from prm_domain.models import AuditEvent, Partner, PartnerChangeRequest, User
from tests.app.test_api_partners import snapshot
from tests.app.test_portal import (  # noqa: F401 - fast_argon2 and password_hash are fixtures
    fast_argon2,
    password_hash,
    post_form,
    text_of,
)


def actions(session: Session, partner_id: int) -> list[str]:
    session.expire_all()
    stmt = select(AuditEvent.action).where(
        AuditEvent.partner_id == partner_id, AuditEvent.action != "token.issued"
    )
    return list(session.scalars(stmt.order_by(AuditEvent.id)))


def url(partner: Partner | int) -> str:
    return f"/api/v1/partners/{getattr(partner, 'id', partner)}/change-requests"


def test_partner_admin_cannot_give_itself_a_vertical(
    make_user: Callable[..., User], api_as: Any, session: Session
) -> None:
    api = api_as(make_user(Role.PARTNER_ADMIN))
    admin = session.scalars(select(User).order_by(User.id.desc())).first()
    before = snapshot(session)
    for change in ({"verticals": ["Healthcare"]}, {"type": "msp"}, {"region": "APAC"}):
        r = api.patch(f"/api/v1/partners/{admin.partner_id}", change)
        assert r.status_code == 403, r.json
        assert set(r.json["error"]["fields"]) == set(change)
    assert snapshot(session) == before


def test_proposal_is_pending_until_a_vendor_manager_approves_it(
    make_user: Callable[..., User], api_as: Any, session: Session
) -> None:
    admin = make_user(Role.PARTNER_ADMIN)
    partner_id = admin.partner_id
    r = api_as(admin).post(url(partner_id), {"verticals": ["Healthcare"], "region": "APAC"})
    assert r.status_code == 201, r.json
    proposal = r.json
    assert proposal["status"] == "pending"
    assert proposal["changes"] == {"verticals": ["Healthcare"], "region": "APAC"}
    session.expire_all()
    partner = session.get(Partner, partner_id)
    assert partner.verticals == [] and partner.region == "EMEA"  # nothing applied yet

    manager = api_as(make_user(Role.CHANNEL_MANAGER))
    queue = manager.get("/api/v1/partner-change-requests?status=pending").json
    assert [p["id"] for p in queue["items"]] == [proposal["id"]]
    assert api_as(admin).get(url(partner_id)).json["total"] == 1
    r = manager.post(
        f"/api/v1/partner-change-requests/{proposal['id']}/approve", {"note": "Welcome to APAC"}
    )
    assert r.status_code == 200, r.json
    assert r.json["status"] == "approved" and r.json["decision_note"] == "Welcome to APAC"
    session.expire_all()
    partner = session.get(Partner, partner_id)
    assert partner.verticals == ["Healthcare"] and partner.region == "APAC"
    assert actions(session, partner_id) == [
        "partner_change.proposed",
        "partner.updated",
        "partner_change.approved",
    ]
    # Decided once: a second decision is a conflict, not a silent re-apply.
    again = manager.post(f"/api/v1/partner-change-requests/{proposal['id']}/reject", {})
    assert again.status_code == 409


def test_rejected_proposal_changes_nothing(
    make_user: Callable[..., User], api_as: Any, session: Session
) -> None:
    admin = make_user(Role.PARTNER_ADMIN)
    proposal = api_as(admin).post(url(admin.partner_id), {"type": "distributor"}).json
    r = api_as(make_user(Role.VENDOR_ADMIN)).post(
        f"/api/v1/partner-change-requests/{proposal['id']}/reject", {"note": "Not yet"}
    )
    assert r.status_code == 200 and r.json["status"] == "rejected"
    session.expire_all()
    assert session.get(Partner, admin.partner_id).type == "reseller"
    assert actions(session, admin.partner_id)[-1] == "partner_change.rejected"


@pytest.mark.parametrize(
    "role", [Role.PARTNER_ADMIN, Role.PARTNER_USER, Role.MARKETING_MANAGER], ids=str
)
def test_only_channel_managers_and_vendor_admins_decide(
    role: Role,
    make_user: Callable[..., User],
    api_as: Any,
    session: Session,
) -> None:
    admin = make_user(Role.PARTNER_ADMIN)
    proposal = api_as(admin).post(url(admin.partner_id), {"verticals": ["Energy"]}).json
    decider = make_user(role, admin.partner) if not role.is_vendor else make_user(role)
    api = api_as(decider)
    before = snapshot(session)
    r = api.post(f"/api/v1/partner-change-requests/{proposal['id']}/approve", {})
    assert r.status_code == 403
    assert snapshot(session) == before


def test_who_may_propose(
    make_user: Callable[..., User],
    make_partner: Callable[..., Partner],
    api_as: Any,
    session: Session,
) -> None:
    member = make_user(Role.PARTNER_USER)
    assert api_as(member).post(url(member.partner_id), {"verticals": ["x"]}).status_code == 403
    other = make_partner()
    admin = make_user(Role.PARTNER_ADMIN)
    r = api_as(admin).post(url(other), {"verticals": ["x"]})
    ghost = api_as(admin).post(url(2_000_000_000), {"verticals": ["x"]})
    assert r.status_code == ghost.status_code == 404 and r.get_data() == ghost.get_data()
    vendor = api_as(make_user(Role.CHANNEL_MANAGER))  # the vendor simply edits
    assert vendor.post(url(other), {"verticals": ["x"]}).status_code == 403
    assert session.scalar(select(PartnerChangeRequest.id)) is None


def test_a_newer_proposal_replaces_the_pending_one(
    make_user: Callable[..., User], api_as: Any, session: Session
) -> None:
    admin = make_user(Role.PARTNER_ADMIN)
    api = api_as(admin)
    first = api.post(url(admin.partner_id), {"verticals": ["Energy"]}).json
    second = api.post(url(admin.partner_id), {"verticals": ["Energy", "Retail"]}).json
    listed = {p["id"]: p["status"] for p in api.get(url(admin.partner_id)).json["items"]}
    assert listed == {first["id"]: "superseded", second["id"]: "pending"}
    manager = api_as(make_user(Role.CHANNEL_MANAGER))
    assert (
        manager.post(f"/api/v1/partner-change-requests/{first['id']}/approve", {}).status_code
        == 409
    )


def test_a_name_proposal_does_not_tell_whether_another_tenant_has_it(
    make_user: Callable[..., User],
    make_partner: Callable[..., Partner],
    api_as: Any,
    session: Session,
) -> None:
    make_partner(name="Taken Networks GmbH")
    admin = make_user(Role.PARTNER_ADMIN)
    api = api_as(admin)
    # A direct rename is refused for every name alike: names are the vendor's.
    taken = api.patch(f"/api/v1/partners/{admin.partner_id}", {"name": "Taken Networks GmbH"})
    free = api.patch(f"/api/v1/partners/{admin.partner_id}", {"name": "Free Networks GmbH"})
    assert taken.status_code == free.status_code == 403
    assert taken.get_data() == free.get_data()
    # Proposing a taken name and a free one answers the same (ids and times aside).
    answers = []
    for name in ("taken networks gmbh", "Free Networks GmbH"):
        r = api.post(url(admin.partner_id), {"name": name})
        assert r.status_code == 201, r.json
        answers.append(r.json["status"])
    assert answers == ["pending", "pending"]
    # The vendor, who sees every partner anyway, meets the clash when deciding.
    first = api.get(url(admin.partner_id)).json["items"][-1]
    manager = api_as(make_user(Role.CHANNEL_MANAGER))
    session.get(PartnerChangeRequest, first["id"]).status = "pending"  # revive the first one
    session.commit()
    r = manager.post(f"/api/v1/partner-change-requests/{first['id']}/approve", {})
    assert r.status_code == 409 and r.json["error"]["fields"] == {"name": "already used"}
    session.expire_all()
    assert session.get(PartnerChangeRequest, first["id"]).status == "pending"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tier_id": 1}, "tier_id"),
        ({"status": "active"}, "status"),
        ({"verticals": "Energy"}, "verticals"),
        ({"region": "MARS"}, "region"),
        ({"verticals": []}, None),  # no change: nothing to propose
        ({}, None),
    ],
)
def test_malformed_or_empty_proposals_are_422(
    body: dict[str, Any],
    field: str | None,
    make_user: Callable[..., User],
    api_as: Any,
    session: Session,
) -> None:
    admin = make_user(Role.PARTNER_ADMIN)
    r = api_as(admin).post(url(admin.partner_id), body)
    assert r.status_code == 422, r.json
    if field:
        assert field in r.json["error"]["fields"]
    assert session.scalar(select(PartnerChangeRequest.id)) is None


# --- the portal faces ----------------------------------------------------------------------------


def test_portal_proposal_from_partner_to_vendor_approval(
    make_user: Callable[..., User],
    make_partner: Callable[..., Partner],
    sign_in_as: Any,
    client: Any,
    session: Session,
) -> None:
    partner = make_partner(name="Proposing Partner Ltd")
    admin = make_user(Role.PARTNER_ADMIN, partner=partner)
    sign_in_as(admin)
    page = text_of(client.get(f"/partners/{partner.id}/edit"))
    assert "Propose a change to the vendor" in page
    assert 'name="name" required' not in page  # the profile form itself has no name field
    r = post_form(
        client,
        f"/partners/{partner.id}/change-requests",
        {"verticals": "Healthcare, Energy", "type": "", "region": "", "note": "New practice"},
    )
    assert r.status_code == 302
    page = text_of(client.get(f"/partners/{partner.id}/edit"))
    assert "Pending" in page and "Verticals → Healthcare, Energy" in page
    session.expire_all()
    assert session.get(Partner, partner.id).verticals == []

    sign_in_as(make_user(Role.CHANNEL_MANAGER))
    dashboard = text_of(client.get("/"))
    assert (
        "Proposed partner changes" in dashboard
        and "Proposing Partner Ltd</a>: verticals" in dashboard
    )
    detail = text_of(client.get(f"/partners/{partner.id}"))
    assert "Proposed changes" in detail and "New practice" in detail
    assert "Verticals: — → Healthcare, Energy" in detail  # in words, as the forms say them
    proposal = session.scalar(select(PartnerChangeRequest))
    assert f"/partner-change-requests/{proposal.id}/decide" in detail
    r = post_form(client, f"/partner-change-requests/{proposal.id}/decide", {"decision": "approve"})
    assert r.status_code == 302
    session.expire_all()
    assert session.get(Partner, partner.id).verticals == ["Healthcare", "Energy"]
    assert session.get(PartnerChangeRequest, proposal.id).status == "approved"
    # The same form again: already decided, said on the page, nothing re-applied.
    r = post_form(client, f"/partner-change-requests/{proposal.id}/decide", {"decision": "reject"})
    assert r.status_code == 302
    session.expire_all()
    assert session.get(PartnerChangeRequest, proposal.id).status == "approved"
