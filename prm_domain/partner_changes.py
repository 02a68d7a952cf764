"""Partner admins propose changes to the fields the vendor owns; vendor managers decide.

Type, region and verticals decide which content a partner gets, and names are unique across
tenants: a partner admin asks, a channel manager or vendor admin approves (the change is then
applied as the vendor's own edit, audited) or rejects. A newer proposal replaces a pending one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from prm_domain import access, audit, partners, validation
from prm_domain.access import Right
from prm_domain.base import utcnow
from prm_domain.enums import ChangeRequestStatus
from prm_domain.errors import Conflict, NotFound, ValidationError
from prm_domain.models import PartnerChangeRequest, User
from prm_domain.pagination import Page, paginate


def _note(field: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    return validation.text(field, value, max_len=500, required=False) or ""


def propose_partner_change(
    session: Session, actor: User, partner_id: int, values: Mapping[str, Any]
) -> PartnerChangeRequest:
    access.ensure_can_propose_partner_change(actor, partner_id)
    partner = partners.get_partner(session, actor, partner_id)
    values = dict(values)
    note = _note("note", values.pop("note", ""))
    unknown = {f: "cannot be proposed" for f in values if f not in access.PROPOSABLE_PARTNER_FIELDS}
    if unknown:
        raise ValidationError.for_fields(unknown)
    clean = partners.clean_values(session, values)
    clean.pop("name_key", None)
    changes = {k: v for k, v in audit.diff(partner, clean).items()}
    if not changes:
        raise ValidationError("Nothing to change: propose at least one new value.", {})
    # Uniqueness of a proposed name is not checked here: the answer would tell a partner
    # which names other tenants use. The vendor sees the clash when deciding.
    session.execute(
        update(PartnerChangeRequest)
        .where(
            PartnerChangeRequest.partner_id == partner.id,
            PartnerChangeRequest.status == ChangeRequestStatus.PENDING,
        )
        .values(status=ChangeRequestStatus.SUPERSEDED)
        .execution_options(synchronize_session="fetch")
    )
    request = PartnerChangeRequest(
        partner_id=partner.id,
        changes={k: new for k, (_old, new) in changes.items()},
        note=note,
        requested_by_id=actor.id,
    )
    session.add(request)
    session.flush()
    audit.record(session, actor, "partner_change.proposed", request, changes, partner_id=partner.id)
    return request


def list_partner_changes(
    session: Session,
    actor: User,
    *,
    partner_id: int | None = None,
    status: ChangeRequestStatus | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[PartnerChangeRequest]:
    """One partner's proposals (its admins, vendor roles), or every partner's (vendor roles)."""
    if partner_id is not None:
        access.ensure_can_view_partner_changes(actor, partner_id)
    else:
        access.require(actor, Right.VIEW_ALL_PARTNERS, "Only vendor staff see every proposal.")
    stmt = select(PartnerChangeRequest).order_by(PartnerChangeRequest.id.desc())
    if partner_id is not None:
        stmt = stmt.where(PartnerChangeRequest.partner_id == partner_id)
    if status is not None:
        stmt = stmt.where(PartnerChangeRequest.status == status)
    return paginate(session, stmt, page=page, per_page=per_page)


def decide_partner_change(
    session: Session, actor: User, request_id: int, *, approve: bool, note: Any = ""
) -> PartnerChangeRequest:
    """Approve (apply the change as the vendor's edit) or reject a pending proposal."""
    access.require(
        actor, Right.MANAGE_PARTNERS, "Only channel managers and vendor admins decide proposals."
    )
    request = session.get(PartnerChangeRequest, request_id)
    if request is None:
        raise NotFound("Proposal not found.")
    decision_note = _note("note", note)
    # Claimed in one conditional UPDATE: of two managers deciding at once, one wins and the
    # other gets the conflict; a failed apply below rolls the claim back with it.
    claimed = session.execute(
        update(PartnerChangeRequest)
        .where(
            PartnerChangeRequest.id == request.id,
            PartnerChangeRequest.status == ChangeRequestStatus.PENDING,
        )
        .values(
            status=ChangeRequestStatus.APPROVED if approve else ChangeRequestStatus.REJECTED,
            decided_by_id=actor.id,
            decided_at=utcnow(),
            decision_note=decision_note,
        )
    )
    session.refresh(request)
    if not getattr(claimed, "rowcount", 0):
        raise Conflict(
            f"This proposal is {request.status.value} already.", {"status": "not pending"}
        )
    if approve:
        # The vendor's own edit: validated again (a tier or name may have changed since),
        # refused with 409 if the name is taken now, audited as partner.updated.
        partners.update_partner(session, actor, request.partner_id, request.changes)
    session.flush()
    audit.record(
        session,
        actor,
        "partner_change.approved" if approve else "partner_change.rejected",
        request,
        {"changes": request.changes, "note": decision_note},
        partner_id=request.partner_id,
    )
    return request
