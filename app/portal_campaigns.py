"""Portal pages of campaign-in-a-box.

Vendor: the campaign list, the editor (fields, items, launch, pause, resume, duplicate) and the
results (per item and partner, charts as server-drawn SVG, CSV export). Partner: invitations,
a preview of every item in their brand, approval with edits and channels, opt-out, pause; a
calendar (month and week) of what goes out; the outbox feed; mailing contacts.

Same pattern as ``app.portal``: parse, call the domain, commit once, respond. The domain decides
who may do what (``prm_domain.access``); these pages only hide buttons a role cannot use.
"""

from __future__ import annotations

import calendar as cal
import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, Response, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app import db
from app.api.library import base_url
from app.auth import login_required
from app.form_errors import flash_error
from app.portal import _digits, _int_arg, _list_field, partner_names
from prm_domain import DomainError, access
from prm_domain.access import Right
from prm_domain.base import utcnow
from prm_domain.campaigns import campaigns, contacts, content, enrolments, results
from prm_domain.campaigns.campaigns import EDITABLE_FIELDS
from prm_domain.enums import (
    AssetKind,
    CampaignItemKind,
    CampaignStatus,
    PartnerType,
    Region,
)
from prm_domain.models import Asset, Campaign, CampaignItem, Channel, Enrolment, Partner
from prm_domain.spreadsheet import csv_writer, inert_cell

bp = Blueprint("portal_campaigns", __name__)

PER_PAGE = 25


# -- lists ------------------------------------------------------------------------------------


@bp.get("/campaigns")
@login_required
def campaign_list() -> Any:
    session = db.session()
    if g.user.is_vendor:
        status = request.args.get("status") or None
        page = campaigns.list_campaigns(
            session,
            g.user,
            status=CampaignStatus(status) if status in set(CampaignStatus) else None,
            q=request.args.get("q") or None,
            page=_int_arg("page"),
            per_page=PER_PAGE,
        )
        return render_template(
            "campaigns/list.html",
            page=page,
            statuses=CampaignStatus,
            can_manage=access.has(g.user, Right.MANAGE_CAMPAIGNS),
            regions=Region,
            types=PartnerType,
            errors={},
            values={},
        )
    invitations = enrolments.list_enrolments(
        session, g.user, page=_int_arg("page"), per_page=PER_PAGE
    )
    return render_template("campaigns/invitations.html", page=invitations)


def _campaign_values(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": form.get("name", ""),
        "goal": form.get("goal", ""),
        "audience_regions": form.getlist("audience_regions"),
        "audience_partner_types": form.getlist("audience_partner_types"),
        "audience_verticals": _list_field(form, "audience_verticals"),
        "starts_on": form.get("starts_on") or None,
    }
    fund = form.get("mdf_fund_id", "").strip()
    if fund:
        values["mdf_fund_id"] = _digits(fund, 9) or fund
    return values


@bp.post("/campaigns")
@login_required
def campaign_create() -> Any:
    session = db.session()
    try:
        campaign = campaigns.create_campaign(session, g.user, _campaign_values(request.form))
    except DomainError as exc:
        session.rollback()
        if not exc.fields:
            raise
        flash_error(exc)
        return redirect(url_for(".campaign_list"))
    session.commit()
    flash("Campaign created: add its items, then launch it.", "success")
    return redirect(url_for(".campaign_page", campaign_id=campaign.id))


# -- one campaign -----------------------------------------------------------------------------


def _vendor_page(campaign: Campaign, errors: dict[str, str], status: int = 200) -> Any:
    session = db.session()
    summary = results.campaign_results(session, g.user, campaign.id)
    return (
        render_template(
            "campaigns/editor.html",
            campaign=campaign,
            summary=summary,
            kinds=CampaignItemKind,
            editable_fields=EDITABLE_FIELDS,
            regions=Region,
            types=PartnerType,
            errors=errors,
            chart=_bars(summary.by_day),
            funnel=_funnel(summary),
            can_manage=access.has(g.user, Right.MANAGE_CAMPAIGNS),
        ),
        status,
    )


