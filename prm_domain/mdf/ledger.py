"""The MDF ledger: every movement of money is one appended entry plus one guarded UPDATE.

Each entry kind moves its amount between balances (``EFFECTS``). ``post`` applies the move to
the allocation's balance row with a single conditional UPDATE whose WHERE requires every
balance it lowers to hold the amount, and checks the row count: under any concurrency (several
Postgres connections, or SQLite's one writer) two requests can never both take the last euro,
and no balance ever goes below zero (the CHECK constraints say so again). SQLite ignores
``FOR UPDATE`` and the ORM's version counter does not guard bulk updates, so neither is used.

Rounding: amounts are exact to the cent (2 decimal places) in every currency; input with more
places is refused, never rounded. Computed amounts (accruals) round half up to the cent.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from typing import cast

from sqlalchemy import Table, event, select, update
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from prm_domain.enums import MdfEntryKind
from prm_domain.errors import ValidationError
from prm_domain.models import MdfAllocation, MdfLedgerEntry, User
from prm_domain.models.mdf import BUCKETS

CENT = decimal.Decimal("0.01")

# kind -> {balance: +1 / -1}. Every kind keeps allocated == available + committed + claimed
# + paid + expired, except reallocation and allocation, which change both sides alike.
EFFECTS: dict[MdfEntryKind, dict[str, int]] = {
    MdfEntryKind.ALLOCATE: {"allocated": 1, "available": 1},
    MdfEntryKind.ACCRUE: {"allocated": 1, "available": 1},
    MdfEntryKind.REALLOCATE_IN: {"allocated": 1, "available": 1},
    MdfEntryKind.REALLOCATE_OUT: {"allocated": -1, "available": -1},
    MdfEntryKind.COMMIT: {"available": -1, "committed": 1},
    MdfEntryKind.CLAIM: {"committed": -1, "claimed": 1},
    MdfEntryKind.RELEASE: {"committed": -1, "available": 1},
    MdfEntryKind.PAY: {"claimed": -1, "paid": 1},
    MdfEntryKind.EXPIRE: {"available": -1, "expired": 1},
}


class InsufficientBalance(ValidationError):
    """The move would take a balance below zero; ``fields`` names the field and what there is."""

    code = "insufficient_funds"


def to_minor(amount: decimal.Decimal) -> int:
    exact = amount.quantize(CENT)
    if exact != amount:
        raise ValueError("amounts are exact to the cent")
    return int(exact * 100)


def from_minor(minor: int) -> decimal.Decimal:
    return (decimal.Decimal(minor) / 100).quantize(CENT)


def round_cents(amount: decimal.Decimal) -> decimal.Decimal:
    return amount.quantize(CENT, rounding=decimal.ROUND_HALF_UP)


def post(
    session: Session,
    allocation: MdfAllocation,
    kind: MdfEntryKind,
    amount: decimal.Decimal,
    actor: User | None,
    *,
    field: str = "amount",
    request_id: int | None = None,
    claim_id: int | None = None,
    reason: str = "",
    reference: str | None = None,
    currency: str = "",
) -> MdfLedgerEntry:
    """Move ``amount`` as ``kind`` says, or raise InsufficientBalance naming ``field``."""
    if amount <= 0:
        raise ValidationError.for_fields({field: "must be more than 0"})
    minor = to_minor(amount)
    effects = EFFECTS[kind]
    table = cast(Table, MdfAllocation.__table__)
    guard = [table.c.id == allocation.id]
    guard += [table.c[f"{b}_minor"] >= minor for b, sign in effects.items() if sign < 0]
    values = {f"{b}_minor": table.c[f"{b}_minor"] + sign * minor for b, sign in effects.items()}
    result = session.execute(update(table).where(*guard).values(**values))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(allocation)
        lowered = next(b for b, sign in effects.items() if sign < 0)
        have = allocation.balance(lowered)
        label = f"{have} {currency}".strip()
        raise InsufficientBalance(
            f"{field} is more than the {lowered} balance of {label}.",
            {field: f"is more than the {lowered} balance of {label}", "available": str(have)},
        )
    entry = MdfLedgerEntry(
        allocation_id=allocation.id,
        fund_id=allocation.fund_id,
        partner_id=allocation.partner_id,
        kind=kind,
        amount=from_minor(minor),
        request_id=request_id,
        claim_id=claim_id,
        reason=reason,
        reference=reference,
        actor_id=actor.id if actor else None,
        actor_email=actor.email if actor else "system",
    )
    session.add(entry)
    session.flush()
    session.expire(allocation)
    return entry


def sums_of(session: Session, allocation_id: int) -> dict[str, decimal.Decimal]:
    """Each balance recomputed from the ledger alone (what the cached row must equal)."""
    totals = dict.fromkeys(BUCKETS, decimal.Decimal("0.00"))
    rows = session.execute(
        select(MdfLedgerEntry.kind, MdfLedgerEntry.amount).where(
            MdfLedgerEntry.allocation_id == allocation_id
        )
    )
    for kind, amount in rows:
        for bucket, sign in EFFECTS[kind].items():
            totals[bucket] += sign * amount
    return totals


def balances_of(allocation: MdfAllocation) -> Mapping[str, decimal.Decimal]:
    return {b: allocation.balance(b) for b in BUCKETS}


@event.listens_for(Session, "before_flush")
def _refuse_ledger_changes(
    session: Session, flush_context: UOWTransaction, instances: object
) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, MdfLedgerEntry):
            raise RuntimeError("ledger entries are append-only")


@event.listens_for(Session, "do_orm_execute")
def _refuse_ledger_bulk_changes(state: ORMExecuteState) -> None:
    mapper = state.bind_mapper
    if (
        (state.is_update or state.is_delete)
        and mapper is not None
        and mapper.class_ is MdfLedgerEntry
    ):
        raise RuntimeError("ledger entries are append-only")
