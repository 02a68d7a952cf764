"""Portal pages of lead routing: the pool, a partner's answers and work on a lead, the vendor's
CSV import and routing rules. The lead list and a lead's page are ``portal_syndication``'s.

Same pattern as ``app.portal``: parse, call one domain function, commit, redirect. Who may do
what is ``prm_domain.access``'s to decide; these pages only hide buttons a role cannot use.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from app import db
from app.api.leads import accept_within
from app.auth import login_required
from app.form_errors import flash_error
from app.portal import _digits, _int_arg, _list_field
from prm_domain import DomainError, NotFound, access, deals, tiers
from prm_domain.access import Right
from prm_domain.enums import PartnerType, Region
from prm_domain.leads import lifecycle, routing
from prm_domain.models import Lead

bp = Blueprint("portal_leads", __name__)

POOL_PER_PAGE = 25
# The portal's one action route: the button names what to do with the lead.
ACTIONS = ("accept", "decline", "claim", "working", "convert", "lost")
DONE = {
    "accept": "Lead accepted: the contact details are yours.",
    "decline": "Lead declined: it moves on to the next partner.",
    "claim": "Lead claimed: it is yours now.",
    "working": "Lead marked as being worked.",
    "convert": "Lead converted.",
    "lost": "Lead marked as lost.",
}


def _detail(lead_id: int) -> Response:
    return redirect(url_for("portal_syndication.lead_detail", lead_id=lead_id))


def _run(action: str, lead_id: int) -> Lead:
    session, user = db.session(), g.user
    if action == "accept":
        return lifecycle.accept_lead(session, user, lead_id)
    if action == "decline":
        return lifecycle.decline_lead(session, user, lead_id, accept_within=accept_within())
    if action == "claim":
        return lifecycle.claim_lead(session, user, lead_id)
    if action == "working":
        return lifecycle.start_working(session, user, lead_id)
    if action == "convert":
        raw = request.form.get("deal_id", "").strip()
        deal_id: Any = None if raw == "" else (_digits(raw, 10) or raw)
        return lifecycle.convert_lead(session, user, lead_id, deal_id)
    return lifecycle.lose_lead(session, user, lead_id, request.form.get("reason", ""))


@bp.post("/leads/<id:lead_id>/move")
@login_required
def lead_move(lead_id: int) -> Any:
    action = request.form.get("action", "")
    if action not in ACTIONS:
        flash("Choose what to do with the lead.", "error")
        return _detail(lead_id)
    if action == "convert" and not request.form.get("deal_id", "").strip():
        # Converting is registering the deal: the registration form, prefilled from the lead,
        # converts the lead when the deal is stored. Asked first, so another organisation's
        # lead is a 404 here too, and a lead not yet accepted says so.
        try:
            deals.registrations.prefill_for_lead(db.session(), g.user, lead_id)
        except NotFound:
            raise
        except DomainError as exc:
            flash_error(exc)
            return _detail(lead_id)
        return redirect(url_for("portal_deals.deal_new", lead=lead_id))
    try:
        lead = _run(action, lead_id)
    except NotFound:
        raise
    except DomainError as exc:
        db.session().rollback()
        flash_error(exc)
        return redirect(url_for("portal_leads.pool")) if action == "claim" else _detail(lead_id)
    db.session().commit()
    flash(DONE[action], "success")
    if action == "decline":
        # The lead has moved on: the partner may no longer see it.
        return redirect(url_for("portal_syndication.lead_list"))
    return _detail(lead.id)


@bp.get("/leads/pool")
@login_required
def pool() -> Any:
    page = lifecycle.list_pool(db.session(), g.user, page=_int_arg("page"), per_page=POOL_PER_PAGE)
    return render_template("leads/pool.html", page=page, can_claim=access.can_claim_leads(g.user))


@bp.post("/leads/import")
@login_required
def lead_import() -> Any:
    upload = request.files.get("file")
    data = upload.read() if upload is not None else b""
    try:
        result = lifecycle.import_leads(db.session(), g.user, data, accept_within=accept_within())
    except NotFound:
        raise
    except DomainError as exc:
        db.session().rollback()
        flash_error(exc)
        return redirect(url_for("portal_syndication.lead_list"))
    db.session().commit()
    pooled = sum(1 for lead in result.created if lead.partner_id is None)
    flash(
        f"{len(result.created)} leads imported: {len(result.created) - pooled} offered to "
        f"partners, {pooled} in the pool.",
        "success",
    )
    return redirect(url_for("portal_syndication.lead_list"))


# -- routing rules ----------------------------------------------------------------------------


def _rule_values(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": form.get("name", ""),
        "active": form.get("active") == "on",
        "countries": [c.upper() for c in _list_field(form, "countries")],
        "regions": form.getlist("regions"),
        "partner_types": form.getlist("partner_types"),
        "verticals": _list_field(form, "verticals"),
        "required_certifications": _list_field(form, "required_certifications"),
        "tier_ids": [_digits(t, 9) or t for t in form.getlist("tier_ids")],
    }
    position = form.get("position", "").strip()
    values["position"] = _digits(position, 5) if position else 100
    capacity = form.get("capacity", "").strip()
    values["capacity"] = (_digits(capacity, 6) or capacity) if capacity else None
    if values["position"] is None:
        values["position"] = position
    return values


def _rules_page(errors: dict[str, str] | None = None, form: Any = None, status: int = 200) -> Any:
    session = db.session()
    rules = routing.list_rules(session, g.user).items
    tier_list = tiers.list_tiers(session, g.user)
    return (
        render_template(
            "leads/rules.html",
            rules=rules,
            tiers=tier_list,
            tier_names={t.id: t.name for t in tier_list},
            regions=list(Region),
            partner_types=list(PartnerType),
            errors=errors or {},
            form=form if form is not None else MultiDict(),
            accept_hours=accept_within().total_seconds() / 3600,
        ),
        status,
    )


@bp.get("/lead-routing")
@login_required
def rules() -> Any:
    return _rules_page()


@bp.post("/lead-routing")
@login_required
def rule_create() -> Any:
    access.ensure_vendor(g.user, Right.MANAGE_LEAD_ROUTING)
    try:
        rule = routing.create_rule(db.session(), g.user, _rule_values(request.form))
    except NotFound:
        raise
    except DomainError as exc:
        db.session().rollback()
        return _rules_page(exc.fields or {"name": exc.message}, request.form, 422)
    db.session().commit()
    flash(f"Rule “{rule.name}” added.", "success")
    return redirect(url_for("portal_leads.rules"))


@bp.post("/lead-routing/<id:rule_id>/delete")
@login_required
def rule_delete(rule_id: int) -> Any:
    routing.delete_rule(db.session(), g.user, rule_id)
    db.session().commit()
    flash("Rule deleted.", "success")
    return redirect(url_for("portal_leads.rules"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