def _partner_page(
    campaign: Campaign,
    errors: dict[str, str],
    status: int = 200,
    typed: dict[str, str] | None = None,
) -> Any:
    session = db.session()
    enrolment = session.scalars(
        select(Enrolment).where(
            Enrolment.campaign_id == campaign.id, Enrolment.partner_id == g.user.partner_id
        )
    ).one()
    partner = session.get(Partner, enrolment.partner_id)
    assert partner is not None
    previews = []
    for item in campaign.items:
        edits = enrolment.edits.get(str(item.id), {})
        body = (
            content.fill(session, partner, item, edits, base_url(), preview=True)
            if item.kind != CampaignItemKind.ASSET
            else {}
        )
        due = content.due_at(item, partner.timezone, enrolment.approved_at or utcnow(), utcnow())
        previews.append((item, body, due.astimezone(ZoneInfo(partner.timezone))))
    # The item's library asset in the partner's brand (the same render the library shows),
    # where the partner may see that asset.
    asset_ids = {item.asset_id for item in campaign.items if item.asset_id}
    visible_assets = {
        a.id: a
        for a in session.scalars(select(Asset).where(Asset.id.in_(asset_ids)))
        if access.asset_visible_to_partner(partner, a)
    }
    can_run = access.has(g.user, Right.RUN_OWN_CAMPAIGNS)
    channels = enrolments.partner_channels(session, partner.id, create=False) if can_run else []
    return (
        render_template(
            "campaigns/preview.html",
            campaign=campaign,
            enrolment=enrolment,
            partner=partner,
            previews=previews,
            assets=visible_assets,
            channels=channels,
            can_run=can_run,
            errors=errors,
            # What the partner typed into the editable fields, shown again after an error.
            typed=typed or {},
        ),
        status,
    )


@bp.get("/campaigns/<id:campaign_id>")
@login_required
def campaign_page(campaign_id: int) -> Any:
    campaign = campaigns.get_campaign(db.session(), g.user, campaign_id)
    if g.user.is_vendor:
        return _vendor_page(campaign, {})
    return _partner_page(campaign, {})


@bp.post("/campaigns/<id:campaign_id>/edit")
@login_required
def campaign_update(campaign_id: int) -> Any:
    session = db.session()
    values = _campaign_values(request.form)
    try:
        campaigns.update_campaign(session, g.user, campaign_id, values)
    except DomainError as exc:
        session.rollback()
        if not exc.fields:
            raise
        campaign = campaigns.get_campaign(session, g.user, campaign_id)
        return _vendor_page(campaign, exc.fields, 422)
    session.commit()
    flash("Campaign saved.", "success")
    return redirect(url_for(".campaign_page", campaign_id=campaign_id))


@bp.post("/campaigns/<id:campaign_id>/items")
@login_required
def item_add(campaign_id: int) -> Any:
    session = db.session()
    form = request.form
    values: dict[str, Any] = {
        "kind": form.get("kind", ""),
        "title": form.get("title", ""),
        "text": form.get("text", ""),
        "subject": form.get("subject", ""),
        "preheader": form.get("preheader", ""),
        "editable": form.getlist("editable"),
    }
    for name in ("asset_id", "max_length", "day"):
        raw = form.get(name, "").strip()
        if raw:
            values[name] = _digits(raw, 9) if _digits(raw, 9) is not None else raw
    if form.get("at"):
        values["at"] = form.get("at", "") + ("" if form.get("at", "").endswith("Z") else "Z")
    else:
        values["time"] = form.get("time") or "09:00"
    try:
        campaigns.add_item(session, g.user, campaign_id, values)
    except DomainError as exc:
        session.rollback()
        if not exc.fields:
            raise
        campaign = campaigns.get_campaign(session, g.user, campaign_id)
        return _vendor_page(campaign, exc.fields, 422)
    session.commit()
    flash("Item added.", "success")
    return redirect(url_for(".campaign_page", campaign_id=campaign_id))


@bp.post("/campaigns/<id:campaign_id>/<any(launch, pause, resume, duplicate):action>")
@login_required
def campaign_action(campaign_id: int, action: str) -> Any:
    session = db.session()
    done = getattr(campaigns, f"{action}_campaign")(session, g.user, campaign_id)
    session.commit()
    messages = {
        "launch": "Launched: every active partner in the audience is invited.",
        "pause": "Paused: partners' scheduled posts are held.",
        "resume": "Resumed: held posts whose time is still ahead will go out.",
        "duplicate": "Copied as a new draft.",
    }
    flash(messages[action], "success")
    return redirect(url_for(".campaign_page", campaign_id=done.id))


@bp.get("/campaigns/<id:campaign_id>/results.csv")
@login_required
def results_csv(campaign_id: int) -> Any:
    summary = results.campaign_results(db.session(), g.user, campaign_id)
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(
        [
            "partner",
            "partner_state",
            "item",
            "channel",
            "state",
            "published_at",
            "external_url",
            "clicks",
            "leads",
        ]
    )
    for row in summary.rows:
        writer.writerow(
            [
                inert_cell(row.partner_name),
                row.partner_state,
                inert_cell(row.item_title),
                row.channel,
                row.state,
                row.published_at.isoformat() if row.published_at else "",
                inert_cell(row.external_url),
                row.clicks,
                row.leads,
            ]
        )
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="campaign-{campaign_id}.csv"'},
    )


# -- charts (server-drawn SVG: no script, no inline style) ------------------------------------


