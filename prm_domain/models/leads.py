"""Lead routing as data: ordered rules, and the history of each lead's offers to partners."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from prm_domain.base import NO_ID_REUSE, Base, str_enum, utcnow
from prm_domain.enums import OfferOutcome


class LeadRoutingRule(Base):
    """One routing rule. Rules are tried by ``position``; the first that has an eligible
    partner gets the lead, round-robin among the equals it finds. Empty lists match anything.

    A rule matches a lead by territory (the lead's country in ``countries``, its region in
    ``regions``) and vertical (the lead's vertical in ``verticals``); a partner is eligible when
    it is active, in the same territory, serves the lead's vertical, has one of
    ``partner_types`` and ``tier_ids``, holds every code in ``required_certifications`` and has
    fewer than ``capacity`` open leads.
    """

    __tablename__ = "lead_routing_rule"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=100, index=True)
    active: Mapped[bool] = mapped_column(default=True)
    countries: Mapped[list[str]] = mapped_column(default=list)
    regions: Mapped[list[str]] = mapped_column(default=list)
    partner_types: Mapped[list[str]] = mapped_column(default=list)
    verticals: Mapped[list[str]] = mapped_column(default=list)
    required_certifications: Mapped[list[str]] = mapped_column(default=list)
    tier_ids: Mapped[list[int]] = mapped_column(default=list)
    # Most open leads (offered, accepted, working) a partner may hold; None: no limit.
    capacity: Mapped[int | None]
    # The round-robin pointer: the partner that got this rule's last lead, and a counter moved
    # by a conditional UPDATE so that two routings at once never hand out the same turn.
    rr_last_partner_id: Mapped[int | None]
    rr_seq: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LeadOffer(Base):
    """One partner's turn with a lead: offered (or claimed) and how it ended."""

    __tablename__ = "lead_offer"
    # A partner's offers of a period, their outcome read from the index (the scorecards).
    __table_args__ = (
        Index("ix_lead_offer_partner_id_offered_at_outcome", "partner_id", "offered_at", "outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("lead_routing_rule.id", ondelete="SET NULL")
    )
    outcome: Mapped[OfferOutcome] = mapped_column(
        str_enum(OfferOutcome), default=OfferOutcome.PENDING
    )
    offered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None]
