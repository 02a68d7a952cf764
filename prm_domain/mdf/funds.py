"""Funds, allocations (fixed, by tier, accrual), reallocation, expiry, balances and the ledger."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any, TypeVar, cast

from sqlalchemy import Select, Table, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from prm_domain import audit, validation
from prm_domain.access import (
    Area,
    Right,
    ensure_status,
    ensure_visible,
    has,
    partner_scope,
    require,
)
from prm_domain.base import utcnow
from prm_domain.enums import MdfAllocationRule, MdfEntryKind, PartnerStatus
from prm_domain.errors import Conflict, NotFound, ValidationError
from prm_domain.mdf import ledger
from prm_domain.models import MdfAllocation, MdfFund, MdfLedgerEntry, Partner, Tier, User
from prm_domain.pagination import Page, paginate

T = TypeVar("T")
CURRENCIES = frozenset({"EUR", "USD", "GBP", "CHF", "SGD", "BRL", "AUD", "CAD", "JPY"})


def _get(session: Session, model: type[T], value: Any) -> T | None:
    """The row with this id, None for anything that is not an id (no query for None)."""
    return session.get(model, value) if isinstance(value, int) and value > 0 else None


def text(
    field: str, value: object, max_len: int, *, required: bool = True, lines: bool = False
) -> str:
    """Storable text (no NUL, surrogates or invisible controls); ``lines`` admits line breaks."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise validation.fail(field, "must be text")
    flat = value.replace("\r\n", "\n").replace("\n", " ") if lines else value
    validation.text(field, flat, max_len=max_len, required=required)
    return value.replace("\r\n", "\n").strip()


def _money(value: Any, field: str, problems: dict[str, str], *, zero: bool = False) -> Any:
    if not isinstance(value, decimal.Decimal) or not value.is_finite():
        problems[field] = "must be an amount like 1250.00"
        return None
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        problems[field] = "has more than 2 decimal places (amounts are exact to the cent)"
        return None
    if value < 0 or (value == 0 and not zero):
        problems[field] = "must be more than 0"
        return None
    if value >= decimal.Decimal("1e12"):
        problems[field] = "is too large"
        return None
    return value


def create_fund(session: Session, actor: User, values: dict[str, Any]) -> MdfFund:
    require(actor, Right.MANAGE_MDF)
    problems: dict[str, str] = {}
    name = text("name", values.get("name"), 120)
    currency = str(values.get("currency") or "")
    if currency not in CURRENCIES:
        problems["currency"] = "must be one of " + ", ".join(sorted(CURRENCIES))
    budget = _money(values.get("budget"), "budget", problems)
    starts, ends = values.get("starts_on"), values.get("ends_on")
    if isinstance(starts, dt.date) and isinstance(ends, dt.date) and ends < starts:
        problems["ends_on"] = "must not be before starts_on"
    claim_days = values.get("claim_days", 60)
    if not isinstance(claim_days, int) or not 0 <= claim_days <= 365:
        problems["claim_days"] = "must be between 0 and 365"
    threshold = values.get("second_approval_above")
    if threshold is not None:
        _money(threshold, "second_approval_above", problems)
    tiers: dict[str, str] = {}
    for tier_name, amount in (values.get("tier_amounts") or {}).items():
        text("tier_amounts", tier_name, 80)
        if _money(amount, f"tier_amounts.{tier_name}", problems) is not None:
            tiers[str(tier_name)] = str(amount)
    if session.scalar(select(MdfFund.id).where(MdfFund.name == name)) is not None:
        problems["name"] = "is taken by another fund"
    if problems:
        raise ValidationError.for_fields(problems)
    fund = MdfFund(
        name=name,
        currency=currency,
        budget=budget,
        starts_on=starts,
        ends_on=ends,
        claim_days=claim_days,
        expires_on=values.get("expires_on"),
        second_approval_above=threshold,
        tier_amounts=tiers,
        unallocated_minor=ledger.to_minor(budget),
    )
    session.add(fund)
    session.flush()
    audit.record(session, actor, "mdf_fund.created", fund, {"name": name, "budget": budget})
    return fund


def list_funds(
    session: Session, actor: User, *, page: int = 1, per_page: int = 50
) -> Page[MdfFund]:
    require(actor, Right.VIEW_MDF)
    stmt: Select[Any] = select(MdfFund).order_by(MdfFund.starts_on.desc(), MdfFund.id.desc())
    if not has(actor, Right.VIEW_ALL_PARTNERS):
        # A partner sees the funds it holds money in.
        stmt = stmt.where(
            MdfFund.id.in_(
                select(MdfAllocation.fund_id).where(MdfAllocation.partner_id == actor.partner_id)
            )
        )
    return paginate(session, stmt, page=page, per_page=per_page)