def _bars(by_day: list[tuple[dt.date, int]]) -> dict[str, Any]:
    days = by_day[-30:]
    top = max((n for _, n in days), default=0) or 1
    width = 24
    bars = [
        {
            "x": i * width + 4,
            "h": round(100 * n / top),
            "y": 110 - round(100 * n / top),
            "label": f"{d:%d %b}: {n}",
            "n": n,
        }
        for i, (d, n) in enumerate(days)
    ]
    # The bars carry their day only as a tooltip: the caption says which days they cover.
    span = ""
    if days:
        first, last = days[0][0], days[-1][0]
        span = f"on {first:%d %b}" if first == last else f"{first:%d %b} to {last:%d %b}"
    return {"bars": bars, "width": max(len(days), 1) * width + 8, "top": top, "span": span}


def _funnel(summary: results.Summary) -> list[dict[str, Any]]:
    top = max(summary.invited, 1)
    steps = [
        ("Invited", summary.invited),
        ("Approved", summary.approved),
        ("Opted out", summary.opted_out),
    ]
    return [
        {"label": label, "n": n, "w": round(300 * n / top), "y": i * 30}
        for i, (label, n) in enumerate(steps)
    ]


# -- partner: approve, opt out, pause, resume -------------------------------------------------


@bp.post("/enrolments/<id:enrolment_id>/approve")
@login_required
def enrolment_approve(enrolment_id: int) -> Any:
    session = db.session()
    form = request.form
    enrolment = enrolments.get_enrolment(session, g.user, enrolment_id)
    campaign_id = enrolment.campaign_id
    edits: dict[str, dict[str, str]] = {}
    item_ids: list[int] = []
    for item in enrolment.campaign.items:
        if form.get(f"include-{item.id}") is not None:
            item_ids.append(item.id)
        for field in item.editable:
            value = form.get(f"edit-{item.id}-{field}")
            if value is not None and value.strip() != getattr(item, field).strip():
                edits.setdefault(str(item.id), {})[field] = value
    channel_ids = [n for n in (_digits(c, 9) for c in form.getlist("channel_ids")) if n]
    if form.get("outbox"):  # offered by name before the partner's outbox channel exists
        channel_ids.append(enrolments.outbox_channel(session, enrolment.partner_id).id)
    values: dict[str, Any] = {"edits": edits}
    if channel_ids:
        values["channel_ids"] = channel_ids
    if form.get("scope") == "some":
        values["item_ids"] = item_ids or [0]
    try:
        enrolments.approve(session, g.user, enrolment_id, values, base_url())
    except DomainError as exc:
        session.rollback()
        if not exc.fields:
            raise
        campaign = campaigns.get_campaign(session, g.user, campaign_id)
        typed = {
            key.removeprefix("edit-"): value[:20_000]
            for key, value in form.items()
            if key.startswith("edit-")
        }
        return _partner_page(campaign, exc.fields, 422, typed)
    session.commit()
    flash("Approved: your posts are scheduled (see the calendar).", "success")
    return redirect(url_for(".campaign_page", campaign_id=campaign_id))


@bp.post("/enrolments/<id:enrolment_id>/<any('opt-out', pause, resume):step>")
@login_required
def enrolment_step(enrolment_id: int, step: str) -> Any:
    session = db.session()
    action = {"opt-out": enrolments.opt_out, "pause": enrolments.pause, "resume": enrolments.resume}
    enrolment = action[step](session, g.user, enrolment_id)
    session.commit()
    flash(
        {
            "opt-out": "You opted out: nothing of this campaign goes out for you.",
            "pause": "Paused: your scheduled posts are held.",
            "resume": "Resumed: held posts whose time is still ahead will go out.",
        }[step],
        "success",
    )
    return redirect(url_for(".campaign_page", campaign_id=enrolment.campaign_id))


# -- calendar and outbox ----------------------------------------------------------------------


EN_DASH = "\u2013"  # the typographic range dash


def week_title(first: dt.date, last: dt.date) -> str:
    """ "23 - 29 Nov 2026", "30 Nov - 6 Dec 2026", "28 Dec 2026 - 3 Jan 2027" (en dashes)."""
    if first.year != last.year:
        return f"{first.day} {first:%b %Y} {EN_DASH} {last.day} {last:%b %Y}"
    if first.month != last.month:
        return f"{first.day} {first:%b} {EN_DASH} {last.day} {last:%b %Y}"
    return f"{first.day} {EN_DASH} {last.day} {last:%b %Y}"


