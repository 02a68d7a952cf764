"""Deal registrations: submit (with the conflict check), review, protection, extensions, and
stage updates from the vendor's CRM. Every change is audited and sent to the webhooks."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from prm_domain import access, audit, notifications, validation
from prm_domain.base import utcnow
from prm_domain.deals import accounts, conflicts, matching, names, webhooks
from prm_domain.enums import DealStatus
from prm_domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from prm_domain.models import DealRegistration, DealTierPolicy, Partner, User
from prm_domain.pagination import Page, paginate

DEFAULT_PROTECTION_DAYS = 90
REMINDER_DAYS = (30, 60, 90)
FORM_FIELDS = (
    "company",
    "contact_name",
    "contact_email",
    "country",
    "products",
    "estimated_value",
    "expected_close",
    "notes",
)
PARTNER_EDITABLE = frozenset({"products", "estimated_value", "expected_close", "notes"})
MAX_VALUE = decimal.Decimal("999999999999.99")


_PLAIN_DECIMAL = re.compile(r"[0-9]{1,15}(\.[0-9]{1,2})?")


def _value(value: Any) -> decimal.Decimal:
    # Money travels as a plain decimal string ("25000.00"), as in MDF: never a JSON number,
    # an exponent ("1e5") or a special value.
    if isinstance(value, decimal.Decimal):
        value = str(value)
    if not isinstance(value, str) or not _PLAIN_DECIMAL.fullmatch(value.strip()):
        raise validation.fail(
            "estimated_value", "must be an amount such as 25000.00 (in the API: a string)"
        )
    try:
        number = decimal.Decimal(value.strip())
    except (decimal.InvalidOperation, TypeError, ValueError):
        raise validation.fail("estimated_value", "must be a decimal number") from None
    if not number.is_finite() or not decimal.Decimal(0) <= number <= MAX_VALUE:
        raise validation.fail("estimated_value", "must be between 0 and 999999999999.99")
    if number.as_tuple().exponent < -2:  # type: ignore[operator]  # finite: int exponent
        raise validation.fail("estimated_value", "must have at most two decimal places")
    return number


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise validation.fail("expected_close", "must be a date, YYYY-MM-DD")


RULES: dict[str, Callable[[Any], Any]] = {
    "company": lambda v: validation.text("company", v, max_len=200),
    "contact_name": lambda v: validation.text("contact_name", v, max_len=120),
    "contact_email": lambda v: validation.email("contact_email", v),
    "country": lambda v: validation.country("country", v),
    "products": lambda v: validation.string_list("products", v, max_items=20, max_len=80),
    "estimated_value": _value,
    "expected_close": _date,
    "notes": lambda v: validation.text("notes", v, max_len=2000, required=False),
}


def _clean(values: Mapping[str, Any], fields: tuple[str, ...] | frozenset[str]) -> dict[str, Any]:
    problems: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for field in fields:
        if field not in values:
            continue
        try:
            clean[field] = RULES[field](values[field])
        except ValidationError as exc:
            problems.update(exc.fields)
    if "company" in clean and not names.normalise(clean["company"]):
        problems["company"] = "must contain letters or digits"
    if problems:
        raise ValidationError.for_fields(problems)
    return clean


def check(
    session: Session, actor: User, company: Any, contact_email: Any = None
) -> list[dict[str, Any]]:
    """Conflicts for a company being typed, as ``actor`` may read them; nothing is stored."""
    access.ensure_can_check_deals(actor)
    name = validation.text("company", company, max_len=200)
    email = None
    if contact_email not in (None, ""):
        email = validation.email("contact_email", contact_email)
    return conflicts.redact(conflicts.find_conflicts(session, name, email), actor)


def policy_for(session: Session, partner: Partner) -> tuple[bool, int]:
    """(auto-approve clean registrations, protection days) of the partner's tier."""
    row = session.get(DealTierPolicy, partner.tier_id)
    if row is None:
        return False, DEFAULT_PROTECTION_DAYS
    return row.auto_approve, row.protection_days


