"""Property: any sequence of MDF operations keeps every balance equal to the sum of its ledger
entries, never below zero, and allocated == available + committed + claimed + paid + expired."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from prm_domain.errors import DomainError
from prm_domain.mdf import claims, funds, ledger, requests
from prm_domain.models import MdfAllocation
from prm_domain.storage import LocalStorage
from tests.mdf_fixtures import TODAY, event_proofs, make_world, request_values

cents = st.integers(min_value=1, max_value=300_000).map(lambda c: Decimal(c).scaleb(-2))
operation = st.one_of(
    st.tuples(st.just("request"), cents, st.booleans()),
    st.tuples(st.just("claim"), st.integers(0, 20), st.floats(0.01, 1.0)),
    st.tuples(st.just("pay"), st.integers(0, 20)),
    st.tuples(st.just("reject_claim"), st.integers(0, 20)),
    st.tuples(st.just("reallocate"), cents, st.booleans()),
    st.tuples(st.just("allocate"), cents),
    st.tuples(st.just("lapse")),
    st.tuples(st.just("expire")),
)


@settings(
    max_examples=12,  # x2 backends; the suite's time budget (each example is a fresh world)
    deadline=None,  # database round trips vary; the property is what matters
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=3, max_size=10))
def test_balances_always_equal_the_ledger(
    session: Session, make_partner: Any, make_user: Any, tmp_path: Path, ops: list[Any]
) -> None:
    storage = LocalStorage(tmp_path / "files")
    w = make_world(session, make_partner, make_user, amount="5000.00")
    approved: list[int] = []
    made: list[int] = []
    for op in ops:
        try:
            with session.begin_nested():
                if op[0] == "request":
                    req = requests.submit_request(
                        session,
                        w.admin,
                        request_values(w.fund.id, requested_amount=op[1], total_cost=op[1] * 2),
                    )
                    part = (op[1] / 2).quantize(Decimal("0.01")) if op[2] else None
                    if part is not None and part <= 0:
                        part = None
                    requests.approve_request(session, w.vendor, req.id, part, "part")
                    approved.append(req.id)
                elif op[0] == "claim" and approved:
                    req = requests.get_request(session, w.vendor, approved[op[1] % len(approved)])
                    amount = ledger.round_cents(
                        ledger.from_minor(req.open_minor) * Decimal(str(op[2]))
                    )
                    claim = claims.submit_claim(
                        session,
                        w.admin,
                        storage,
                        {"request_id": req.id, "amount": amount, "actual_cost": amount},
                        event_proofs(),
                        TODAY,
                    )
                    claims.approve_claim(session, w.vendor, claim.id)
                    made.append(claim.id)
                elif op[0] == "pay" and made:
                    claims.pay_claim(session, w.vendor, made[op[1] % len(made)], "P", TODAY)
                elif op[0] == "reject_claim" and made:
                    claims.reject_claim(session, w.vendor, made[op[1] % len(made)], "no")
                elif op[0] == "reallocate":
                    a, b = (w.partner, w.other_partner) if op[2] else (w.other_partner, w.partner)
                    funds.reallocate(
                        session,
                        w.vendor,
                        w.fund.id,
                        {
                            "from_partner_id": a.id,
                            "to_partner_id": b.id,
                            "amount": op[1],
                            "reason": "shift",
                        },
                    )
                elif op[0] == "allocate":
                    funds.allocate(
                        session, w.vendor, w.fund.id, {"partner_id": w.partner.id, "amount": op[1]}
                    )
                elif op[0] == "lapse":
                    requests.lapse_overdue(session, dt.date(2027, 12, 31))
                elif op[0] == "expire":
                    funds.expire_funds(session, w.fund.expiry_date + dt.timedelta(days=1))
        except DomainError:
            pass  # a refusal is fine; it must leave no trace (the savepoint is rolled back)
        for partner in (w.partner, w.other_partner):
            allocation = funds.allocation_of(session, w.fund.id, partner.id)
            assert isinstance(allocation, MdfAllocation)
            session.refresh(allocation)
            row = dict(ledger.balances_of(allocation))
            assert row == ledger.sums_of(session, allocation.id)
            assert all(v >= 0 for v in row.values())
            assert row["allocated"] == sum(
                row[b] for b in ("available", "committed", "claimed", "paid", "expired")
            )
