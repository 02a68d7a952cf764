"""Routing rules as data, who is eligible for a lead, and the round-robin turn among equals."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from prm_domain import access, audit, validation
from prm_domain.enums import LEAD_OPEN_STATES, PartnerStatus, PartnerType, Region
from prm_domain.errors import Conflict, NotFound, ValidationError
from prm_domain.models import Lead, LeadOffer, LeadRoutingRule, Partner, Tier, User
from prm_domain.pagination import Page, paginate
from prm_domain.training import partner_certifications

MAX_POSITION = 10_000
MAX_CAPACITY = 100_000
# Attempts at the round-robin pointer before giving up: each failure means another routing
# took a turn in between, so this many in a row would take a storm of parallel leads.
TURN_ATTEMPTS = 50


# -- the rules (vendor) --------------------------------------------------------------------


def _int_in(field: str, low: int, high: int, *, nullable: bool = False) -> Callable[[Any], Any]:
    def rule(value: Any) -> int | None:
        if value is None and nullable:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise validation.fail(field, f"must be a whole number from {low} to {high}")
        return value

    return rule


def _tier_ids(session: Session) -> Callable[[Any], list[int]]:
    def rule(value: Any) -> list[int]:
        if not isinstance(value, list) or len(value) > 20:
            raise validation.fail("tier_ids", "must be a list of at most 20 tier ids")
        out: list[int] = []
        for tid in value:
            is_id = isinstance(tid, int) and not isinstance(tid, bool)
            if not is_id or not 1 <= tid <= validation.MAX_ID or session.get(Tier, tid) is None:
                raise validation.fail("tier_ids", "names a tier that does not exist (any more)")
            if tid not in out:
                out.append(tid)
        return out

    return rule


def _codes(field: str, check: Callable[[str, Any], Any]) -> Callable[[Any], list[str]]:
    def rule(value: Any) -> list[str]:
        items = validation.string_list(field, value, max_items=50, max_len=60)
        return list(dict.fromkeys(str(check(field, v)) for v in items))

    return rule


def clean_rule_values(
    session: Session, values: Mapping[str, Any], *, partial: bool = False
) -> dict[str, Any]:
    rules: dict[str, Callable[[Any], Any]] = {
        "name": lambda v: validation.text("name", v, max_len=120),
        "position": _int_in("position", 0, MAX_POSITION),
        "active": lambda v: v if isinstance(v, bool) else _fail("active", "must be true or false"),
        "countries": _codes("countries", validation.country),
        "regions": _codes("regions", lambda f, v: validation.choice(f, v, Region).value),
        "partner_types": _codes(
            "partner_types", lambda f, v: validation.choice(f, v, PartnerType).value
        ),
        "verticals": lambda v: validation.string_list("verticals", v, max_items=20, max_len=60),
        "required_certifications": lambda v: validation.string_list(
            "required_certifications", v, max_items=20, max_len=60
        ),
        "tier_ids": _tier_ids(session),
        "capacity": _int_in("capacity", 1, MAX_CAPACITY, nullable=True),
    }
    problems = {f: "unknown field" for f in values if f not in rules}
    if not partial and "name" not in values:
        problems["name"] = "is required"
    clean: dict[str, Any] = {}
    for field, value in values.items():
        if field in rules:
            try:
                clean[field] = rules[field](value)
            except ValidationError as exc:
                problems.update(exc.fields)
    if problems:
        raise ValidationError.for_fields(problems)
    return clean


def _fail(field: str, why: str) -> Any:
    raise validation.fail(field, why)


def list_rules(
    session: Session, actor: User, *, page: int = 1, per_page: int = 200
) -> Page[LeadRoutingRule]:
    access.ensure_vendor(actor, access.Right.MANAGE_LEAD_ROUTING)
    stmt = select(LeadRoutingRule).order_by(LeadRoutingRule.position, LeadRoutingRule.id)
    return paginate(session, stmt, page=page, per_page=per_page)


def get_rule(session: Session, actor: User, rule_id: int) -> LeadRoutingRule:
    access.ensure_vendor(actor, access.Right.MANAGE_LEAD_ROUTING)
    rule = session.get(LeadRoutingRule, rule_id)
    if rule is None:
        raise NotFound("Routing rule not found.")
    return rule


def create_rule(session: Session, actor: User, values: Mapping[str, Any]) -> LeadRoutingRule:
    access.ensure_vendor(actor, access.Right.MANAGE_LEAD_ROUTING)
    rule = LeadRoutingRule(**clean_rule_values(session, values))
    session.add(rule)
    session.flush()
    audit.record(session, actor, "lead_rule.created", rule, {"name": [None, rule.name]})
    return rule


def update_rule(
    session: Session, actor: User, rule_id: int, values: Mapping[str, Any]
) -> LeadRoutingRule:
    rule = get_rule(session, actor, rule_id)
    clean = clean_rule_values(session, values, partial=True)
    changes = audit.diff(rule, clean)
    for field, value in clean.items():
        setattr(rule, field, value)
    session.flush()
    if changes:
        audit.record(session, actor, "lead_rule.updated", rule, changes)
    return rule


def delete_rule(session: Session, actor: User, rule_id: int) -> None:
    rule = get_rule(session, actor, rule_id)
    audit.record(session, actor, "lead_rule.deleted", rule, {"name": [rule.name, None]})
    session.delete(rule)
    session.flush()


# -- eligibility ---------------------------------------------------------------------------


def rule_matches_lead(rule: LeadRoutingRule, lead: Lead) -> bool:
    """The lead side of a rule: its territory and vertical."""
    if rule.countries and lead.country.upper() not in rule.countries:
        return False
    if rule.regions and lead.region not in rule.regions:
        return False
    return not rule.verticals or lead.vertical in rule.verticals


class Eligibility:
    """Answers "may this partner have this lead under this rule" for one lead, caching what
    it has to query (open-lead counts, certifications, who already had the lead)."""

    def __init__(self, session: Session, lead: Lead) -> None:
        self.session = session
        self.lead = lead
        self._open: dict[int, int] | None = None
        self._certs: dict[int, set[str]] = {}
        self.had_it: set[int] = set(
            session.scalars(select(LeadOffer.partner_id).where(LeadOffer.lead_id == lead.id))
            if lead.id is not None
            else []
        )

    def open_leads(self, partner_id: int) -> int:
        if self._open is None:
            rows = self.session.execute(
                select(Lead.partner_id, func.count())
                .where(Lead.state.in_(LEAD_OPEN_STATES), Lead.partner_id.is_not(None))
                .group_by(Lead.partner_id)
            )
            self._open = {int(pid): int(n) for pid, n in rows if pid is not None}
        return self._open.get(partner_id, 0)

    def certifications(self, partner_id: int) -> set[str]:
        if partner_id not in self._certs:
            self._certs[partner_id] = partner_certifications(self.session, partner_id)
        return self._certs[partner_id]

    def partner_fits(self, rule: LeadRoutingRule, partner: Partner) -> bool:
        """The partner side of a rule, for this lead (capacity included)."""
        if not access.partner_allows(partner, access.Area.LEADS) or partner.id in self.had_it:
            return False
        if rule.countries and partner.country not in rule.countries:
            return False
        if rule.regions and partner.region not in rule.regions:
            return False
        if rule.verticals and self.lead.vertical not in partner.verticals:
            return False
        if rule.partner_types and partner.type not in rule.partner_types:
            return False
        if rule.tier_ids and partner.tier_id not in rule.tier_ids:
            return False
        if rule.required_certifications and not set(rule.required_certifications) <= (
            self.certifications(partner.id)
        ):
            return False
        return rule.capacity is None or self.open_leads(partner.id) < rule.capacity


def active_rules(session: Session) -> list[LeadRoutingRule]:
    stmt = (
        select(LeadRoutingRule)
        .where(LeadRoutingRule.active.is_(True))
        .order_by(LeadRoutingRule.position, LeadRoutingRule.id)
    )
    return list(session.scalars(stmt))


def active_partners(session: Session) -> list[Partner]:
    stmt = select(Partner).where(Partner.status == PartnerStatus.ACTIVE).order_by(Partner.id)
    return list(session.scalars(stmt))


def choose(session: Session, lead: Lead) -> tuple[LeadRoutingRule, int] | None:
    """The first rule with eligible partners, and whose turn it is among them; None: the pool."""
    check = Eligibility(session, lead)
    partners = active_partners(session)
    for rule in active_rules(session):
        if not rule_matches_lead(rule, lead):
            continue
        eligible = [p.id for p in partners if check.partner_fits(rule, p)]
        if eligible:
            return rule, take_turn(session, rule.id, eligible)
    return None


def may_claim(session: Session, lead: Lead, partner: Partner) -> bool:
    """A pool lead is open to partners a matching rule would route it to (capacity included,
    the round-robin aside), or to any active partner when no rule matches it. A partner that
    declined the lead or let its offer lapse does not get it back from the pool."""
    check = Eligibility(session, lead)
    if not access.partner_allows(partner, access.Area.LEADS) or partner.id in check.had_it:
        return False
    matching = [r for r in active_rules(session) if rule_matches_lead(r, lead)]
    return not matching or any(check.partner_fits(r, partner) for r in matching)


def take_turn(session: Session, rule_id: int, eligible: Sequence[int]) -> int:
    """The partner after the rule's last one (by id, wrapping round), moving the pointer with a
    conditional UPDATE on its counter: of two routings that read the same pointer, one moves
    it and the other reads again, so each turn is handed out once, on Postgres and SQLite."""
    ordered = sorted(eligible)
    for _ in range(TURN_ATTEMPTS):
        seq, last = session.execute(
            select(LeadRoutingRule.rr_seq, LeadRoutingRule.rr_last_partner_id).where(
                LeadRoutingRule.id == rule_id
            )
        ).one()
        chosen = next((p for p in ordered if last is None or p > last), ordered[0])
        moved = session.execute(
            update(LeadRoutingRule)
            .where(LeadRoutingRule.id == rule_id, LeadRoutingRule.rr_seq == seq)
            .values(rr_seq=seq + 1, rr_last_partner_id=chosen)
            .execution_options(synchronize_session=False)
        )
        if getattr(moved, "rowcount", 0) == 1:
            return chosen
    raise Conflict("Too many leads are being routed at once; try again.")