def get_fund(session: Session, actor: User, fund_id: int) -> MdfFund:
    fund = session.get(MdfFund, fund_id)
    # A partner sees the funds it holds money in; others are a 404 like a missing one.
    if fund is None or (
        not has(actor, Right.VIEW_ALL_PARTNERS)
        and allocation_of(session, fund.id, actor.partner_id) is None
    ):
        raise NotFound("Fund not found.")
    ensure_status(actor, Area.MDF)
    require(actor, Right.VIEW_MDF)
    return fund


def allocation_of(session: Session, fund_id: int, partner_id: int | None) -> MdfAllocation | None:
    return session.scalar(
        select(MdfAllocation).where(
            MdfAllocation.fund_id == fund_id, MdfAllocation.partner_id == partner_id
        )
    )


def _take_from_budget(session: Session, fund: MdfFund, amount: decimal.Decimal, field: str) -> None:
    minor = ledger.to_minor(amount)
    table = cast(Table, MdfFund.__table__)
    done = session.execute(
        update(table)
        .where(table.c.id == fund.id, table.c.unallocated_minor >= minor)
        .values(unallocated_minor=table.c.unallocated_minor - minor)
    )
    session.expire(fund, ["unallocated_minor"])
    if done.rowcount != 1:  # type: ignore[attr-defined]
        left = ledger.from_minor(fund.unallocated_minor)
        raise ledger.InsufficientBalance(
            f"{field} is more than the fund's unallocated budget of {left} {fund.currency}.",
            {
                field: f"is more than the unallocated budget of {left} {fund.currency}",
                "available": str(left),
            },
        )


def _open_allocation(
    session: Session,
    fund: MdfFund,
    partner: Partner,
    rule: MdfAllocationRule,
    percent: decimal.Decimal | None = None,
) -> MdfAllocation:
    allocation = allocation_of(session, fund.id, partner.id)
    if allocation is not None:
        return allocation
    allocation = MdfAllocation(
        fund_id=fund.id, partner_id=partner.id, rule=rule, accrual_percent=percent
    )
    try:
        with session.begin_nested():
            session.add(allocation)
    except IntegrityError:  # opened at the same moment by another transaction
        found = allocation_of(session, fund.id, partner.id)
        assert found is not None
        return found
    return allocation


def tier_amount(session: Session, fund: MdfFund, partner: Partner) -> decimal.Decimal | None:
    tier = session.get(Tier, partner.tier_id) if partner.tier_id else None
    if tier is None or tier.name not in fund.tier_amounts:
        return None
    return decimal.Decimal(fund.tier_amounts[tier.name])


def allocate(session: Session, actor: User, fund_id: int, values: dict[str, Any]) -> MdfAllocation:
    """Give a partner money: a fixed amount, its tier's amount, or open an accrual."""
    require(actor, Right.MANAGE_MDF)
    fund = get_fund(session, actor, fund_id)
    partner = _get(session, Partner, values.get("partner_id"))
    if partner is None or partner.status == PartnerStatus.EXITED:
        raise ValidationError.for_fields({"partner_id": "no such partner (or it has exited)"})
    rule = MdfAllocationRule(values.get("rule") or MdfAllocationRule.FIXED)
    reason = text("reason", values.get("reason"), 500, required=False)
    problems: dict[str, str] = {}
    if rule is MdfAllocationRule.FIXED:
        amount = _money(values.get("amount"), "amount", problems)
    elif rule is MdfAllocationRule.TIER:
        amount = tier_amount(session, fund, partner)
        if amount is None:
            problems["rule"] = "the fund has no amount for this partner's tier"
    else:
        percent = values.get("accrual_percent")
        if not isinstance(percent, decimal.Decimal) or not 0 < percent <= 100:
            problems["accrual_percent"] = "must be more than 0 and at most 100"
        amount = None
    if problems:
        raise ValidationError.for_fields(problems)
    allocation = _open_allocation(
        session, fund, partner, rule, values.get("accrual_percent") if amount is None else None
    )
    if rule is MdfAllocationRule.ACCRUAL:
        if allocation.rule is not MdfAllocationRule.ACCRUAL:
            raise Conflict("This partner's allocation in the fund is not an accrual.")
        allocation.accrual_percent = values["accrual_percent"]
    else:
        assert amount is not None
        _take_from_budget(session, fund, amount, "amount")
        ledger.post(
            session,
            allocation,
            MdfEntryKind.ALLOCATE,
            amount,
            actor,
            reason=reason or rule.value,
            currency=fund.currency,
        )
    session.flush()
    audit.record(
        session,
        actor,
        "mdf_allocation.allocated",
        allocation,
        {"rule": rule, "amount": amount, "accrual_percent": allocation.accrual_percent},
        partner_id=partner.id,
    )
    return allocation


