"""The append-only audit log: services record, nobody edits."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from prm_domain.access import Right, partner_scope, require
from prm_domain.models import AuditEvent, User
from prm_domain.pagination import Page, paginate


def _plain(value: Any) -> Any:
    # JSON columns take only JSON types; keep the change readable rather than lossy.
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def record(
    session: Session,
    actor: User | None,
    action: str,
    obj: Any,
    changes: dict[str, Any] | None = None,
    *,
    partner_id: int | None = None,
) -> AuditEvent:
    """Append an event. Call after flushing ``obj`` so it has an id."""
    entry = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_email=actor.email if actor else "system",
        action=action,
        object_type=type(obj).__tablename__,
        object_id=getattr(obj, "id", None),
        partner_id=partner_id,
        changes={k: _plain(v) for k, v in (changes or {}).items()},
    )
    session.add(entry)
    return entry


def diff(obj: Any, new_values: dict[str, Any]) -> dict[str, Any]:
    """``{field: [old, new]}`` for the fields whose value really changes."""
    return {
        k: [_plain(getattr(obj, k)), _plain(v)]
        for k, v in new_values.items()
        if getattr(obj, k) != v
    }


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent):
            raise RuntimeError("audit events are append-only")


@event.listens_for(Session, "do_orm_execute")
def _refuse_audit_bulk_changes(state: ORMExecuteState) -> None:
    # session.execute(update(AuditEvent)) / delete(AuditEvent) bypass the flush; refuse them too.
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None and mapper.class_ is AuditEvent:
        raise RuntimeError("audit events are append-only")


def list_events(
    session: Session, actor: User, *, page: int = 1, per_page: int = 50
) -> Page[AuditEvent]:
    require(actor, Right.VIEW_AUDIT)
    stmt = (
        select(AuditEvent)
        .where(partner_scope(actor, AuditEvent.partner_id))
        .order_by(AuditEvent.id.desc())
    )
    return paginate(session, stmt, page=page, per_page=per_page)
