"""Publications and results: per item and partner (published time, external link, clicks on
the tracked link, leads attributed) and per campaign (partners invited, approved, opted
out; posts published and failed; clicks; leads; MDF drawn)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prm_domain import access, validation
from prm_domain.access import Right
from prm_domain.campaigns.campaigns import get_campaign
from prm_domain.enums import (
    ChannelKind,
    EnrolmentStatus,
    MdfClaimStatus,
    PublicationState,
)
from prm_domain.models import (
    Asset,
    Channel,
    Enrolment,
    Lead,
    MdfClaim,
    MdfRequest,
    Partner,
    Publication,
    TrackedLink,
    User,
)
from prm_domain.pagination import Page, paginate
from prm_domain.rendering import slug


def list_publications(
    session: Session,
    actor: User,
    *,
    campaign_id: int | None = None,
    partner_id: int | None = None,
    state: PublicationState | None = None,
    channel_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[Publication]:
    """Vendors see every partner's; a partner's people see their own only."""
    stmt = select(Publication).where(
        access.partner_scope(actor, Publication.partner_id, access.Area.CONTENT)
    )
    for column, value in (
        (Publication.campaign_id, campaign_id),
        (Publication.partner_id, partner_id),
        (Publication.channel_id, channel_id),
    ):
        if value is not None:
            stmt = stmt.where(column == (value if 0 < value <= validation.MAX_ID else 0))
    if state is not None:
        stmt = stmt.where(Publication.state == state)
    stmt = stmt.order_by(Publication.due_at, Publication.id)
    return paginate(session, stmt, page=page, per_page=per_page)


@dataclass
class Row:
    """One item for one partner."""

    partner_id: int
    partner_name: str
    # The partner's answer to the invitation: invited, approved, opted out, paused.
    partner_state: str
    item_id: int
    item_title: str
    clicks: int
    leads: int
    # The publication, where the item was scheduled for the partner (one row per channel).
    channel: str = ""
    state: str = ""
    published_at: dt.datetime | None = None
    external_url: str = ""


@dataclass
class Summary:
    invited: int = 0
    approved: int = 0
    opted_out: int = 0
    paused: int = 0
    published: int = 0
    failed: int = 0
    scheduled: int = 0
    clicks: int = 0
    leads: int = 0
    # MDF paid out on claims of requests made for this campaign.
    mdf_drawn: Decimal = Decimal("0.00")
    by_day: list[tuple[dt.date, int]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)


def campaign_results(session: Session, actor: User, campaign_id: int) -> Summary:
    campaign = get_campaign(session, actor, campaign_id)
    access.require(actor, Right.MANAGE_CAMPAIGNS, "Only the vendor's marketing team sees results.")
    out = Summary()
    statuses = Counter(
        session.scalars(select(Enrolment.status).where(Enrolment.campaign_id == campaign.id))
    )
    out.invited = sum(statuses.values())
    out.approved = statuses[EnrolmentStatus.APPROVED] + statuses[EnrolmentStatus.PAUSED]
    out.opted_out = statuses[EnrolmentStatus.OPTED_OUT]
    out.paused = statuses[EnrolmentStatus.PAUSED]
    # Summed as Decimals here: SQLite keeps exact decimals as text, and its SUM is a float.
    paid = session.scalars(
        select(MdfClaim.approved_amount)
        .join(MdfRequest, MdfRequest.id == MdfClaim.request_id)
        .where(MdfRequest.campaign_id == campaign.id, MdfClaim.status == MdfClaimStatus.PAID)
    )
    out.mdf_drawn = sum((amount or Decimal("0.00") for amount in paid), Decimal("0.00"))
    states = dict(
        session.execute(
            select(Publication.state, func.count())
            .where(Publication.campaign_id == campaign.id)
            .group_by(Publication.state)
        ).all()
    )
    out.published = states.get(PublicationState.PUBLISHED, 0)
    out.failed = states.get(PublicationState.FAILED, 0)
    out.scheduled = states.get(PublicationState.SCHEDULED, 0)
    items = {item.id: item for item in campaign.items}
    names = dict(
        session.execute(
            select(Partner.id, Partner.name)
            .join(Enrolment, Enrolment.partner_id == Partner.id)
            .where(Enrolment.campaign_id == campaign.id)
        ).all()
    )
    clicks: dict[tuple[int, int], int] = {}
    leads: dict[tuple[int, int], int] = {}
    asset_items = {item.asset_id: item.id for item in items.values() if item.asset_id}
    if asset_items and names:
        for link in session.scalars(
            select(TrackedLink).where(
                TrackedLink.asset_id.in_(list(asset_items)), TrackedLink.partner_id.in_(list(names))
            )
        ):
            clicks[(link.partner_id, asset_items[link.asset_id])] = link.clicks
        slugs = {
            slug(a.name): asset_items[a.id]
            for a in session.scalars(select(Asset).where(Asset.id.in_(list(asset_items))))
        }
        since = campaign.launched_at or campaign.created_at
        for partner_id, utm in session.execute(
            select(Lead.partner_id, Lead.utm).where(
                Lead.partner_id.in_(list(names)), Lead.created_at >= since
            )
        ):
            item_id = slugs.get(str((utm or {}).get("utm_campaign", "")))
            if item_id is not None:
                leads[(partner_id, item_id)] = leads.get((partner_id, item_id), 0) + 1
    by_day: Counter[dt.date] = Counter()
    pubs: dict[tuple[int, int], list[Publication]] = {}
    for pub in session.scalars(
        select(Publication)
        .where(Publication.campaign_id == campaign.id)
        .order_by(Publication.partner_id, Publication.item_id, Publication.id)
    ):
        if pub.published_at is not None:
            by_day[pub.published_at.date()] += 1
        if pub.item_id is not None:
            pubs.setdefault((pub.partner_id, pub.item_id), []).append(pub)
    kinds = dict(
        session.execute(
            select(Channel.id, Channel.kind).where(
                Channel.id.in_({p.channel_id for ps in pubs.values() for p in ps if p.channel_id})
            )
        ).all()
    )
    # Every invited partner, for every item: a partner that has not approved (or opted out,
    # or left an item out) shows as such, not as a missing row.
    enrolled = session.execute(
        select(Enrolment.partner_id, Enrolment.status)
        .join(Partner, Partner.id == Enrolment.partner_id)
        .where(Enrolment.campaign_id == campaign.id)
        .order_by(Partner.name, Partner.id)
    ).all()
    for partner_id, status in enrolled:
        for item in campaign.items:
            pair = (partner_id, item.id)
            found: list[Publication | None] = list(pubs.get(pair, [])) or [None]
            for n, one in enumerate(found):
                kind = kinds.get(one.channel_id) if one is not None and one.channel_id else None
                out.rows.append(
                    Row(
                        partner_id=partner_id,
                        partner_name=names.get(partner_id, ""),
                        partner_state=status.value.replace("_", " "),
                        item_id=item.id,
                        item_title=item.title or item.kind.value,
                        # Clicks and leads belong to the (partner, item): on its first row.
                        clicks=clicks.get(pair, 0) if n == 0 else 0,
                        leads=leads.get(pair, 0) if n == 0 else 0,
                        channel=kind.value if kind else "",
                        state=one.state.value if one is not None else "",
                        published_at=one.published_at if one is not None else None,
                        external_url=one.external_url if one is not None else "",
                    )
                )
    out.clicks = sum(clicks.values())
    out.leads = sum(leads.values())
    out.by_day = sorted(by_day.items())
    return out


def calendar(
    session: Session, actor: User, start: dt.datetime, end: dt.datetime
) -> list[Publication]:
    """What goes out (or went out) between ``start`` and ``end``: the partner's own, or every
    partner's for the vendor. Held and skipped posts are left out."""
    stmt = (
        select(Publication)
        .where(
            access.partner_scope(actor, Publication.partner_id, access.Area.CONTENT),
            Publication.due_at >= start,
            Publication.due_at < end,
            Publication.state != PublicationState.SKIPPED,
        )
        .order_by(Publication.due_at, Publication.id)
        .limit(2000)
    )
    return list(session.scalars(stmt))


def outbox_feed(
    session: Session, actor: User, *, page: int = 1, per_page: int = 20
) -> Page[Publication]:
    """The built-in outbox channel's feed: posts "published" there, newest first."""
    stmt = (
        select(Publication)
        .join(Channel, Channel.id == Publication.channel_id)
        .where(
            access.partner_scope(actor, Publication.partner_id, access.Area.CONTENT),
            Channel.kind == ChannelKind.OUTBOX,
            Publication.state == PublicationState.PUBLISHED,
        )
        .order_by(Publication.published_at.desc(), Publication.id.desc())
    )
    return paginate(session, stmt, page=page, per_page=per_page)
