"""The audit log: diffs, plain JSON values, append-only, and who may read it."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from prm_domain import audit
from prm_domain.enums import PartnerStatus, Role
from prm_domain.errors import PermissionDenied
from prm_domain.models import AuditEvent, Partner, Tier, User


def test_diff_only_real_changes_as_plain_values(make_partner: Callable[..., Partner]) -> None:
    partner = make_partner(name="Acme", verticals=["a"], status=PartnerStatus.ACTIVE)
    changes = audit.diff(
        partner,
        {
            "name": "Acme",
            "verticals": ["a", "b"],
            "status": PartnerStatus.SUSPENDED,
            "dpa_signed_on": dt.date(2024, 1, 2),
        },
    )
    assert changes == {
        "verticals": [["a"], ["a", "b"]],
        "status": ["active", "suspended"],
        "dpa_signed_on": [None, "2024-01-02"],
    }


def test_diff_treats_equal_decimals_as_unchanged(make_tier: Callable[..., Tier]) -> None:
    tier = make_tier(mdf_share_percent=decimal.Decimal("2.50"))
    assert audit.diff(tier, {"mdf_share_percent": decimal.Decimal("2.5")}) == {}
    assert audit.diff(tier, {"mdf_share_percent": decimal.Decimal("2.75")}) == {
        "mdf_share_percent": ["2.50", "2.75"]
    }


def test_record_stores_actor_object_and_tenant(
    session: Session, make_user: Callable[..., User], make_partner: Callable[..., Partner]
) -> None:
    actor, partner = make_user(Role.CHANNEL_MANAGER), make_partner()
    event = audit.record(
        session,
        actor,
        "partner.updated",
        partner,
        {"when": dt.datetime(2024, 1, 1, tzinfo=dt.UTC), "amount": decimal.Decimal("1.10")},
        partner_id=partner.id,
    )
    session.flush()
    session.expire_all()
    stored = session.get(AuditEvent, event.id)
    assert stored is not None
    assert (stored.actor_id, stored.actor_email) == (actor.id, actor.email)
    assert (stored.object_type, stored.object_id, stored.partner_id) == (
        "partner",
        partner.id,
        partner.id,
    )
    assert stored.changes == {"when": "2024-01-01T00:00:00+00:00", "amount": "1.10"}
    assert stored.at.tzinfo is not None


def test_system_actor(session: Session, make_tier: Callable[..., Tier]) -> None:
    event = audit.record(session, None, "tier.created", make_tier())
    session.flush()
    assert (event.actor_id, event.actor_email, event.changes) == (None, "system", {})


@pytest.fixture
def event(session: Session, make_user: Callable[..., User]) -> AuditEvent:
    entry = audit.record(session, None, "user.created", make_user(Role.VENDOR_ADMIN))
    session.flush()
    return entry


def test_updating_an_event_raises(session: Session, event: AuditEvent) -> None:
    event.action = "nothing.happened"
    with pytest.raises(RuntimeError, match="append-only"):
        session.flush()
    session.rollback()


def test_deleting_an_event_raises(session: Session, event: AuditEvent) -> None:
    session.delete(event)
    with pytest.raises(RuntimeError, match="append-only"):
        session.flush()
    session.rollback()


def test_bulk_update_and_delete_raise(session: Session, event: AuditEvent) -> None:
    with pytest.raises(RuntimeError, match="append-only"):
        session.execute(update(AuditEvent).values(action="forged"))
    with pytest.raises(RuntimeError, match="append-only"):
        session.execute(delete(AuditEvent).where(AuditEvent.id == event.id))
    assert session.scalar(select(AuditEvent.action).where(AuditEvent.id == event.id)) == (
        "user.created"
    )


def test_other_bulk_statements_still_work(session: Session, make_tier: Callable[..., Tier]) -> None:
    tier = make_tier()
    session.execute(update(Tier).where(Tier.id == tier.id).values(description="bulk"))
    assert session.scalar(select(Tier.description).where(Tier.id == tier.id)) == "bulk"


@pytest.mark.parametrize("role", [Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER], ids=str)
def test_list_events_newest_first(
    role: Role, session: Session, make_user: Callable[..., User], make_tier: Callable[..., Tier]
) -> None:
    reader = make_user(role)
    first = audit.record(session, None, "tier.created", make_tier())
    second = audit.record(session, None, "tier.created", make_tier())
    session.flush()
    page = audit.list_events(session, reader, per_page=2)
    assert [e.id for e in page.items] == [second.id, first.id]
    total = session.scalar(select(func.count()).select_from(AuditEvent))
    assert page.total == total


@pytest.mark.parametrize(
    "role", [Role.MARKETING_MANAGER, Role.PARTNER_ADMIN, Role.PARTNER_USER], ids=str
)
def test_list_events_refused(role: Role, session: Session, make_user: Callable[..., User]) -> None:
    with pytest.raises(PermissionDenied):
        audit.list_events(session, make_user(role))
