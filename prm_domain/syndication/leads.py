"""Leads from partner websites: validated, de-duplicated, attributed, notified."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from prm_domain import access, audit, spreadsheet, validation
from prm_domain.base import utcnow
from prm_domain.enums import LEAD_OWNED_STATES, ItemKind, LeadState
from prm_domain.errors import Conflict, DomainError, NotFound, ValidationError
from prm_domain.models import Embed, Lead, Notification, User
from prm_domain.pagination import Page, paginate
from prm_domain.syndication import events
from prm_domain.syndication.public import live_items

DUPLICATE_WINDOW = dt.timedelta(hours=24)
MAX_LEN = {"name": 120, "email": 254, "company": 200, "phone": 40, "country": 80, "message": 4000}


class SpamRejected(DomainError):
    """A honeypot filled in, or a form sent faster than a person can: refused, nothing stored."""

    code = "rejected"


def _page_url(value: Any) -> str:
    if not isinstance(value, str) or not value:
        return ""
    try:
        return validation.http_url("page_url", value)
    except ValidationError:
        return ""  # a lead is not refused over a strange page address; it is just not kept


def _utm(page_url: str) -> dict[str, str]:
    query = urlsplit(page_url).query if page_url else ""
    return {k: v[:200] for k, v in parse_qsl(query) if k.startswith("utm_") and len(k) <= 20}


def submit_lead(
    session: Session,
    embed: Embed,
    *,
    form_id: Any,
    fields: Any,
    consent: Any,
    honeypot: Any = "",
    human_timing: bool = True,
    page_url: Any = "",
    referrer: Any = "",
) -> tuple[Lead, bool]:
    """Store a lead for ``embed``'s partner; returns (lead, created). A duplicate is not stored."""
    if honeypot not in ("", None) or not human_timing:
        raise SpamRejected("The form could not be sent. Reload the page and try again.")
    forms = {i.id: i for i in live_items(session, embed) if i.kind == ItemKind.LEAD_FORM}
    form = (
        forms.get(form_id) if isinstance(form_id, int) and not isinstance(form_id, bool) else None
    )
    if form is None:
        raise NotFound("This form is no longer available.")
    if not isinstance(fields, Mapping):
        raise ValidationError.for_fields({"fields": "must be an object"})
    allowed = form.content.get("fields", [])
    required = form.content.get("required", ["email"])
    problems = {f"{k}": "is not a field of this form" for k in fields if k not in allowed}
    clean: dict[str, str] = {}
    for name in allowed:
        value = fields.get(name)
        try:
            clean[name] = _field(name, value, required=name in required)
        except ValidationError as exc:
            problems.update(exc.fields)
    if consent is not True:
        problems["consent"] = "please agree to be contacted"
    if problems:
        raise ValidationError("Please check the highlighted fields.", problems)
    fingerprint = hashlib.sha256(
        "\x1f".join([str(embed.id), clean["email"], clean.get("message", "").strip()]).encode()
    ).hexdigest()
    now = utcnow()
    recent = session.scalar(
        select(Lead).where(
            Lead.fingerprint == fingerprint, Lead.created_at > now - DUPLICATE_WINDOW
        )
    )
    if recent is not None:
        return recent, False
    page = _page_url(page_url)
    # The look above finds yesterday's lead; it cannot see one a parallel request is storing
    # right now. The unique (fingerprint, day) lets exactly one of those in: the others wait for
    # it, fail, and answer as duplicates (only at midnight can two land, one on either day).
    dedupe_key = f"{fingerprint}:{now.date().isoformat()}"
    lead = Lead(
        partner_id=embed.partner_id,
        embed_id=embed.id,
        item_id=form.id,
        source="embed",
        page_url=page,
        referrer=_page_url(referrer),
        utm=_utm(page),
        fingerprint=fingerprint,
        dedupe_key=dedupe_key,
        consent_text=form.content.get("consent_text", ""),
        consent_given_at=now,
        created_at=now,
        **{k: clean.get(k, "") for k in MAX_LEN},
    )
    try:
        with session.begin_nested():
            session.add(lead)
    except IntegrityError:
        first = session.scalar(select(Lead).where(Lead.dedupe_key == dedupe_key))
        if first is None:
            raise
        return first, False
    events.count(session, embed, form.id, leads=1)
    session.add(
        Notification(
            partner_id=embed.partner_id,
            kind="lead",
            text=f"New lead: {clean.get('name') or clean['email']} via {_embed_label(embed)}",
            link=lead_link(lead.id),
        )
    )
    session.flush()
    return lead, True


def _field(name: str, value: Any, *, required: bool) -> str:
    if value is None or value == "":
        if required:
            raise validation.fail(name, "is required")
        return ""
    if name == "message":
        # A message keeps its line breaks; other control characters go, and so do invisible
        # format characters (a right-to-left override would disguise what the partner reads;
        # a visitor typing Hebrew or Arabic may send marks without meaning to, so no refusal).
        if not isinstance(value, str):
            raise validation.fail(name, "must be text")
        text = "".join(c for c in value if c == "\n" or not validation.hidden_character(c))
        text = text.strip()
        if len(text) > MAX_LEN[name]:
            raise validation.fail(name, f"must be at most {MAX_LEN[name]} characters")
        return text
    text = validation.text(name, value, max_len=MAX_LEN[name], required=required)
    return validation.email(name, text) if name == "email" and text else text


