"""MDF rules on both databases: balances from the ledger, the state machines, checks, audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prm_domain.enums import MdfEntryKind, MdfRequestStatus, Role
from prm_domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from prm_domain.mdf import claims, funds, ledger, requests
from prm_domain.mdf.claims import ProofFile
from prm_domain.models import AuditEvent, MdfAllocation, MdfLedgerEntry
from prm_domain.storage import LocalStorage
from tests.mdf_fixtures import TODAY, MdfWorld, event_proofs, make_world, png, request_values


@pytest.fixture
def world(session: Session, make_partner: Any, make_user: Any) -> MdfWorld:
    return make_world(session, make_partner, make_user, second_approval_above=Decimal("3000.00"))


@pytest.fixture
def storage(tmp_path: Any) -> LocalStorage:
    return LocalStorage(tmp_path / "files")


def _balances(session: Session, world: MdfWorld) -> dict[str, Decimal]:
    allocation = session.get(MdfAllocation, world.allocation.id)
    assert allocation is not None
    session.refresh(allocation)
    got = dict(ledger.balances_of(allocation))
    assert got == ledger.sums_of(session, allocation.id)
    return got


def test_request_claim_pay_moves_money_through_every_balance(
    session: Session, world: MdfWorld, storage: LocalStorage
) -> None:
    req = requests.submit_request(session, world.admin, request_values(world.fund.id))
    requests.approve_request(session, world.channel, req.id, Decimal("800.00"), "partly")
    assert _balances(session, world)["committed"] == Decimal("800.00")
    assert _balances(session, world)["available"] == Decimal("4200.00")
    claim = claims.submit_claim(
        session,
        world.admin,
        storage,
        {"request_id": req.id, "amount": Decimal("700.00"), "actual_cost": Decimal("1900.00")},
        event_proofs(),
        TODAY,
    )
    claims.approve_claim(session, world.vendor, claim.id)
    b = _balances(session, world)
    assert (b["committed"], b["claimed"], b["available"]) == (
        Decimal("0.00"),
        Decimal("700.00"),
        Decimal("4300.00"),
    )
    claims.pay_claim(session, world.vendor, claim.id, "PAY-1", dt.date(2026, 6, 2))
    b = _balances(session, world)
    assert (b["paid"], b["claimed"], b["allocated"]) == (
        Decimal("700.00"),
        Decimal("0.00"),
        Decimal("5000.00"),
    )
    actions = set(
        session.scalars(select(AuditEvent.action).where(AuditEvent.partner_id == world.partner.id))
    )
    assert {
        "mdf_request.submitted",
        "mdf_request.approved",
        "mdf_claim.submitted",
        "mdf_claim.approved",
        "mdf_claim.paid",
    } <= actions


def test_illegal_transitions_are_conflicts(
    session: Session, world: MdfWorld, storage: LocalStorage
) -> None:
    req = requests.submit_request(session, world.admin, request_values(world.fund.id))
    requests.approve_request(session, world.vendor, req.id)
    with pytest.raises(Conflict):
        requests.approve_request(session, world.vendor, req.id)  # approving twice
    rejected = requests.submit_request(session, world.admin, request_values(world.fund.id))
    requests.reject_request(session, world.vendor, rejected.id, "off-brand")
    values = {
        "request_id": rejected.id,
        "amount": Decimal("10.00"),
        "actual_cost": Decimal("10.00"),
    }
    with pytest.raises(Conflict):
        claims.submit_claim(session, world.admin, storage, values, event_proofs(), TODAY)
    claim = claims.submit_claim(
        session, world.admin, storage, {**values, "request_id": req.id}, event_proofs(), TODAY
    )
    with pytest.raises(Conflict):
        claims.pay_claim(session, world.vendor, claim.id, "X", TODAY)  # unapproved
    assert (
        session.scalar(
            select(func.count())
            .select_from(MdfLedgerEntry)
            .where(MdfLedgerEntry.kind == MdfEntryKind.PAY)
        )
        == 0
    )


def test_over_available_names_the_field_and_the_amount(session: Session, world: MdfWorld) -> None:
    with pytest.raises(ValidationError) as exc:
        requests.submit_request(
            session,
            world.admin,
            request_values(
                world.fund.id, requested_amount=Decimal("5000.01"), total_cost=Decimal("9000.00")
            ),
        )
    assert "5000.00" in exc.value.fields["requested_amount"]
    assert exc.value.fields["available"] == "5000.00"


def test_submission_checks(session: Session, world: MdfWorld) -> None:
    with pytest.raises(ValidationError) as exc:
        requests.submit_request(
            session,
            world.admin,
            request_values(
                world.fund.id,
                starts_on=dt.date(2025, 12, 1),
                expected_leads=None,
                requested_amount=Decimal("1.001"),
            ),
        )
    assert set(exc.value.fields) == {"starts_on", "expected_leads", "requested_amount"}


def test_second_approver_of_another_role_above_the_threshold(
    session: Session, world: MdfWorld, make_user: Any
) -> None:
    req = requests.submit_request(
        session,
        world.admin,
        request_values(
            world.fund.id, requested_amount=Decimal("4000.00"), total_cost=Decimal("8000.00")
        ),
    )
    requests.approve_request(session, world.channel, req.id)
    assert req.status is MdfRequestStatus.AWAITING_SECOND_APPROVAL
    assert _balances(session, world)["committed"] == 0
    with pytest.raises(PermissionDenied):
        requests.approve_request(session, make_user(Role.CHANNEL_MANAGER), req.id)
    requests.approve_request(session, world.vendor, req.id)
    assert req.status is MdfRequestStatus.APPROVED
    assert _balances(session, world)["committed"] == Decimal("4000.00")


def test_claim_checks_proofs_by_content_amount_and_deadline(
    session: Session, world: MdfWorld, storage: LocalStorage
) -> None:
    req = requests.submit_request(session, world.admin, request_values(world.fund.id))
    requests.approve_request(session, world.vendor, req.id)
    values = {"request_id": req.id, "amount": Decimal("100.00"), "actual_cost": Decimal("100.00")}
    with pytest.raises(ValidationError) as exc:  # a "png" that is text, and no attendee list
        claims.submit_claim(
            session, world.admin, storage, values, [ProofFile("a.png", b"GIF89a not really")], TODAY
        )
    assert "proof.0" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        claims.submit_claim(
            session, world.admin, storage, values, [ProofFile("a.png", png())], TODAY
        )
    assert "attendee list" in exc.value.fields["proof"]
    with pytest.raises(ValidationError) as exc:
        claims.submit_claim(
            session,
            world.admin,
            storage,
            {**values, "amount": Decimal("1000.01")},
            event_proofs(),
            TODAY,
        )
    assert exc.value.fields["available"] == "1000.00"
    with pytest.raises(ValidationError) as exc:
        claims.submit_claim(
            session,
            world.admin,
            storage,
            values,
            event_proofs(),
            req.claim_due_on + dt.timedelta(days=1),
        )
    assert "deadline" in exc.value.fields["request_id"]


def test_lapse_and_expiry_return_and_expire_money(session: Session, world: MdfWorld) -> None:
    req = requests.submit_request(session, world.admin, request_values(world.fund.id))
    requests.approve_request(session, world.vendor, req.id)
    assert requests.lapse_overdue(session, req.claim_due_on) == 0
    assert requests.lapse_overdue(session, req.claim_due_on + dt.timedelta(days=1)) == 1
    assert req.status is MdfRequestStatus.LAPSED
    assert _balances(session, world)["available"] == Decimal("5000.00")
    after = world.fund.expiry_date + dt.timedelta(days=1)
    funds.expire_funds(session, after)
    funds.expire_funds(session, after)  # idempotent
    b = _balances(session, world)
    assert (b["available"], b["expired"]) == (Decimal("0.00"), Decimal("5000.00"))


def test_accrual_rounds_half_up_and_credits_a_deal_once(
    session: Session, world: MdfWorld, make_partner: Any
) -> None:
    partner = make_partner()
    funds.allocate(
        session,
        world.vendor,
        world.fund.id,
        {"partner_id": partner.id, "rule": "accrual", "accrual_percent": Decimal("2.50")},
    )
    entry = funds.credit_accrual(session, partner, world.fund, Decimal("1000.10"), "deal-1")
    assert entry is not None and entry.amount == Decimal("25.00")  # 25.0025 -> 25.00
    entry = funds.credit_accrual(session, partner, world.fund, Decimal("1000.20"), "deal-2")
    assert entry is not None and entry.amount == Decimal("25.01")  # 25.005 -> 25.01 (half up)
    assert funds.credit_accrual(session, partner, world.fund, Decimal("99"), "deal-1") is None


def test_reallocation_and_tier_rule(
    session: Session, world: MdfWorld, make_partner: Any, make_tier: Any
) -> None:
    funds.reallocate(
        session,
        world.vendor,
        world.fund.id,
        {
            "from_partner_id": world.partner.id,
            "to_partner_id": world.other_partner.id,
            "amount": Decimal("1000.00"),
            "reason": "unused",
        },
    )
    assert _balances(session, world)["allocated"] == Decimal("4000.00")
    with pytest.raises(ValidationError):
        funds.reallocate(
            session,
            world.vendor,
            world.fund.id,
            {
                "from_partner_id": world.partner.id,
                "to_partner_id": world.other_partner.id,
                "amount": Decimal("4000.01"),
                "reason": "too much",
            },
        )
    gold = make_tier(name="Gold MDF")
    world.fund.tier_amounts = {"Gold MDF": "20000.00"}
    partner = make_partner(tier=gold)
    allocation = funds.allocate(
        session, world.vendor, world.fund.id, {"partner_id": partner.id, "rule": "tier"}
    )
    assert allocation.balance("available") == Decimal("20000.00")


def test_partners_see_only_their_own(
    session: Session, world: MdfWorld, storage: LocalStorage
) -> None:
    req = requests.submit_request(session, world.admin, request_values(world.fund.id))
    requests.approve_request(session, world.vendor, req.id)
    claim = claims.submit_claim(
        session,
        world.admin,
        storage,
        {"request_id": req.id, "amount": Decimal("1.00"), "actual_cost": Decimal("1.00")},
        event_proofs(),
        TODAY,
    )
    proof = claims.proofs_of(session, claim)[0]
    with pytest.raises(NotFound):
        requests.get_request(session, world.other_admin, req.id)
    with pytest.raises(NotFound):
        claims.get_claim(session, world.other_admin, claim.id)
    with pytest.raises(NotFound):
        claims.get_proof(session, world.other_admin, proof.id)
    page = funds.list_ledger(session, world.other_admin)
    assert {e.partner_id for e in page.items} == {world.other_partner.id}


def test_ledger_is_append_only(session: Session, world: MdfWorld) -> None:
    entry = session.scalars(select(MdfLedgerEntry)).first()
    assert entry is not None
    entry.amount = Decimal("1.00")
    with pytest.raises(RuntimeError):
        session.flush()


def test_daily_job_reminds_once_and_lapses(
    session: Session, world: MdfWorld, make_user: Any
) -> None:
    from prm_domain import notifications
    from prm_domain.mdf import reminders

    req = requests.submit_request(session, world.admin, request_values(world.fund.id))
    requests.approve_request(session, world.vendor, req.id)
    day = req.claim_due_on - dt.timedelta(days=3)
    assert reminders.run_daily(session, day).reminded == 1
    assert reminders.run_daily(session, day).reminded == 0
    texts = [n.text for n in notifications.unread(session, world.admin)]
    assert any(f"#{req.id}" in t and str(req.claim_due_on) in t for t in texts)
    member = make_user(Role.PARTNER_USER, world.partner)
    assert notifications.unread(session, member) == []  # money: admins only
    done = reminders.run_daily(session, req.claim_due_on + dt.timedelta(days=1))
    assert done.lapsed == 1
    expiring = reminders.run_daily(session, world.fund.expiry_date - dt.timedelta(days=5))
    assert expiring.reminded >= 1


def test_demo_has_every_state_and_loads_once(
    session: Session, tmp_path: Any, password_hash: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prm_domain import demo
    from prm_domain.enums import MdfClaimStatus
    from prm_domain.mdf.demo import load_mdf
    from prm_domain.models import MdfClaim, MdfRequest, Partner

    # argon2 is slow on purpose and not what this is about
    monkeypatch.setattr("prm_domain.users.hash_password", lambda _plain: password_hash)
    demo.load(session)
    storage = LocalStorage(tmp_path / "files")
    # Late in the year, as most days are: the lapsed request needs 80 days of the fund behind.
    day = dt.date(dt.date.today().year, 9, 1)
    load_mdf(session, storage, day)
    load_mdf(session, storage, day)
    assert set(session.scalars(select(MdfRequest.status))) == set(MdfRequestStatus)
    assert set(session.scalars(select(MdfClaim.status))) == set(MdfClaimStatus)
    partners = session.scalar(select(func.count()).select_from(Partner))
    assert session.scalar(select(func.count()).select_from(MdfAllocation)) == partners
    paid = session.scalars(select(MdfClaim).where(MdfClaim.status == MdfClaimStatus.PAID)).one()
    assert storage.exists(claims.proofs_of(session, paid)[0].key)


def test_questions_reach_the_partner_and_only_it_answers(
    session: Session, world: MdfWorld, storage: LocalStorage
) -> None:
    from prm_domain import notifications
    from prm_domain.enums import MdfClaimStatus

    req = requests.submit_request(session, world.admin, request_values(world.fund.id))
    requests.request_changes(session, world.channel, req.id, "Split the catering out.")
    with pytest.raises(PermissionDenied):  # the vendor never answers for the partner
        requests.resubmit_request(session, world.vendor, req.id, {"description": "x"})
    with pytest.raises(NotFound):  # another partner does not learn it exists
        requests.resubmit_request(session, world.other_admin, req.id, {"description": "x"})
    requests.resubmit_request(session, world.admin, req.id, {"description": "No catering"})
    requests.approve_request(session, world.channel, req.id)
    claim = claims.submit_claim(
        session,
        world.admin,
        storage,
        {"request_id": req.id, "amount": Decimal("700.00"), "actual_cost": Decimal("1900.00")},
        event_proofs(),
        TODAY,
    )
    claims.request_info(session, world.channel, claim.id, "Please add the venue invoice.")
    texts = [n.text for n in notifications.unread(session, world.admin, limit=10)]
    assert any("changes" in t and "Split the catering out." in t for t in texts), texts
    assert any(f"#{claim.id}" in t and "venue invoice" in t for t in texts), texts
    invoice = [ProofFile("invoice.png", png())]
    with pytest.raises(PermissionDenied):
        claims.add_proofs(session, world.vendor, storage, claim.id, invoice)
    with pytest.raises(NotFound):
        claims.add_proofs(session, world.other_admin, storage, claim.id, invoice)
    with pytest.raises(ValidationError) as refused:
        claims.add_proofs(session, world.admin, storage, claim.id, [], "no file")
    assert refused.value.fields == {"proof": "add at least one file"}
    claims.add_proofs(session, world.admin, storage, claim.id, invoice, "Attached.")
    assert claim.status is MdfClaimStatus.SUBMITTED and claim.results.endswith("Attached.")
    assert [p.filename for p in claims.proofs_of(session, claim)][-1] == "invoice.png"
    with pytest.raises(Conflict):  # answered: nothing is asked any more
        claims.add_proofs(session, world.admin, storage, claim.id, invoice)
    # Asked again: a second notification (one per question, not one per claim).
    claims.request_info(session, world.channel, claim.id, "And the catering bill?")
    texts = [n.text for n in notifications.unread(session, world.admin, limit=10)]
    assert sum(f"claim #{claim.id}:" in t for t in texts) == 2, texts
    claims.add_proofs(session, world.admin, storage, claim.id, invoice)
    claims.approve_claim(session, world.vendor, claim.id)
    assert _balances(session, world)["claimed"] == Decimal("700.00")


def test_no_claim_due_reminder_while_a_claim_is_in_progress(
    session: Session, world: MdfWorld, storage: LocalStorage
) -> None:
    from prm_domain.mdf import reminders

    req = requests.submit_request(session, world.admin, request_values(world.fund.id))
    requests.approve_request(session, world.vendor, req.id)
    claim = claims.submit_claim(
        session,
        world.admin,
        storage,
        {"request_id": req.id, "amount": Decimal("10.00"), "actual_cost": Decimal("10.00")},
        event_proofs(),
        TODAY,
    )
    claims.request_info(session, world.vendor, claim.id, "Which venue?")
    day = req.claim_due_on - dt.timedelta(days=3)
    assert reminders.remind(session, day) == 0  # the question has its own notification
    claims.add_proofs(session, world.admin, storage, claim.id, [ProofFile("v.png", png())])
    claims.reject_claim(session, world.vendor, claim.id, "Not our event.")
    assert reminders.remind(session, day) == 1  # rejected: the partner may claim again