def credit_accrual(
    session: Session, partner: Partner, fund: MdfFund, revenue: decimal.Decimal, deal_ref: str
) -> MdfLedgerEntry | None:
    """Credit the partner's accrual share of a closed-won deal's revenue (rounded half up to the
    cent). Called by the deals feature as a deal closes; a deal credited before is not credited
    again. None when the partner has no accrual in the fund or the share rounds to zero."""
    allocation = allocation_of(session, fund.id, partner.id)
    if allocation is None or allocation.rule is not MdfAllocationRule.ACCRUAL:
        return None
    assert allocation.accrual_percent is not None
    seen = session.scalar(
        select(MdfLedgerEntry.id).where(
            MdfLedgerEntry.allocation_id == allocation.id,
            MdfLedgerEntry.kind == MdfEntryKind.ACCRUE,
            MdfLedgerEntry.reference == deal_ref,
        )
    )
    if seen is not None:
        return None
    amount = ledger.round_cents(revenue * allocation.accrual_percent / 100)
    if amount <= 0:
        return None
    _take_from_budget(session, fund, amount, "revenue")
    entry = ledger.post(
        session,
        allocation,
        MdfEntryKind.ACCRUE,
        amount,
        None,
        reason=f"{allocation.accrual_percent}% of {revenue}",
        reference=deal_ref,
        currency=fund.currency,
    )
    audit.record(
        session,
        None,
        "mdf_allocation.accrued",
        allocation,
        {"amount": amount, "deal": deal_ref},
        partner_id=partner.id,
    )
    return entry


def reallocate(
    session: Session, actor: User, fund_id: int, values: dict[str, Any]
) -> tuple[MdfLedgerEntry, MdfLedgerEntry]:
    """Move available money from one partner to another in the same fund, with a reason."""
    require(actor, Right.MANAGE_MDF)
    fund = get_fund(session, actor, fund_id)
    problems: dict[str, str] = {}
    amount = _money(values.get("amount"), "amount", problems)
    reason = text("reason", values.get("reason"), 500)
    source = allocation_of(session, fund.id, values.get("from_partner_id"))
    if source is None:
        problems["from_partner_id"] = "has no allocation in this fund"
    target_partner = _get(session, Partner, values.get("to_partner_id"))
    if target_partner is None or target_partner.status == PartnerStatus.EXITED:
        problems["to_partner_id"] = "no such partner (or it has exited)"
    elif values.get("to_partner_id") == values.get("from_partner_id"):
        problems["to_partner_id"] = "must be another partner"
    if problems:
        raise ValidationError.for_fields(problems)
    assert source is not None and target_partner is not None and amount is not None
    target = _open_allocation(session, fund, target_partner, MdfAllocationRule.FIXED)
    out = ledger.post(
        session,
        source,
        MdfEntryKind.REALLOCATE_OUT,
        amount,
        actor,
        reason=reason,
        currency=fund.currency,
    )
    into = ledger.post(
        session,
        target,
        MdfEntryKind.REALLOCATE_IN,
        amount,
        actor,
        reason=reason,
        currency=fund.currency,
    )
    audit.record(
        session,
        actor,
        "mdf_allocation.reallocated",
        source,
        {"amount": amount, "to_partner_id": target_partner.id, "reason": reason},
        partner_id=source.partner_id,
    )
    return out, into


def expire_funds(session: Session, today: dt.date) -> int:
    """Expire the available money of every fund past its expiry date. Idempotent."""
    count = 0
    for fund in list(session.scalars(select(MdfFund))):
        if fund.expiry_date >= today:
            continue
        for allocation in list(
            session.scalars(
                select(MdfAllocation).where(
                    MdfAllocation.fund_id == fund.id, MdfAllocation.available_minor > 0
                )
            )
        ):
            amount = allocation.balance("available")
            ledger.post(
                session,
                allocation,
                MdfEntryKind.EXPIRE,
                amount,
                None,
                reason=f"fund expired on {fund.expiry_date}",
                currency=fund.currency,
            )
            audit.record(
                session,
                None,
                "mdf_allocation.expired",
                allocation,
                {"amount": amount},
                partner_id=allocation.partner_id,
            )
            count += 1
    return count


def list_allocations(
    session: Session, actor: User, fund_id: int, *, page: int = 1, per_page: int = 50
) -> Page[MdfAllocation]:
    fund = get_fund(session, actor, fund_id)
    stmt = (
        select(MdfAllocation)
        .where(
            MdfAllocation.fund_id == fund.id,
            partner_scope(actor, MdfAllocation.partner_id, Area.MDF),
        )
        .order_by(MdfAllocation.id)
    )
    return paginate(session, stmt, page=page, per_page=per_page)