def _embed_label(embed: Embed) -> str:
    return embed.name or f"your {embed.kind.value.replace('_', ' ')} embed"


def lead_link(lead_id: int) -> str:
    """Where a lead's notifications point; also how they are found again for that lead."""
    return f"/leads/{lead_id}"


def _visible(actor: User) -> Any:
    return access.lead_scope(actor, Lead.partner_id, Lead.assigned_user_id)


def list_leads(
    session: Session,
    actor: User,
    *,
    page: int = 1,
    per_page: int = 50,
    embed_id: int | None = None,
    state: LeadState | None = None,
) -> Page[Lead]:
    stmt = select(Lead).where(_visible(actor)).order_by(Lead.id.desc())
    if embed_id is not None:
        stmt = stmt.where(Lead.embed_id == embed_id)
    if state is not None:
        stmt = stmt.where(Lead.state == state)
    return paginate(session, stmt, page=page, per_page=per_page)


def get_lead(session: Session, actor: User, lead_id: int) -> Lead:
    access.ensure_status(actor, access.Area.LEADS)
    lead = session.get(Lead, lead_id)
    if lead is None or not access.can_see_lead(actor, lead.partner_id, lead.assigned_user_id):
        raise NotFound("Lead not found.")
    return lead


def assign_lead(session: Session, actor: User, lead_id: int, user_id: Any) -> Lead:
    """Give a lead to one of the organisation's active members (None: nobody); they are told."""
    lead = get_lead(session, actor, lead_id)
    if lead.partner_id is None:
        raise NotFound("Lead not found.")  # a pool lead is nobody's to assign
    access.ensure_can_assign_leads(actor, lead.partner_id)
    if lead.state not in LEAD_OWNED_STATES:
        # An offered lead is the organisation's only once accepted (and only then shows
        # how to reach the person); until then it is not handed to anyone.
        raise Conflict("Accept the lead before assigning it.")
    assignee = None
    if user_id is not None:
        valid = isinstance(user_id, int) and not isinstance(user_id, bool)
        assignee = (
            session.get(User, user_id) if valid and 1 <= user_id <= validation.MAX_ID else None
        )
        # Another tenant's user and no user at all get the same answer.
        if assignee is None or assignee.partner_id != lead.partner_id or not assignee.active:
            raise ValidationError.for_fields(
                {"assigned_user_id": "is not an active member of this organisation"}
            )
    if lead.assigned_user_id == (assignee.id if assignee else None):
        return lead
    old = lead.assigned_user_id
    lead.assigned_user_id = assignee.id if assignee else None
    # A personal lead notification is readable only while its reader may see the lead: the
    # earlier assignee's goes with the assignment (it names the lead's person).
    stale = delete(Notification).where(
        Notification.partner_id == lead.partner_id,
        Notification.kind.in_(access.LEAD_NOTIFICATION_KINDS),
        Notification.link == lead_link(lead.id),
        Notification.user_id.is_not(None),
    )
    if lead.assigned_user_id is not None:
        stale = stale.where(Notification.user_id != lead.assigned_user_id)
    session.execute(stale.execution_options(synchronize_session=False))
    session.flush()
    audit.record(
        session,
        actor,
        "lead.assigned",
        lead,
        {"assigned_user_id": [old, lead.assigned_user_id]},
        partner_id=lead.partner_id,
    )
    if assignee is not None and assignee.id != actor.id:
        session.add(
            Notification(
                partner_id=lead.partner_id,
                user_id=assignee.id,
                kind="lead",
                text=f"Lead assigned to you: {lead.name or lead.email}",
                link=lead_link(lead.id),
            )
        )
        session.flush()
    return lead


CSV_COLUMNS = (
    "id",
    "created_at",
    "partner_id",
    "name",
    "email",
    "company",
    "phone",
    "country",
    "message",
    "page_url",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "consent_text",
    "assigned_user_id",
    "state",
    "lost_reason",
    "converted_deal_id",
)


def safe_cell(value: Any) -> str:
    """A spreadsheet cell that stays text, whatever separator the spreadsheet splits on."""
    return spreadsheet.inert_cell(value)


def export_csv(session: Session, actor: User) -> str:
    out = io.StringIO()
    writer = spreadsheet.csv_writer(out)
    writer.writerow(CSV_COLUMNS)
    stmt = select(Lead).where(_visible(actor)).order_by(Lead.id)
    for lead in session.scalars(stmt):
        row = {c: getattr(lead, c, "") for c in CSV_COLUMNS if not c.startswith("utm_")}
        row |= {c: lead.utm.get(c, "") for c in CSV_COLUMNS if c.startswith("utm_")}
        row["created_at"] = lead.created_at.isoformat()
        if not access.can_see_lead_contact(actor, lead.state, lead.partner_id):
            row["email"] = row["phone"] = ""  # offered, not yet accepted: no contact details
        row["state"] = lead.state.value
        row["partner_id"] = "" if lead.partner_id is None else lead.partner_id
        row["converted_deal_id"] = lead.converted_deal_id or ""
        writer.writerow([safe_cell(row[c]) for c in CSV_COLUMNS])
    return out.getvalue()
