"""100 approvals at once against one allocation, on Postgres with real connections: no more is
committed than the allocation holds (the guard is a conditional UPDATE, not a lock)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from prm_domain.enums import Role
from prm_domain.errors import Conflict, ValidationError
from prm_domain.mdf import funds, ledger, requests
from prm_domain.models import MdfAllocation, User
from tests.concurrency import Committed, committed_postgres, in_parallel
from tests.mdf_fixtures import fund_values, request_values

pytestmark = pytest.mark.postgres

N = 100


@pytest.fixture
def db() -> Iterator[Committed]:
    yield from committed_postgres()


def test_hundred_approvals_commit_no_more_than_the_allocation_holds(db: Committed) -> None:
    with db.sessions() as s:
        partner = db.partner(s)
        admin = db.user(s, Role.PARTNER_ADMIN, partner.id)
        vendor = db.user(s, Role.VENDOR_ADMIN)
        fund = funds.create_fund(s, vendor, fund_values())
        allocation = funds.allocate(
            s, vendor, fund.id, {"partner_id": partner.id, "amount": Decimal("5000.00")}
        )
        # Each asks for 100.00 and every one fits on its own: together they are twice the money.
        ids = [
            requests.submit_request(
                s, admin, request_values(fund.id, requested_amount=Decimal("100.00"))
            ).id
            for _ in range(N)
        ]
        s.commit()
        allocation_id, vendor_id = allocation.id, vendor.id

    def approve(i: int) -> str:
        with db.sessions() as s:
            actor = s.get(User, vendor_id)
            assert actor is not None
            # Half of the threads approve the same first request again: one approval only.
            target = ids[0] if i % 10 == 0 else ids[i]
            try:
                requests.approve_request(s, actor, target)
                s.commit()
                return "approved"
            except ValidationError as exc:
                assert "available" in exc.fields
                return "insufficient"
            except Conflict:
                return "conflict"

    results = in_parallel(N, approve)

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert results.count("approved") == 50
    assert results.count("conflict") + results.count("insufficient") == N - 50
    with db.sessions() as s:
        allocation = s.get(MdfAllocation, allocation_id)
        assert allocation is not None
        assert allocation.balance("committed") == Decimal("5000.00")
        assert allocation.balance("available") == Decimal("0.00")
        assert dict(ledger.balances_of(allocation)) == ledger.sums_of(s, allocation_id)