def list_balances(
    session: Session,
    actor: User,
    *,
    partner_id: int | None = None,
    fund_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[MdfAllocation]:
    require(actor, Right.VIEW_MDF)
    stmt = select(MdfAllocation).where(partner_scope(actor, MdfAllocation.partner_id, Area.MDF))
    if partner_id is not None:
        stmt = stmt.where(MdfAllocation.partner_id == partner_id)
    if fund_id is not None:
        stmt = stmt.where(MdfAllocation.fund_id == fund_id)
    return paginate(session, stmt.order_by(MdfAllocation.id), page=page, per_page=per_page)


def list_ledger(
    session: Session,
    actor: User,
    *,
    partner_id: int | None = None,
    fund_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[MdfLedgerEntry]:
    require(actor, Right.VIEW_MDF)
    if partner_id is not None:
        ensure_visible(actor, partner_id, "Partner", Area.MDF)
    stmt = select(MdfLedgerEntry).where(partner_scope(actor, MdfLedgerEntry.partner_id, Area.MDF))
    if partner_id is not None:
        stmt = stmt.where(MdfLedgerEntry.partner_id == partner_id)
    if fund_id is not None:
        stmt = stmt.where(MdfLedgerEntry.fund_id == fund_id)
    return paginate(session, stmt.order_by(MdfLedgerEntry.id.desc()), page=page, per_page=per_page)


def credit_accruals_for_deal(
    session: Session,
    partner_id: int,
    revenue: decimal.Decimal,
    deal_ref: str,
    today: dt.date | None = None,
) -> list[MdfLedgerEntry]:
    """Credit a closed-won deal to each fund running ``today`` where the partner accrues."""
    today = today or utcnow().date()
    partner = session.get(Partner, partner_id)
    if partner is None:
        return []
    running = session.scalars(
        select(MdfFund)
        .join(MdfAllocation, MdfAllocation.fund_id == MdfFund.id)
        .where(
            MdfAllocation.partner_id == partner_id,
            MdfAllocation.rule == MdfAllocationRule.ACCRUAL,
            MdfFund.starts_on <= today,
            MdfFund.ends_on >= today,
        )
        .order_by(MdfFund.id)
    )
    credited = [credit_accrual(session, partner, fund, revenue, deal_ref) for fund in running]
    return [entry for entry in credited if entry is not None]


def follow_tier_change(
    session: Session,
    partner: Partner,
    old_tier: Tier,
    new_tier: Tier,
    reference: str,
    today: dt.date | None = None,
) -> list[MdfLedgerEntry]:
    """A partner's allocations by tier rule follow its tier: in each fund not yet over, the
    difference between the new tier's amount and the old one's is allocated (a promotion, as
    far as the unallocated budget goes) or given back to the fund's budget (a demotion, as far
    as the available balance goes: money already committed or claimed is never taken back).
    Once per ``reference`` (the tier change), however often it is called."""
    today = today or utcnow().date()
    allocations = session.scalars(
        select(MdfAllocation)
        .join(MdfFund, MdfFund.id == MdfAllocation.fund_id)
        .where(
            MdfAllocation.partner_id == partner.id,
            MdfAllocation.rule == MdfAllocationRule.TIER,
            MdfFund.ends_on >= today,
        )
        .order_by(MdfAllocation.id)
    ).all()
    entries = []
    for allocation in allocations:
        fund = session.get(MdfFund, allocation.fund_id)
        if fund is None or fund.expiry_date < today:
            continue
        seen = session.scalar(
            select(MdfLedgerEntry.id).where(
                MdfLedgerEntry.allocation_id == allocation.id,
                MdfLedgerEntry.reference == reference,
            )
        )
        if seen is not None:
            continue
        old = decimal.Decimal(fund.tier_amounts.get(old_tier.name, "0"))
        new = decimal.Decimal(fund.tier_amounts.get(new_tier.name, "0"))
        reason = f"tier changed from {old_tier.name} to {new_tier.name}"
        if new > old:
            amount = min(new - old, ledger.from_minor(fund.unallocated_minor))
            if amount <= 0:
                continue
            _take_from_budget(session, fund, amount, "amount")
            kind = MdfEntryKind.ALLOCATE
        else:
            amount = min(old - new, allocation.balance("available"))
            if amount <= 0:
                continue
            kind = MdfEntryKind.REALLOCATE_OUT
        entry = ledger.post(
            session, allocation, kind, amount, None,
            reason=reason, reference=reference, currency=fund.currency,
        )  # fmt: skip
        if kind is MdfEntryKind.REALLOCATE_OUT:
            table = cast(Table, MdfFund.__table__)
            session.execute(
                update(table)
                .where(table.c.id == fund.id)
                .values(unallocated_minor=table.c.unallocated_minor + ledger.to_minor(amount))
            )
            session.expire(fund, ["unallocated_minor"])
        audit.record(
            session,
            None,
            "mdf_allocation.tier_followed",
            allocation,
            {"kind": kind, "amount": amount, "reason": reason},
            partner_id=partner.id,
        )
        entries.append(entry)
    return entries
