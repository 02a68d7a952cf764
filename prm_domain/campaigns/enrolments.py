"""The partner's side: invitations, approval (which schedules the posts), opt-out, pause."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from prm_domain import access, audit, validation
from prm_domain.access import Right
from prm_domain.base import utcnow
from prm_domain.campaigns import content, holds
from prm_domain.campaigns.campaigns import ensure_partner_item_edits
from prm_domain.enums import (
    CampaignItemKind,
    CampaignStatus,
    ChannelKind,
    ChannelStatus,
    EnrolmentStatus,
    PublicationState,
)
from prm_domain.errors import Conflict, NotFound, ValidationError
from prm_domain.models import Campaign, Channel, Enrolment, Partner, Publication, User
from prm_domain.pagination import Page, paginate

SOCIAL_KINDS = frozenset(
    {ChannelKind.LINKEDIN, ChannelKind.X, ChannelKind.WEBHOOK, ChannelKind.OUTBOX}
)
EMAIL_KINDS = frozenset({ChannelKind.SMTP, ChannelKind.OUTBOX})


def list_enrolments(
    session: Session,
    actor: User,
    *,
    campaign_id: int | None = None,
    status: EnrolmentStatus | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[Enrolment]:
    stmt = select(Enrolment).where(
        access.partner_scope(actor, Enrolment.partner_id, access.Area.CONTENT)
    )
    if campaign_id is not None:
        stmt = stmt.where(Enrolment.campaign_id == campaign_id)
    if status is not None:
        stmt = stmt.where(Enrolment.status == status)
    return paginate(session, stmt.order_by(Enrolment.id.desc()), page=page, per_page=per_page)


def get_enrolment(session: Session, actor: User, enrolment_id: int) -> Enrolment:
    enrolment = session.get(Enrolment, enrolment_id)
    if enrolment is None:
        access.ensure_status(actor, access.Area.CONTENT)
        raise NotFound("Enrolment not found.")
    access.ensure_visible(actor, enrolment.partner_id, "Enrolment", access.Area.CONTENT)
    return enrolment


def _own(session: Session, actor: User, enrolment_id: int) -> Enrolment:
    enrolment = get_enrolment(session, actor, enrolment_id)
    access.require(actor, Right.RUN_OWN_CAMPAIGNS, "Only the partner's admins decide this.")
    if actor.partner_id != enrolment.partner_id:
        raise NotFound("Enrolment not found.")
    return enrolment


def outbox_channel(session: Session, partner_id: int) -> Channel:
    """The built-in outbox: every partner has one, made on first need."""
    channel = session.scalar(
        select(Channel)
        .where(Channel.partner_id == partner_id, Channel.kind == ChannelKind.OUTBOX)
        .order_by(Channel.id)
    )
    if channel is None:
        channel = Channel(partner_id=partner_id, kind=ChannelKind.OUTBOX, name="Outbox (preview)")
        session.add(channel)
        session.flush()
    return channel


def partner_channels(session: Session, partner_id: int, *, create: bool = True) -> list[Channel]:
    """The partner's usable channels, the outbox among them (made here unless ``create`` is
    false, for pages that only read: they offer the outbox by name instead)."""
    if create:
        outbox_channel(session, partner_id)
    return list(
        session.scalars(
            select(Channel)
            .where(Channel.partner_id == partner_id, Channel.status != ChannelStatus.DISABLED)
            .order_by(Channel.id)
        )
    )


def _channels(session: Session, partner_id: int, value: Any) -> list[Channel]:
    if value is None:
        return [outbox_channel(session, partner_id)]
    if (
        not isinstance(value, list)
        or not value
        or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 < v <= validation.MAX_ID
            for v in value
        )
    ):
        raise validation.fail("channel_ids", "must be a non-empty list of channel ids")
    channels = {c.id: c for c in partner_channels(session, partner_id)}
    unknown = [v for v in value if v not in channels]
    if unknown:
        # Another partner's channel is as unknown as a missing one.
        raise validation.fail("channel_ids", f"not channels of yours: {unknown}")
    return [channels[v] for v in dict.fromkeys(value)]


def approve(
    session: Session,
    actor: User,
    enrolment_id: int,
    values: Mapping[str, Any],
    base_url: str,
) -> Enrolment:
    """Approve the campaign (all items, or ``item_ids``) on ``channel_ids`` with ``edits``:
    one Publication per item and fitting channel (social posts to social channels, emails to
    SMTP or the outbox), scheduled in the partner's time zone.

    Approving twice, or twice at once, schedules one set: the status moves from invited by a
    conditional UPDATE that only one transaction wins, and every publication's key is unique.
    """
    enrolment = _own(session, actor, enrolment_id)
    campaign = enrolment.campaign
    if campaign.status == CampaignStatus.DRAFT:
        raise NotFound("Enrolment not found.")
    unknown = {f: "unknown field" for f in values if f not in ("channel_ids", "edits", "item_ids")}
    if unknown:
        raise ValidationError.for_fields(unknown)
    partner = session.get(Partner, enrolment.partner_id)
    assert partner is not None
    channels = _channels(session, partner.id, values.get("channel_ids"))
    items = {item.id: item for item in campaign.items}
    chosen = values.get("item_ids")
    if chosen is not None and (
        not isinstance(chosen, list) or not chosen or any(i not in items for i in chosen)
    ):
        raise validation.fail("item_ids", "must be a non-empty list of this campaign's items")
    raw_edits = values.get("edits") or {}
    if not isinstance(raw_edits, Mapping):
        raise validation.fail("edits", "must be an object {item id: {field: text}}")
    edits: dict[str, dict[str, str]] = {}
    problems: dict[str, str] = {}
    for key, fields in raw_edits.items():
        digits = str(key)
        # ASCII digits only: "²" passes str.isdigit() and int() refuses it.
        item = items.get(int(digits)) if digits.isascii() and digits.isdigit() else None
        if item is None:
            problems[f"edits.{key}"] = "not an item of this campaign"
            continue
        try:
            edits[str(item.id)] = ensure_partner_item_edits(item, fields, f"edits.{key}")
        except ValidationError as exc:
            problems.update(exc.fields)
    if problems:
        raise ValidationError.for_fields(problems)
    if enrolment.status == EnrolmentStatus.APPROVED:
        return enrolment  # the same request again: nothing more to schedule
    if enrolment.status != EnrolmentStatus.INVITED:
        raise Conflict(
            f"This invitation is {enrolment.status.label.lower()}; "
            + (
                "resume it instead."
                if enrolment.status == EnrolmentStatus.PAUSED
                else "it is closed."
            ),
            {"status": enrolment.status.value},
        )
    now = utcnow()
    won = session.execute(
        update(Enrolment)
        .where(Enrolment.id == enrolment.id, Enrolment.status == EnrolmentStatus.INVITED)
        .values(
            status=EnrolmentStatus.APPROVED,
            approved_at=now,
            approved_by_id=actor.id,
            channel_ids=[c.id for c in channels],
            item_ids=None if chosen is None else sorted(set(chosen)),
            edits=edits,
            updated_at=now,
        ),
        execution_options={"synchronize_session": False},
    ).rowcount  # type: ignore[attr-defined]  # CursorResult of an UPDATE
    session.refresh(enrolment)
    if not won:
        return enrolment  # a concurrent approval won: it scheduled the set
    selected = [items[i] for i in items if chosen is None or i in chosen]
    held = campaign.status == CampaignStatus.PAUSED
    brand = content.partner_brand(session, partner)
    rows: list[dict[str, Any]] = []
    for item in selected:
        if item.kind == CampaignItemKind.ASSET:
            continue  # offered in the library, not published
        fits = SOCIAL_KINDS if item.kind == CampaignItemKind.SOCIAL else EMAIL_KINDS
        edited = edits.get(str(item.id), {})
        body = content.fill(session, partner, item, edited, base_url, brand=brand)
        due = content.due_at(item, partner.timezone, now, now)
        rows.extend(
            {
                "partner_id": partner.id,
                "channel_id": channel.id,
                "campaign_id": campaign.id,
                "item_id": item.id,
                "enrolment_id": enrolment.id,
                "kind": item.kind.value,
                "key": content.publication_key(enrolment.id, item.id, channel.id),
                "state": PublicationState.SCHEDULED,
                "due_at": due,
                "content": body,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
            for channel in channels
            if channel.kind in fits
        )
    count = 0
    if rows:
        # One statement for the whole set; a key scheduled already is left as it is.
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = (
            insert(Publication)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(Publication.id)
        )
        count = len(session.execute(stmt, rows).all())
    if held:
        holds.hold(session, enrolment_id=enrolment.id)
    session.flush()
    audit.record(
        session,
        actor,
        "enrolment.approved",
        enrolment,
        {
            "campaign_id": campaign.id,
            "publications": count,
            "channel_ids": [c.id for c in channels],
        },
        partner_id=partner.id,
    )
    return enrolment


def opt_out(session: Session, actor: User, enrolment_id: int) -> Enrolment:
    """Leave the campaign: nothing more goes out (scheduled posts are skipped for good)."""
    enrolment = _own(session, actor, enrolment_id)
    if enrolment.status == EnrolmentStatus.OPTED_OUT:
        return enrolment
    holds.hold(session, enrolment_id=enrolment.id)
    session.execute(
        update(Publication)
        .where(Publication.enrolment_id == enrolment.id, Publication.last_error == holds.HELD)
        .values(last_error="skipped: the partner opted out"),
        execution_options={"synchronize_session": False},
    )
    enrolment = session.get(Enrolment, enrolment_id) or enrolment
    enrolment.status = EnrolmentStatus.OPTED_OUT
    session.flush()
    audit.record(
        session, actor, "enrolment.opted_out", enrolment, {}, partner_id=enrolment.partner_id
    )
    return enrolment


def pause(session: Session, actor: User, enrolment_id: int) -> Enrolment:
    enrolment = _own(session, actor, enrolment_id)
    if enrolment.status == EnrolmentStatus.PAUSED:
        return enrolment
    if enrolment.status != EnrolmentStatus.APPROVED:
        raise Conflict(
            "Only an approved campaign can be paused.", {"status": enrolment.status.value}
        )
    held = holds.hold(session, enrolment_id=enrolment.id)
    enrolment = session.get(Enrolment, enrolment_id) or enrolment
    enrolment.status = EnrolmentStatus.PAUSED
    session.flush()
    audit.record(
        session,
        actor,
        "enrolment.paused",
        enrolment,
        {"held": held},
        partner_id=enrolment.partner_id,
    )
    return enrolment


def resume(session: Session, actor: User, enrolment_id: int) -> Enrolment:
    enrolment = _own(session, actor, enrolment_id)
    if enrolment.status != EnrolmentStatus.PAUSED:
        raise Conflict("Only a paused campaign can be resumed.", {"status": enrolment.status.value})
    enrolment.status = EnrolmentStatus.APPROVED
    session.flush()
    restored = 0
    if enrolment.campaign.status == CampaignStatus.LAUNCHED:
        restored = holds.release(session, enrolment_id=enrolment.id)
    enrolment = session.get(Enrolment, enrolment_id) or enrolment
    audit.record(
        session,
        actor,
        "enrolment.resumed",
        enrolment,
        {"restored": restored},
        partner_id=enrolment.partner_id,
    )
    return enrolment


def campaign_for(session: Session, enrolment: Enrolment) -> Campaign:
    return enrolment.campaign