@bp.get("/calendar")
@login_required
def calendar() -> Any:
    session = db.session()
    zone_name = "UTC"
    if g.user.partner_id:
        partner = session.get(Partner, g.user.partner_id)
        zone_name = partner.timezone if partner else "UTC"
    zone = ZoneInfo(zone_name)
    view = "week" if request.args.get("view") == "week" else "month"
    try:
        anchor = dt.date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        anchor = utcnow().astimezone(zone).date()
    if view == "week":
        first = anchor - dt.timedelta(days=anchor.weekday())
        days = [first + dt.timedelta(days=i) for i in range(7)]
        prev, nxt = first - dt.timedelta(days=7), first + dt.timedelta(days=7)
        title = week_title(days[0], days[-1])
    else:
        weeks = cal.Calendar().monthdatescalendar(anchor.year, anchor.month)
        days = [d for week in weeks for d in week]
        prev = (anchor.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        nxt = (anchor.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        title = f"{anchor:%B %Y}"
    start = dt.datetime.combine(days[0], dt.time(), tzinfo=zone)
    end = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    pubs = results.calendar(session, g.user, start, end)
    by_day: dict[dt.date, list[Any]] = {d: [] for d in days}
    for pub in pubs:
        local = pub.due_at.astimezone(zone)
        by_day.setdefault(local.date(), []).append((local, pub))
    names = {
        c.id: c.name
        for c in session.scalars(
            select(Campaign).where(Campaign.id.in_({p.campaign_id for p in pubs if p.campaign_id}))
        )
    }
    # Two posts of one campaign on one day are told apart by their item's title.
    item_titles = {
        i.id: i.title
        for i in session.scalars(
            select(CampaignItem).where(CampaignItem.id.in_({p.item_id for p in pubs if p.item_id}))
        )
    }
    return render_template(
        "campaigns/calendar.html",
        view=view,
        title=title,
        anchor=anchor,
        days=days,
        by_day=by_day,
        prev=prev,
        nxt=nxt,
        zone=zone_name,
        campaign_names=names,
        item_titles=item_titles,
        partner_names=partner_names({p.partner_id for p in pubs}),
    )


@bp.get("/outbox")
@login_required
def outbox() -> Any:
    session = db.session()
    page = results.outbox_feed(session, g.user, page=_int_arg("page"), per_page=20)
    channel_names = {
        c.id: c.name
        for c in session.scalars(
            select(Channel).where(
                Channel.id.in_({p.channel_id for p in page.items if p.channel_id})
            )
        )
    }
    # A social post's image (a social template) in the brand of the partner it went out for.
    ids = {
        int(p.content["asset_id"])
        for p in page.items
        if p.kind == "social" and isinstance(p.content.get("asset_id"), int)
    }
    social = {
        a.id: a
        for a in session.scalars(
            select(Asset).where(Asset.id.in_(ids), Asset.kind == AssetKind.SOCIAL)
        )
    }
    own = session.get(Partner, g.user.partner_id) if g.user.partner_id else None
    images = {
        p.id: social[p.content["asset_id"]]
        for p in page.items
        if p.content.get("asset_id") in social
        and access.asset_visible_to(g.user, social[p.content["asset_id"]], own)
    }
    return render_template(
        "campaigns/outbox.html",
        page=page,
        images=images,
        channel_names=channel_names,
        partner_names=partner_names({p.partner_id for p in page.items}),
    )


# -- contacts ---------------------------------------------------------------------------------


def _contacts_page(errors: dict[str, str], message: str = "", status: int = 200) -> Any:
    page = contacts.list_contacts(
        db.session(), g.user, q=request.args.get("q") or None, page=_int_arg("page"), per_page=50
    )
    return render_template(
        "campaigns/contacts.html", page=page, errors=errors, error=message
    ), status


@bp.get("/contacts")
@login_required
def contact_list() -> Any:
    return _contacts_page({})


@bp.post("/contacts")
@login_required
def contact_add() -> Any:
    session = db.session()
    values = {k: request.form.get(k, "") for k in ("email", "name", "consent_source")}
    try:
        contacts.add_contact(session, g.user, values)
    except DomainError as exc:
        session.rollback()
        if not exc.fields:
            raise
        return _contacts_page(exc.fields, exc.message, 422)
    session.commit()
    flash("Contact added.", "success")
    return redirect(url_for(".contact_list"))


@bp.post("/contacts/import")
@login_required
def contact_import() -> Any:
    session = db.session()
    file = request.files.get("file")
    data = file.read() if file is not None else b""
    try:
        result = contacts.import_contacts(
            session, g.user, data, request.form.get("consent_source") or None
        )
    except DomainError as exc:
        session.rollback()
        if not exc.fields:
            raise
        return _contacts_page(exc.fields, exc.message, 422)
    session.commit()
    bad = ", ".join(str(r["line"]) for r in result.invalid[:20])
    flash(
        f"Imported {result.added}; {result.duplicates} already on the list"
        + (f"; lines not imported: {bad}" if bad else "")
        + ".",
        "success",
    )
    return redirect(url_for(".contact_list"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