def register_deal(session: Session, actor: User, values: Mapping[str, Any]) -> DealRegistration:
    access.ensure_can_register_deals(actor)
    unknown = set(values) - set(FORM_FIELDS)
    missing = set(FORM_FIELDS) - set(values) - {"notes", "products"}
    if unknown or missing:
        raise ValidationError.for_fields(
            {f: "unknown field" for f in unknown} | {f: "is required" for f in missing}
        )
    clean = _clean(values, FORM_FIELDS)
    partner = session.get(Partner, actor.partner_id)
    if partner is None:
        raise NotFound("Partner not found.")
    found = conflicts.find_conflicts(session, clean["company"], clean["contact_email"])
    deal = DealRegistration(
        partner_id=partner.id,
        created_by_id=actor.id,
        conflicts=found,
        flagged=bool(found),
        **clean,
    )
    auto, days = policy_for(session, partner)
    if auto and not found:
        _approve(deal, None, days, "Approved automatically: no conflict found.")
    session.add(deal)
    session.flush()
    accounts.index_keys(
        session,
        "registration",
        deal.id,
        matching.Candidate(deal.id, deal.company, (), names.email_domain(deal.contact_email)),
    )
    audit.record(session, actor, "deal.registered", deal, {"status": deal.status.value})
    webhooks.record_event(session, "deal.created", deal)
    return deal


def register_deal_from_lead(
    session: Session, actor: User, lead_id: int, values: Mapping[str, Any]
) -> DealRegistration:
    """Register a deal for one of the organisation's leads and convert the lead to it, in one
    transaction: a lead that cannot convert (not the partner's, not accepted) refuses the
    registration too, and nothing is stored."""
    from prm_domain.leads import lifecycle

    deal = register_deal(session, actor, values)
    lifecycle.convert_lead(session, actor, lead_id, deal.id)
    return deal


def prefill_for_lead(session: Session, actor: User, lead_id: int) -> dict[str, Any]:
    """The registration form's values from one of the actor's leads (read as the lead pages
    read it: another tenant's lead is NotFound)."""
    from prm_domain.syndication import leads as lead_data

    lead = lead_data.get_lead(session, actor, lead_id)
    if not access.can_see_lead_contact(actor, lead.state, lead.partner_id):
        # An offered lead shows who, not how to reach them, until it is accepted.
        raise Conflict("Accept the lead before registering its deal.")
    return prefill_from_lead(lead)


def _approve(deal: DealRegistration, actor: User | None, days: int, reason: str) -> None:
    deal.status = DealStatus.APPROVED
    deal.decided_at = utcnow()
    deal.decided_by_id = actor.id if actor else None
    deal.decision_reason = reason
    deal.protected_until = deal.decided_at.date() + dt.timedelta(days=days)
    # A new term (an expired deal approved again) gets its own 30/60/90-day reminders.
    deal.reminders_sent = []


def list_deals(
    session: Session,
    actor: User,
    *,
    status: DealStatus | None = None,
    flagged: bool | None = None,
    q: str = "",
    page: int = 1,
    per_page: int = 50,
) -> Page[DealRegistration]:
    stmt = select(DealRegistration).where(access.deal_scope(actor, DealRegistration.partner_id))
    if status is not None:
        stmt = stmt.where(DealRegistration.status == status)
    if q:
        stmt = stmt.where(
            or_(
                DealRegistration.company.icontains(q, autoescape=True),
                DealRegistration.contact_email.icontains(q, autoescape=True),
            )
        )
    if flagged is not None:
        stmt = stmt.where(DealRegistration.flagged.is_(flagged))
    stmt = stmt.order_by(DealRegistration.created_at.desc(), DealRegistration.id.desc())
    return paginate(session, stmt, page=page, per_page=per_page)


def get_deal(session: Session, actor: User, deal_id: int) -> DealRegistration:
    deal = session.get(DealRegistration, deal_id)
    if deal is None:
        access.ensure_status(actor, access.Area.DEALS)
        raise NotFound("Deal not found.")
    access.ensure_can_see_deal(actor, deal.partner_id)
    return deal


def visible_conflicts(deal: DealRegistration, viewer: User) -> list[dict[str, Any]]:
    return conflicts.redact(list(deal.conflicts), viewer)


