"""Portal pages of web syndication: vendor items, partners' website embeds, stats, leads.

Same pattern as ``app.portal``: parse the request, call the domain, commit once, respond. Who may
do what is the domain's to decide (``prm_domain.access``); these pages only hide the buttons a
role cannot use and turn ``DomainError.fields`` back into messages next to the inputs.

Paths stay clear of ``/syndication/`` (the public widget endpoints: JSON errors, no CSRF check)
and ``/api/``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app import db, form_errors
from app.api.library import base_url
from app.auth import login_required
from app.form_errors import flash_error
from app.portal import _digits, _int_arg, _list_field, partner_names
from prm_domain import (
    DomainError,
    NotFound,
    access,
    assets,
    brandkits,
    notifications,
    partners,
    tiers,
    users,
)
from prm_domain.access import Right
from prm_domain.base import utcnow
from prm_domain.enums import (
    EMBED_SHOWS,
    LEAD_FIELDS,
    LEAD_OWNED_STATES,
    LEAD_TRANSITIONS,
    AssetKind,
    AssetStatus,
    EmbedKind,
    ItemKind,
    LeadState,
    PartnerType,
    Region,
)
from prm_domain.leads import lifecycle as lead_lifecycle
from prm_domain.models import Embed, SyndicatedItem
from prm_domain.syndication import embeds, events, items, leads
from prm_domain.syndication.public import live_items

bp = Blueprint("portal_syndication", __name__)

ITEMS_PER_PAGE = 25
EMBEDS_PER_PAGE = 25
LEADS_PER_PAGE = 25
STATS_DAYS = (7, 30, 90)
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"

ITEM_KIND_LABELS = {
    ItemKind.BANNER: "Banner",
    ItemKind.PRODUCT: "Product card",
    ItemKind.RESOURCE: "Resource download",
    ItemKind.LEAD_FORM: "Lead form",
}
ITEM_KIND_HINTS = {
    ItemKind.BANNER: "A headline, a line of text, an image and a call to action.",
    ItemKind.PRODUCT: "A product card: name, summary, key features and a link.",
    ItemKind.RESOURCE: "A published library asset, downloadable in the partner's brand.",
    ItemKind.LEAD_FORM: "A contact form; leads land with the partner whose website sent them.",
}
EMBED_KIND_LABELS = {
    EmbedKind.BANNER: "Banner rotator",
    EmbedKind.PRODUCTS: "Product showcase",
    EmbedKind.RESOURCES: "Resource downloads",
    EmbedKind.LEAD_FORM: "Lead form",
    EmbedKind.BLOCK: "Content block (everything)",
}
LEAD_FIELD_LABELS = {
    "name": "Name",
    "email": "Email",
    "company": "Company",
    "phone": "Phone",
    "country": "Country",
    "message": "Message",
}
# Content fields of each kind, as form inputs (the domain checks them).
CONTENT_TEXT = {
    ItemKind.BANNER: ("headline", "text", "cta_label", "cta_url", "image_url"),
    ItemKind.PRODUCT: ("name", "summary", "url", "image_url"),
    ItemKind.RESOURCE: ("description",),
    ItemKind.LEAD_FORM: ("consent_text", "privacy_url", "submit_label", "thank_you"),
}
# Long texts come from textareas; the domain keeps them on one line (no control characters).
ONE_LINE = {"text", "summary", "description", "consent_text", "thank_you"}


# -- helpers ----------------------------------------------------------------------------------


def _vendor_page() -> None:
    # Vendor content pages do not exist for partners (404, like the domain's reads).
    access.ensure_vendor(g.user)


def _can_manage_items() -> bool:
    return access.has(g.user, Right.MANAGE_ASSETS)


def _can_manage_embeds() -> bool:
    return access.can_manage_embeds(g.user, g.user.partner_id)


def _int_list(form: MultiDict[str, str], name: str) -> list[Any]:
    # Ids as ints; anything else passes through so the domain names the bad field.
    return [n if (n := _digits(v, 9)) is not None else v for v in form.getlist(name) if v]


def _one_line(value: str) -> str:
    return " ".join(value.split()) if value else ""


def _when_input(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime(DATETIME_LOCAL) if value else ""


def _parse_when(raw: str) -> tuple[Any, str | None]:
    """A datetime-local value read as UTC: (value, error). Bad input passes through raw."""
    raw = raw.strip()
    if not raw:
        return None, None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        return raw, "use a date and time like 2030-01-31 09:00"
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value, None


def _field_errors(fields: dict[str, str]) -> dict[str, str]:
    """The domain's names ("content.headline") as the form's input names ("headline")."""
    return {k.removeprefix("content.").removeprefix("theme."): v for k, v in fields.items()}


def _safe_path(link: str) -> str | None:
    return link if link.startswith("/") and not link.startswith("//") and "\\" not in link else None


def _http_url(value: str) -> str | None:
    """The URL when it is http(s) (a link may be drawn), else None (shown as text only)."""
    try:
        parts = urlsplit(value or "")
    except ValueError:
        return None
    return value if parts.scheme.lower() in ("http", "https") and parts.netloc else None


# -- vendor: syndicated items -----------------------------------------------------------------


def _audience_options() -> dict[str, Any]:
    return {
        "tiers": [(t.id, t.name) for t in tiers.list_tiers(db.session(), g.user)],
        "regions": [(r.value, r.label) for r in Region],
        "partner_types": [(t.value, t.label) for t in PartnerType],
    }


def _resource_assets() -> list[Any]:
    """Published library assets a resource may offer (email templates are no web download)."""
    page = assets.list_assets(
        db.session(), g.user, status=AssetStatus.PUBLISHED, page=1, per_page=200
    )
    return [a for a in page.items if a.kind != AssetKind.EMAIL]


def _item_form_values(item: SyndicatedItem | None, kind: ItemKind) -> MultiDict[str, str]:
    """What the form shows for ``item`` (or the defaults of a new one)."""
    if item is None:
        values: MultiDict[str, str] = MultiDict({"active": "1"})
        if kind == ItemKind.LEAD_FORM:
            values.setlist("fields", ["name", "email", "company", "message"])
            values.setlist("required", ["name", "email"])
            values["submit_label"] = "Send"
            values["thank_you"] = "Thank you! We will be in touch soon."
        return values
    c = item.content
    values = MultiDict(
        {
            "title": item.title,
            "active": "1" if item.active else "",
            "starts_at": _when_input(item.starts_at),
            "ends_at": _when_input(item.ends_at),
            "audience_verticals": ", ".join(item.audience_verticals),
            "features": "\n".join(c.get("features", [])),
            "asset_id": str(item.asset_id or ""),
        }
    )
    for key in CONTENT_TEXT[kind]:
        values[key] = c.get(key) or ""
    values.setlist("audience_tier_ids", [str(i) for i in item.audience_tier_ids])
    values.setlist("audience_regions", list(item.audience_regions))
    values.setlist("audience_partner_types", list(item.audience_partner_types))
    values.setlist("fields", list(c.get("fields", [])))
    values.setlist("required", list(c.get("required", [])))
    return values


def _item_values(
    form: MultiDict[str, str], kind: ItemKind
) -> tuple[dict[str, Any], dict[str, str]]:
    """The domain's values from the form, and the adapter's own messages (dates)."""
    content: dict[str, Any] = {}
    for key in CONTENT_TEXT[kind]:
        value = form.get(key, "")
        content[key] = _one_line(value) if key in ONE_LINE else value.strip()
    if kind == ItemKind.PRODUCT:
        content["features"] = [
            line.strip() for line in form.get("features", "").splitlines() if line.strip()
        ]
    if kind == ItemKind.LEAD_FORM:
        chosen = set(form.getlist("fields"))
        content["fields"] = [f for f in LEAD_FIELDS if f in chosen] + sorted(
            chosen - set(LEAD_FIELDS)
        )
        required = set(form.getlist("required"))
        content["required"] = [f for f in LEAD_FIELDS if f in required] + sorted(
            required - set(LEAD_FIELDS)
        )
    values: dict[str, Any] = {
        "title": form.get("title", ""),
        "content": content,
        "active": form.get("active") == "1",
        "audience_tier_ids": _int_list(form, "audience_tier_ids"),
        "audience_regions": form.getlist("audience_regions"),
        "audience_partner_types": form.getlist("audience_partner_types"),
        "audience_verticals": _list_field(form, "audience_verticals"),
    }
    if kind == ItemKind.RESOURCE:
        raw = form.get("asset_id", "")
        values["asset_id"] = None if not raw else (n if (n := _digits(raw, 9)) else raw)
    problems: dict[str, str] = {}
    for key in ("starts_at", "ends_at"):
        values[key], problem = _parse_when(form.get(key, ""))
        if problem:
            problems[key] = problem
    return values, problems


def _item_form(
    kind: ItemKind,
    item: SyndicatedItem | None,
    values: MultiDict[str, str],
    errors: dict[str, str],
    error: str | None = None,
    status: int = 200,
) -> Any:
    return render_template(
        "syndication/portal/item_form.html",
        kind=kind,
        item=item,
        values=values,
        errors=errors,
        error=error,
        options=_audience_options(),
        resource_assets=_resource_assets() if kind == ItemKind.RESOURCE else [],
        lead_fields=[(f, LEAD_FIELD_LABELS.get(f, f)) for f in LEAD_FIELDS],
        kind_labels=ITEM_KIND_LABELS,
        status=items.item_status(item) if item else None,
    ), status


@bp.get("/syndicated-items")
@login_required
def item_list() -> Any:
    _vendor_page()
    kind_arg = request.args.get("kind", "")
    kind = ItemKind(kind_arg) if kind_arg in ItemKind._value2member_map_ else None
    q = "".join(c for c in request.args.get("q", "") if c.isprintable()).strip()[:200] or None
    page = items.list_items(
        db.session(), g.user, kind=kind, q=q, page=_int_arg("page"), per_page=ITEMS_PER_PAGE
    )
    now = utcnow()
    return render_template(
        "syndication/portal/item_list.html",
        page=page,
        kind=kind,
        q=q or "",
        kinds=ItemKind,
        kind_labels=ITEM_KIND_LABELS,
        kind_hints=ITEM_KIND_HINTS,
        statuses={i.id: items.item_status(i, now) for i in page.items},
        options=_audience_options(),
        can_manage=_can_manage_items(),
    )


@bp.route("/syndicated-items/new", methods=["GET", "POST"])
@login_required
def item_new() -> Any:
    _vendor_page()
    access.require(g.user, Right.MANAGE_ASSETS, "Only marketing managers syndicate content.")
    raw_kind = request.values.get("kind", "")
    if raw_kind not in ItemKind._value2member_map_:
        if request.method == "POST":
            abort(400, "Choose what kind of content to add.")
        return render_template(
            "syndication/portal/item_kind.html",
            kinds=ItemKind,
            kind_labels=ITEM_KIND_LABELS,
            kind_hints=ITEM_KIND_HINTS,
        )
    kind = ItemKind(raw_kind)
    if request.method == "GET":
        return _item_form(kind, None, _item_form_values(None, kind), {})
    values, problems = _item_values(request.form, kind)
    session = db.session()
    try:
        item = items.create_item(session, g.user, {"kind": kind.value, **values})
    except DomainError as exc:
        session.rollback()
        errors = _field_errors(exc.fields) | problems
        return _item_form(kind, None, request.form, errors, exc.message, 422)
    session.commit()
    flash(f"{ITEM_KIND_LABELS[kind]} “{item.title}” added.", "success")
    return redirect(url_for("portal_syndication.item_list"))


@bp.route("/syndicated-items/<id:item_id>/edit", methods=["GET", "POST"])
@login_required
def item_edit(item_id: int) -> Any:
    _vendor_page()
    session = db.session()
    item = items.get_item(session, g.user, item_id)
    access.require(
        g.user, Right.MANAGE_ASSETS, "Only marketing managers change syndicated content."
    )
    if request.method == "GET":
        return _item_form(item.kind, item, _item_form_values(item, item.kind), {})
    values, problems = _item_values(request.form, item.kind)
    try:
        item = items.update_item(session, g.user, item_id, values)
    except DomainError as exc:
        session.rollback()
        if isinstance(exc, NotFound):
            raise
        item = items.get_item(session, g.user, item_id)
        errors = _field_errors(exc.fields) | problems
        return _item_form(item.kind, item, request.form, errors, exc.message, 422)
    session.commit()
    flash(f"“{item.title}” saved.", "success")
    return redirect(url_for("portal_syndication.item_list"))


@bp.post("/syndicated-items/<id:item_id>/delete")
@login_required
def item_delete(item_id: int) -> Any:
    _vendor_page()
    session = db.session()
    title = items.get_item(session, g.user, item_id).title
    items.delete_item(session, g.user, item_id)
    session.commit()
    flash(f"“{title}” deleted. Partner websites stop showing it.", "success")
    return redirect(url_for("portal_syndication.item_list"))


# -- partners: website embeds -----------------------------------------------------------------


def _domains(raw: str) -> list[str]:
    """Hosts one per line (commas too); a pasted URL is read as its host[:port]."""
    out = []
    for part in raw.replace(",", "\n").splitlines():
        part = part.strip()
        if "://" in part:
            with contextlib.suppress(ValueError):
                part = urlsplit(part).netloc or part
        part = part.rstrip("/")
        if part:
            out.append(part)
    return out


def _embed_values(form: MultiDict[str, str]) -> dict[str, Any]:
    color = form.get("primary_color", "").strip()
    return {
        "name": form.get("name", ""),
        "kind": form.get("kind", ""),
        "items": "all" if form.get("items_mode", "all") == "all" else _int_list(form, "item_ids"),
        "allowed_domains": _domains(form.get("allowed_domains", "")),
        "theme": {"primary_color": color} if color else {},
    }


def _embed_form_values(embed: Embed | None) -> MultiDict[str, str]:
    if embed is None:
        kit = brandkits.kit_for(db.session(), g.user.partner_id)
        return MultiDict(
            {"kind": EmbedKind.BLOCK.value, "items_mode": "all", "primary_color": kit.primary_color}
        )
    values = MultiDict(
        {
            "name": embed.name,
            "kind": embed.kind.value,
            "items_mode": "all" if embed.item_ids is None else "chosen",
            "allowed_domains": "\n".join(embed.allowed_domains),
            "primary_color": embed.theme.get("primary_color")
            or brandkits.kit_for(db.session(), embed.partner_id).primary_color,
        }
    )
    values.setlist("item_ids", [str(i) for i in embed.item_ids or []])
    return values


def _embed_form(
    embed: Embed | None,
    values: MultiDict[str, str],
    errors: dict[str, str],
    error: str | None = None,
    status: int = 200,
) -> Any:
    available = items.list_items(db.session(), g.user, per_page=200).items
    return render_template(
        "syndication/portal/embed_form.html",
        embed=embed,
        values=values,
        errors=errors,
        error=error,
        available=available,
        embed_kinds=[(k.value, EMBED_KIND_LABELS[k]) for k in EmbedKind],
        shows={k.value: " ".join(sorted(v.value for v in EMBED_SHOWS[k])) for k in EmbedKind},
        item_kind_labels=ITEM_KIND_LABELS,
    ), status


@bp.get("/embeds")
@login_required
def embed_list() -> Any:
    session = db.session()
    page = embeds.list_embeds(session, g.user, page=_int_arg("page"), per_page=EMBEDS_PER_PAGE)
    return render_template(
        "syndication/portal/embed_list.html",
        page=page,
        snippets={e.id: embeds.snippet(base_url(), e) for e in page.items},
        kind_labels=EMBED_KIND_LABELS,
        can_manage=_can_manage_embeds(),
        partner_names=partner_names({e.partner_id for e in page.items}),
    )


@bp.route("/embeds/new", methods=["GET", "POST"])
@login_required
def embed_new() -> Any:
    access.ensure_can_manage_embeds(g.user, g.user.partner_id)
    if request.method == "GET":
        return _embed_form(None, _embed_form_values(None), {})
    session = db.session()
    try:
        embed = embeds.create_embed(session, g.user, g.user.partner_id, _embed_values(request.form))
    except DomainError as exc:
        session.rollback()
        if not exc.fields:
            raise
        return _embed_form(None, request.form, _field_errors(exc.fields), exc.message, 422)
    session.commit()
    flash("Embed created. Copy its snippet into your website's HTML.", "success")
    return redirect(url_for("portal_syndication.embed_stats", embed_id=embed.id))


@bp.route("/embeds/<id:embed_id>/edit", methods=["GET", "POST"])
@login_required
def embed_edit(embed_id: int) -> Any:
    session = db.session()
    embed = embeds.get_embed(session, g.user, embed_id)
    access.ensure_can_manage_embeds(g.user, embed.partner_id)
    if request.method == "GET":
        return _embed_form(embed, _embed_form_values(embed), {})
    try:
        embeds.update_embed(session, g.user, embed_id, _embed_values(request.form))
    except DomainError as exc:
        session.rollback()
        if not exc.fields:
            raise
        embed = embeds.get_embed(session, g.user, embed_id)
        return _embed_form(embed, request.form, _field_errors(exc.fields), exc.message, 422)
    session.commit()
    flash("Embed saved. Websites with its snippet show the change within a minute.", "success")
    return redirect(url_for("portal_syndication.embed_stats", embed_id=embed_id))


@bp.post("/embeds/<id:embed_id>/enabled")
@login_required
def embed_set_enabled(embed_id: int) -> Any:
    enabled = request.form.get("enabled") == "1"
    embed = embeds.update_embed(db.session(), g.user, embed_id, {"enabled": enabled})
    db.session().commit()
    label = embed.name or EMBED_KIND_LABELS[embed.kind]
    if enabled:
        flash(f"{label} is enabled: websites with its snippet show it again.", "success")
    else:
        flash(f"{label} is disabled: websites with its snippet show nothing.", "success")
    target = request.form.get("next", "")
    if target == "stats":
        return redirect(url_for("portal_syndication.embed_stats", embed_id=embed_id))
    return redirect(url_for("portal_syndication.embed_list"))


@bp.post("/embeds/<id:embed_id>/delete")
@login_required
def embed_delete(embed_id: int) -> Any:
    embeds.delete_embed(db.session(), g.user, embed_id)
    db.session().commit()
    flash("Embed deleted. Its snippet no longer shows anything.", "success")
    return redirect(url_for("portal_syndication.embed_list"))


@bp.get("/embeds/<id:embed_id>/stats")
@login_required
def embed_stats(embed_id: int) -> Any:
    session = db.session()
    days = _digits(request.args.get("days", ""), 3)
    days = days if days in STATS_DAYS else 30
    # The embed first: held here, stats finds it in the session instead of reading it again.
    embed = embeds.get_embed(session, g.user, embed_id)
    stats = events.stats(session, g.user, embed_id, days=days)
    showing = live_items(session, embed)
    # Titles of the items in the table: those shown now, and any the embed showed before.
    titles = {i.id: i.title for i in showing}
    missing = [row["item_id"] for row in stats["items"] if row["item_id"] not in titles]
    if missing:
        stmt = select(SyndicatedItem.id, SyndicatedItem.title).where(SyndicatedItem.id.in_(missing))
        titles |= {i: t for i, t in session.execute(stmt)}
    return render_template(
        "syndication/portal/embed_stats.html",
        embed=embed,
        stats=stats,
        days=days,
        day_choices=STATS_DAYS,
        titles=titles,
        showing=showing,
        snippet=embeds.snippet(base_url(), embed),
        kind_labels=EMBED_KIND_LABELS,
        item_kind_labels=ITEM_KIND_LABELS,
        can_manage=access.can_manage_embeds(g.user, embed.partner_id),
        # The page names the embed's partner to vendor staff only.
        partner_name=partner_names({embed.partner_id}).get(embed.partner_id, ""),
    )


# -- leads ------------------------------------------------------------------------------------


def _assignable(partner_id: int) -> list[Any]:
    """The active members a lead of ``partner_id`` may go to, if the viewer assigns leads."""
    user = g.user
    if not access.can_assign_leads(user, partner_id):
        return []
    page = users.list_partner_users(db.session(), user, partner_id, per_page=200)
    return [u for u in page.items if u.active]


# How the lead list names each state (a column of every row, and the filter's choices).
LEAD_STATE_WORDS = {s: form_errors.capfirst(form_errors.human(s.value)) for s in LeadState}


@bp.get("/leads")
@login_required
def lead_list() -> Any:
    session = db.session()
    embed_id = _digits(request.args.get("embed_id", ""), 9)
    state = request.args.get("state", "")
    chosen = LeadState(state) if state in {s.value for s in LeadState} else None
    page = leads.list_leads(
        session,
        g.user,
        page=_int_arg("page"),
        per_page=LEADS_PER_PAGE,
        embed_id=embed_id,
        state=chosen,
    )

    # The filter offers the newest embeds; the table names each lead's embed, whichever it is.
    def named(rows: list[tuple[int, str, EmbedKind]]) -> dict[int, str]:
        return {i: name or EMBED_KIND_LABELS[kind] for i, name, kind in rows}

    choices = named(embeds.embed_names(session, g.user))
    unnamed = {lead.embed_id for lead in page.items if lead.embed_id} - set(choices)
    labels = choices | named(embeds.embed_names(session, g.user, ids=unnamed))
    return render_template(
        "syndication/portal/lead_list.html",
        page=page,
        embed_id=embed_id,
        state=chosen,
        states=list(LeadState),
        state_words=LEAD_STATE_WORDS,
        embed_choices=list(choices.items()),
        embed_labels=labels,
        partner_names=partner_names({lead.partner_id for lead in page.items if lead.partner_id}),
        assignees=(
            users.active_member_names(session, g.user, g.user.partner_id)
            if g.user.partner_id and access.can_assign_leads(g.user, g.user.partner_id)
            else {}
        )
        or {g.user.id: "You"},
        show_assignee=not g.user.is_vendor,
        hidden={
            lead.id
            for lead in page.items
            if not access.can_see_lead_contact(g.user, lead.state, lead.partner_id)
        },
        can_import=access.has(g.user, Right.MANAGE_LEAD_ROUTING),
    )


@bp.get("/leads/<id:lead_id>")
@login_required
def lead_detail(lead_id: int) -> Any:
    session = db.session()
    lead = leads.get_lead(session, g.user, lead_id)
    embed = session.get(Embed, lead.embed_id) if lead.embed_id else None
    form = session.get(SyndicatedItem, lead.item_id) if lead.item_id else None
    contact = access.can_see_lead_contact(g.user, lead.state, lead.partner_id)
    offers = lead_lifecycle.offers_of(session, g.user, lead.id)
    names = partners.names(
        db.session(), g.user, {o.partner_id for o in offers} | {lead.partner_id or 0}
    )
    return render_template(
        "syndication/portal/lead_detail.html",
        lead=lead,
        fields=[
            (LEAD_FIELD_LABELS[f], getattr(lead, f))
            for f in LEAD_FIELDS
            if contact or f not in ("email", "phone")
        ],
        contact_hidden=not contact,
        embed=embed,
        embed_label=(embed.name or EMBED_KIND_LABELS[embed.kind]) if embed else None,
        form_title=form.title if form else None,
        page_link=_http_url(lead.page_url),
        referrer_link=_http_url(lead.referrer),
        partner_name=names.get(lead.partner_id or 0, "") if g.user.is_vendor else "",
        partner_names=names,
        members=_assignable(lead.partner_id)
        if lead.partner_id and lead.state in LEAD_OWNED_STATES
        else [],
        offers=offers,
        may_answer=lead.state == LeadState.ASSIGNED
        and lead.partner_id is not None
        and access.can_assign_leads(g.user, lead.partner_id),
        may_work=access.can_work_lead(g.user, lead.partner_id, lead.assigned_user_id),
        next_states=LEAD_TRANSITIONS[lead.state],
    )


@bp.post("/leads/<id:lead_id>/assign")
@login_required
def lead_assign(lead_id: int) -> Any:
    raw = request.form.get("assigned_user_id", "")
    user_id: Any = None if raw == "" else (_digits(raw, 10) or raw)
    try:
        lead = leads.assign_lead(db.session(), g.user, lead_id, user_id)
    except NotFound:
        raise
    except DomainError as exc:
        db.session().rollback()
        flash_error(exc)
        return redirect(url_for("portal_syndication.lead_detail", lead_id=lead_id))
    db.session().commit()
    flash("Lead assigned." if lead.assigned_user_id else "Lead unassigned.", "success")
    return redirect(url_for("portal_syndication.lead_detail", lead_id=lead_id))


# -- notifications ----------------------------------------------------------------------------


def unread_notifications(limit: int = 5) -> list[dict[str, Any]]:
    """The signed-in partner's newest unread notifications (vendors have none)."""
    user = g.get("user")
    if user is None:
        return []
    return [
        {"text": n.text, "link": _safe_path(n.link or ""), "created_at": n.created_at}
        for n in notifications.unread(db.session(), user, limit=limit)
    ]


@bp.post("/notifications/read")
@login_required
def notifications_read() -> Any:
    notifications.mark_all_read(db.session(), g.user)
    db.session().commit()
    flash("Notifications marked as read.", "success")
    return redirect(url_for("portal.dashboard"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_global(unread_notifications, "unread_notifications")
    app.add_template_global(items.item_status, "syndication_item_status")
