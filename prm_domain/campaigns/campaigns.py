"""The vendor's side: package a campaign and its items, launch it to its audience, pause,
resume and duplicate it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from prm_domain import access, audience, audit, validation
from prm_domain.access import Right
from prm_domain.base import utcnow
from prm_domain.campaigns import holds
from prm_domain.enums import (
    CampaignItemKind,
    CampaignStatus,
    EnrolmentStatus,
    PartnerStatus,
)
from prm_domain.errors import Conflict, NotFound, ValidationError
from prm_domain.models import Asset, Campaign, CampaignItem, Enrolment, Partner, User
from prm_domain.pagination import Page, paginate

EDITABLE_FIELDS = ("text", "subject", "preheader")
MAX_TEXT = 3000
MAX_DAY = 365
_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


# -- reading ----------------------------------------------------------------------------------


def _visible(actor: User) -> Select[Campaign]:
    """Vendor staff see every campaign; a partner's people see those it is invited to."""
    access.ensure_status(actor, access.Area.CONTENT)
    if actor.is_vendor:
        return select(Campaign)
    return (
        select(Campaign)
        .join(Enrolment, Enrolment.campaign_id == Campaign.id)
        .where(Enrolment.partner_id == (actor.partner_id or 0))
    )


def get_campaign(session: Session, actor: User, campaign_id: int) -> Campaign:
    campaign = session.scalar(_visible(actor).where(Campaign.id == campaign_id))
    if campaign is None:
        raise NotFound("Campaign not found.")
    return campaign