# PATCH fields: the vendor reviews and keeps the CRM's stage; the partner edits its form and
# asks for more time.
VENDOR_FIELDS = frozenset({"status", "decision_reason", "stage", "extension"})
PARTNER_FIELDS = PARTNER_EDITABLE | {"extension", "extension_reason"}


def update_deal(
    session: Session, actor: User, deal_id: int, values: Mapping[str, Any]
) -> DealRegistration:
    deal = get_deal(session, actor, deal_id)
    allowed = VENDOR_FIELDS if actor.is_vendor else PARTNER_FIELDS
    refused = set(values) - allowed
    if refused:
        raise PermissionDenied(
            "You may not change: " + ", ".join(sorted(refused)) + ".",
            {f: "not yours to change" for f in refused},
        )
    before = {
        "status": deal.status.value,
        "stage": deal.stage,
        "extension": deal.extension_status,
        "estimated_value": str(deal.estimated_value),
        "expected_close": deal.expected_close.isoformat(),
    }
    if actor.is_vendor:
        access.ensure_can_review_deals(actor)
        _vendor_update(session, actor, deal, values)
    else:
        access.ensure_can_register_deals(actor)
        _partner_update(deal, values)
    session.flush()
    after = {
        "status": deal.status.value,
        "stage": deal.stage,
        "extension": deal.extension_status,
        "estimated_value": str(deal.estimated_value),
        "expected_close": deal.expected_close.isoformat(),
    }
    audit.record(session, actor, "deal.updated", deal, {"before": before, "after": after})
    webhooks.record_event(session, "deal.updated", deal)
    if before["status"] != DealStatus.WON and deal.status == DealStatus.WON:
        on_deal_closed_won(session, deal)
    if (before["status"], before["stage"]) != (after["status"], after["stage"]):
        from prm_domain import tier_rules

        tier_rules.evaluate_partner_id(
            session, deal.partner_id, f"deal {deal.company} {deal.status.value}"
        )
    return deal


def _partner_update(deal: DealRegistration, values: Mapping[str, Any]) -> None:
    if deal.status not in conflicts.ACTIVE:
        raise Conflict(f"This registration is {deal.status.value}: it cannot be changed.")
    if "estimated_value" in values and deal.status != DealStatus.PENDING:
        # Co-op MDF accrues on the value when the deal is won: after approval, only the
        # vendor's review may change what the partner registered.
        raise Conflict(
            "The value of an approved deal cannot be changed; ask your channel manager.",
            {"estimated_value": "fixed once the deal is approved"},
        )
    for field, value in _clean(values, PARTNER_EDITABLE).items():
        setattr(deal, field, value)
    if "extension" in values:
        if values["extension"] != "requested":
            raise ValidationError.for_fields({"extension": 'partners may only send "requested"'})
        if deal.status != DealStatus.APPROVED:
            raise Conflict("Only an approved deal's protection can be extended.")
        if deal.extension_status == "pending":
            raise Conflict("An extension is already waiting for the vendor.")
        deal.extension_status = "pending"
        deal.extension_reason = validation.text(
            "extension_reason", values.get("extension_reason", ""), max_len=500
        )


TRANSITIONS: dict[DealStatus, frozenset[DealStatus]] = {
    DealStatus.PENDING: frozenset({DealStatus.APPROVED, DealStatus.REJECTED}),
    DealStatus.APPROVED: frozenset({DealStatus.REJECTED, DealStatus.WON, DealStatus.LOST}),
    DealStatus.REJECTED: frozenset(),
    DealStatus.EXPIRED: frozenset({DealStatus.APPROVED}),
    DealStatus.WON: frozenset(),
    DealStatus.LOST: frozenset(),
}


def _vendor_update(
    session: Session, actor: User, deal: DealRegistration, values: Mapping[str, Any]
) -> None:
    partner = session.get(Partner, deal.partner_id)
    days = policy_for(session, partner)[1] if partner else DEFAULT_PROTECTION_DAYS
    if "stage" in values:
        deal.stage = validation.text("stage", values["stage"], max_len=40, required=False)
    reason = validation.text(
        "decision_reason", values.get("decision_reason", ""), max_len=500, required=False
    )
    if "status" in values:
        new = validation.choice("status", values["status"], DealStatus)
        if new != deal.status:
            if new not in TRANSITIONS[deal.status]:
                raise Conflict(
                    f"This deal is {deal.status.value}: it cannot become {new.value}.",
                    {"status": f"not allowed from {deal.status.value}"},
                )
            if new == DealStatus.REJECTED and not reason:
                raise ValidationError.for_fields({"decision_reason": "say why it is rejected"})
            if new == DealStatus.APPROVED:
                _approve(deal, actor, days, reason)
            else:
                deal.status = new
                deal.decided_at = utcnow()
                deal.decided_by_id = actor.id
                deal.decision_reason = reason
    if "extension" in values:
        decision = values["extension"]
        if decision not in ("approved", "denied"):
            raise ValidationError.for_fields({"extension": 'must be "approved" or "denied"'})
        if deal.extension_status != "pending":
            raise Conflict("No extension request is waiting.", {"extension": "nothing to decide"})
        deal.extension_status = decision
        if decision == "approved" and deal.protected_until is not None:
            deal.protected_until += dt.timedelta(days=days)
        until = deal.protected_until.isoformat() if deal.protected_until else ""
        _tell_partner(
            session,
            deal,
            f"Deal {deal.company}: extension approved, protected until {until}."
            if decision == "approved"
            else f"Deal {deal.company}: extension denied; protection ends on {until}.",
            f"extension:{utcnow().isoformat()}",
        )


def on_deal_closed_won(session: Session, deal: DealRegistration) -> None:
    """A deal just closed won: co-op accruals credit the partner's share of its value in every
    fund running today where the partner accrues (credit_accrual credits a deal once)."""
    from prm_domain.mdf import funds as mdf_funds

    mdf_funds.credit_accruals_for_deal(
        session, deal.partner_id, deal.estimated_value, f"deal-{deal.id}"
    )


def prefill_from_lead(lead: Any) -> dict[str, Any]:
    """The registration form's values from a converted lead (pure: reads attributes only)."""
    country = (getattr(lead, "country", "") or "").strip()
    return {
        "company": (getattr(lead, "company", "") or "").strip(),
        "contact_name": (getattr(lead, "name", "") or "").strip(),
        "contact_email": (getattr(lead, "email", "") or "").strip(),
        "country": country.upper() if len(country) == 2 else "",
        "notes": (getattr(lead, "message", "") or "").strip()[:2000],
    }


def _tell_partner(session: Session, deal: DealRegistration, text: str, key: str) -> int:
    return notifications.notify_user(
        session,
        partner_id=deal.partner_id,
        user_id=None,
        kind="deal",
        text=text,
        link=f"/deals/{deal.id}",
        dedupe_key=f"deal:{deal.id}:{key}",
    )


def send_reminders(session: Session, today: dt.date | None = None) -> int:
    """The periodic job: a notice to the partner 30, 60 and 90 days into an approved deal's
    protection (each once per term), and expiry, told, once ``protected_until`` has passed."""
    today = today or utcnow().date()
    sent = 0
    stmt = select(DealRegistration).where(DealRegistration.status == DealStatus.APPROVED)
    for deal in session.scalars(stmt):
        if deal.decided_at is None:
            continue
        term = deal.decided_at.date()
        days_in = (today - term).days
        due = [d for d in REMINDER_DAYS if d <= days_in and d not in deal.reminders_sent]
        if due:
            mark = max(due)
            left = (deal.protected_until - today).days if deal.protected_until else 0
            sent += _tell_partner(
                session,
                deal,
                f"Deal {deal.company}: {mark} days into protection, {max(left, 0)} days left.",
                f"{deal.decided_at.isoformat()}:reminder:{mark}",
            )
            deal.reminders_sent = sorted({*deal.reminders_sent, *due})
        if deal.protected_until is not None and today > deal.protected_until:
            deal.status = DealStatus.EXPIRED
            _tell_partner(
                session,
                deal,
                f"Deal {deal.company}: protection ended on {deal.protected_until.isoformat()}. "
                "Ask your channel manager if the deal is still open.",
                f"expired:{deal.protected_until.isoformat()}",
            )
            webhooks.record_event(session, "deal.updated", deal)
    session.flush()
    return sent