def list_campaigns(
    session: Session,
    actor: User,
    *,
    status: CampaignStatus | None = None,
    q: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[Campaign]:
    stmt = _visible(actor)
    if status is not None:
        stmt = stmt.where(Campaign.status == status)
    if q:
        q = validation.text("q", q, max_len=200, required=False)
        stmt = stmt.where(Campaign.name.ilike(validation.contains_pattern(q), escape="\\"))
    return paginate(session, stmt.order_by(Campaign.id.desc()), page=page, per_page=per_page)


def _editable(session: Session, actor: User, campaign_id: int) -> Campaign:
    campaign = get_campaign(session, actor, campaign_id)
    access.require(
        actor, Right.MANAGE_CAMPAIGNS, "Only the vendor's marketing team edits campaigns."
    )
    return campaign


# -- campaigns --------------------------------------------------------------------------------


def _clean(session: Session, values: Mapping[str, Any]) -> dict[str, Any]:
    rules: dict[str, Any] = {
        "name": lambda v: validation.text("name", v, max_len=200),
        "goal": lambda v: validation.text("goal", v or "", max_len=1000, required=False),
        "starts_on": lambda v: None if v is None else _date("starts_on", v),
        "mdf_fund_id": lambda v: None if v is None else _id("mdf_fund_id", v),
    }
    problems = {f: "unknown field" for f in values if f not in rules and f not in audience.FIELDS}
    out: dict[str, Any] = {}
    for field, value in values.items():
        if field in rules:
            try:
                out[field] = rules[field](value)
            except ValidationError as exc:
                problems.update(exc.fields)
    try:
        out |= audience.clean(session, {k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        problems.update(exc.fields)
    if problems:
        raise ValidationError.for_fields(problems)
    return out


def _date(field: str, value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise validation.fail(field, "must be a date (YYYY-MM-DD)") from None


def _id(field: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= validation.MAX_ID:
        raise validation.fail(field, "must be an id")
    return value


def create_campaign(session: Session, actor: User, values: Mapping[str, Any]) -> Campaign:
    access.ensure_vendor(actor, Right.MANAGE_CAMPAIGNS, "Only the vendor's marketing team does.")
    if "name" not in values:
        raise ValidationError.for_fields({"name": "is required"})
    clean = _clean(session, values)
    campaign = Campaign(**clean, created_by_id=actor.id)
    session.add(campaign)
    session.flush()
    audit.record(session, actor, "campaign.created", campaign, {"name": campaign.name})
    return campaign


def update_campaign(
    session: Session, actor: User, campaign_id: int, values: Mapping[str, Any]
) -> Campaign:
    campaign = _editable(session, actor, campaign_id)
    nulls = {f: "may not be null" for f in ("name",) if f in values and values[f] is None}
    if nulls:
        raise ValidationError.for_fields(nulls)
    clean = _clean(session, values)
    changes = audit.diff(campaign, clean)
    for field, value in clean.items():
        setattr(campaign, field, value)
    session.flush()
    if changes:
        audit.record(session, actor, "campaign.updated", campaign, changes)
    return campaign


def launch_campaign(session: Session, actor: User, campaign_id: int) -> Campaign:
    """Invite every active partner in the audience (once: a partner invited earlier keeps its
    enrolment). Launching again invites partners that joined the audience since."""
    campaign = _editable(session, actor, campaign_id)
    if campaign.status == CampaignStatus.PAUSED:
        raise Conflict("The campaign is paused: resume it instead.", {"status": "paused"})
    if not campaign.items:
        raise ValidationError("Add at least one item before launching.", {"items": "empty"})
    invited = set(
        session.scalars(select(Enrolment.partner_id).where(Enrolment.campaign_id == campaign.id))
    )
    partners = session.scalars(
        select(Partner).where(Partner.status == PartnerStatus.ACTIVE).order_by(Partner.id)
    )
    added = 0
    for partner in partners:
        if partner.id not in invited and audience.matches(campaign, partner):
            session.add(Enrolment(campaign_id=campaign.id, partner_id=partner.id))
            added += 1
    if campaign.status == CampaignStatus.DRAFT:
        campaign.status = CampaignStatus.LAUNCHED
        campaign.launched_at = utcnow()
    session.flush()
    audit.record(session, actor, "campaign.launched", campaign, {"invited": added})
    return campaign


def invite_to_launched(session: Session, partner: Partner) -> int:
    """Invite ``partner`` to every launched campaign whose audience it has just joined (a tier
    change, say), as launching again would; returns how many invitations it gained."""
    if partner.status != PartnerStatus.ACTIVE:
        return 0
    invited = set(
        session.scalars(select(Enrolment.campaign_id).where(Enrolment.partner_id == partner.id))
    )
    launched = session.scalars(
        select(Campaign).where(Campaign.status == CampaignStatus.LAUNCHED).order_by(Campaign.id)
    )
    added = 0
    for campaign in launched:
        if campaign.id not in invited and audience.matches(campaign, partner):
            session.add(Enrolment(campaign_id=campaign.id, partner_id=partner.id))
            added += 1
    if added:
        session.flush()
    return added


def pause_campaign(session: Session, actor: User, campaign_id: int) -> Campaign:
    campaign = _editable(session, actor, campaign_id)
    if campaign.status != CampaignStatus.LAUNCHED:
        raise Conflict("Only a launched campaign can be paused.", {"status": campaign.status})
    campaign.status = CampaignStatus.PAUSED
    held = holds.hold(session, campaign_id=campaign.id)
    session.flush()
    audit.record(session, actor, "campaign.paused", campaign, {"held": held})
    return campaign


def resume_campaign(session: Session, actor: User, campaign_id: int) -> Campaign:
    campaign = _editable(session, actor, campaign_id)
    if campaign.status != CampaignStatus.PAUSED:
        raise Conflict("Only a paused campaign can be resumed.", {"status": campaign.status})
    campaign.status = CampaignStatus.LAUNCHED
    enrolments = session.scalars(
        select(Enrolment.id).where(
            Enrolment.campaign_id == campaign.id, Enrolment.status == EnrolmentStatus.APPROVED
        )
    )
    restored = sum(holds.release(session, enrolment_id=e) for e in enrolments)
    session.flush()
    audit.record(session, actor, "campaign.resumed", campaign, {"restored": restored})
    return campaign


def duplicate_campaign(session: Session, actor: User, campaign_id: int) -> Campaign:
    source = _editable(session, actor, campaign_id)
    copy = Campaign(
        name=("Copy of " + source.name)[:200],
        goal=source.goal,
        audience_tier_ids=list(source.audience_tier_ids),
        audience_regions=list(source.audience_regions),
        audience_partner_types=list(source.audience_partner_types),
        audience_verticals=list(source.audience_verticals),
        starts_on=source.starts_on,
        mdf_fund_id=source.mdf_fund_id,
        created_by_id=actor.id,
    )
    session.add(copy)
    session.flush()
    for item in source.items:
        session.add(
            CampaignItem(
                campaign_id=copy.id,
                **{c: getattr(item, c) for c in _ITEM_COPY},
            )
        )
    session.flush()
    session.refresh(copy)
    audit.record(session, actor, "campaign.duplicated", copy, {"source_id": source.id})
    return copy


_ITEM_COPY = (
    "position",
    "kind",
    "title",
    "text",
    "subject",
    "preheader",
    "asset_id",
    "editable",
    "max_length",
    "day",
    "time",
    "at",
)


# -- items ------------------------------------------------------------------------------------


def list_items(session: Session, actor: User, campaign_id: int) -> list[CampaignItem]:
    return list(get_campaign(session, actor, campaign_id).items)


def _schedule(values: Mapping[str, Any]) -> dict[str, Any]:
    at, day, time = values.get("at"), values.get("day"), values.get("time")
    if at is not None:
        if day is not None or time is not None:
            raise ValidationError.for_fields(
                {"at": "give either a fixed moment or day and time, not both"}
            )
        if isinstance(at, str):
            try:
                at = dt.datetime.fromisoformat(at)
            except ValueError:
                raise validation.fail(
                    "at", "must be a date and time such as 2027-03-01T15:00Z"
                ) from None
        return {"at": validation.aware_datetime("at", at), "day": None, "time": None}
    problems: dict[str, str] = {}
    if day is None:
        day = 0
    if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= MAX_DAY:
        problems["day"] = f"must be a whole number of days from 0 to {MAX_DAY}"
    if time is None:
        time = "09:00"
    if not isinstance(time, str) or not _TIME.fullmatch(time):
        problems["time"] = "must be a local time as HH:MM (00:00 to 23:59)"
    if problems:
        raise ValidationError.for_fields(problems)
    return {"at": None, "day": day, "time": time}


def _asset(session: Session, kind: CampaignItemKind, value: Any) -> int | None:
    if value is None:
        if kind == CampaignItemKind.ASSET:
            raise ValidationError.for_fields({"asset_id": "an asset item needs a library asset"})
        return None
    # Any library asset: its landing page is the post's tracked {{ link }} (a social template
    # is also the post's image, an email template the email's design).
    asset = session.get(Asset, _id("asset_id", value))
    if asset is None:
        raise ValidationError.for_fields({"asset_id": "is not a known asset"})
    return asset.id


def add_item(
    session: Session, actor: User, campaign_id: int, values: Mapping[str, Any]
) -> CampaignItem:
    campaign = _editable(session, actor, campaign_id)
    known = {"kind", "title", "text", "subject", "preheader", "asset_id", "editable"}
    known |= {"max_length", "day", "time", "at"}
    problems = {f: "unknown field" for f in values if f not in known}
    if problems:
        raise ValidationError.for_fields(problems)
    kind = validation.choice("kind", values.get("kind"), CampaignItemKind)
    out: dict[str, Any] = {"kind": kind}
    for field, limit in (("title", 200), ("text", MAX_TEXT), ("subject", 200), ("preheader", 200)):
        try:
            out[field] = multiline(field, values.get(field) or "", max_len=limit)
        except ValidationError as exc:
            problems.update(exc.fields)
    editable = values.get("editable") or []
    try:
        names = validation.string_list("editable", editable, max_items=3, max_len=20)
        bad = [n for n in names if n not in EDITABLE_FIELDS]
        if bad:
            raise validation.fail(
                "editable", f"unknown fields {bad}: use {', '.join(EDITABLE_FIELDS)}"
            )
        out["editable"] = sorted(set(names), key=EDITABLE_FIELDS.index)
    except ValidationError as exc:
        problems.update(exc.fields)
    max_length = values.get("max_length")
    if max_length is not None and (
        not isinstance(max_length, int)
        or isinstance(max_length, bool)
        or not 1 <= max_length <= MAX_TEXT
    ):
        problems["max_length"] = f"must be between 1 and {MAX_TEXT}"
    out["max_length"] = max_length
    try:
        out |= _schedule(values)
    except ValidationError as exc:
        problems.update(exc.fields)
    try:
        out["asset_id"] = _asset(session, kind, values.get("asset_id"))
    except ValidationError as exc:
        problems.update(exc.fields)
    if not problems:
        if kind == CampaignItemKind.SOCIAL and not out["text"]:
            problems["text"] = "a social post needs its text"
        if kind == CampaignItemKind.EMAIL:
            if not out["subject"]:
                problems["subject"] = "an email needs a subject"
            if not out["text"] and out["asset_id"] is None:
                problems["text"] = "an email needs a body (text) or an email asset"
        if kind != CampaignItemKind.ASSET:
            problems |= _templates_ok(out)
    if problems:
        raise ValidationError.for_fields(problems)
    out["position"] = len(campaign.items)
    item = CampaignItem(campaign_id=campaign.id, **out)
    session.add(item)
    session.flush()
    session.expire(campaign, ["items"])
    audit.record(
        session, actor, "campaign.item_added", campaign, {"item_id": item.id, "kind": kind}
    )
    return item


def _templates_ok(values: Mapping[str, Any]) -> dict[str, str]:
    """Each text must fill with a sample partner: an unknown variable is refused at once."""
    from prm_domain.campaigns.content import check_template

    problems: dict[str, str] = {}
    for field in EDITABLE_FIELDS:
        message = check_template(values.get(field) or "")
        if message:
            problems[field] = message
    return problems


def ensure_partner_item_edits(
    item: CampaignItem, edits: Mapping[str, Any], field_prefix: str
) -> dict[str, str]:
    """A partner's edits of one item: only its editable fields, within the length limit."""
    if not isinstance(edits, Mapping):
        raise ValidationError.for_fields({field_prefix: "must be an object of field: text"})
    out: dict[str, str] = {}
    problems: dict[str, str] = {}
    limit = item.max_length or MAX_TEXT
    for field, value in edits.items():
        name = f"{field_prefix}.{field}"
        if field not in item.editable:
            problems[name] = "the vendor does not let partners change this field"
            continue
        try:
            out[field] = multiline(name, value, max_len=limit, required=True)
        except ValidationError as exc:
            problems.update(exc.fields)
    if not problems:
        from prm_domain.campaigns.content import check_template

        for field, value in out.items():
            message = check_template(value)
            if message:
                problems[f"{field_prefix}.{field}"] = message
    if problems:
        raise ValidationError.for_fields(problems)
    return out


def multiline(field: str, value: object, *, max_len: int, required: bool = False) -> str:
    """Text that may hold line breaks (a post, an email body); otherwise as validation.text."""
    if not isinstance(value, str):
        raise validation.fail(field, "must be text")
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    for line in value.split("\n"):
        validation.text(field, line, max_len=max_len, required=False)
    if required and not value:
        raise validation.fail(field, "is required")
    if len(value) > max_len:
        raise validation.fail(field, f"must be at most {max_len} characters")
    return value
