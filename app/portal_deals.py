"""Portal pages of deal registration: the partner's form (with a live conflict warning), list
and detail; the vendor's review queue and the direct-pipeline import. Same pattern as
``app.portal``: parse, call the domain (which decides who may do what), commit once, respond."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.datastructures import MultiDict

from app import db
from app.auth import login_required
from app.errors import status_of
from app.form_errors import flash_error
from app.portal import _digits, _int_arg, partner_names
from prm_domain import DomainError, NotFound, access, deals
from prm_domain.enums import DealStatus

bp = Blueprint("portal_deals", __name__)
PER_PAGE = 25
STATUS_LABELS = {
    DealStatus.PENDING: "Awaiting review",
    DealStatus.APPROVED: "Approved",
    DealStatus.REJECTED: "Rejected",
    DealStatus.EXPIRED: "Expired",
    DealStatus.WON: "Won",
    DealStatus.LOST: "Lost",
}
FORM_FIELDS = deals.registrations.FORM_FIELDS


def _form_values(form: MultiDict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {f: form.get(f, "").strip() for f in FORM_FIELDS}
    values["products"] = [p.strip() for p in form.get("products", "").split(",") if p.strip()]
    return values


@bp.get("/deals")
@login_required
def deal_list() -> Any:
    raw_status = request.args.get("status", "")
    status = DealStatus(raw_status) if raw_status in set(DealStatus) else None
    q = request.args.get("q", "").strip()[:200]
    page = deals.list_deals(
        db.session(), g.user, status=status, q=q, page=_int_arg("page"), per_page=PER_PAGE
    )
    return render_template(
        "deals/list.html",
        page=page,
        status=status,
        q=q,
        labels=STATUS_LABELS,
        partner_names=partner_names({d.partner_id for d in page.items}),
        may_register=not g.user.is_vendor and access.has(g.user, access.Right.REGISTER_DEALS),
    )


@bp.route("/deals/new", methods=["GET", "POST"])
@login_required
def deal_new() -> Any:
    access.ensure_can_register_deals(g.user)
    form: MultiDict[str, str] = request.form if request.method == "POST" else MultiDict()
    errors: dict[str, str] = {}
    # A deal registered from a lead (?lead=<id>, then a hidden field) converts the lead.
    source = (
        request.form.get("lead_id", "")
        if request.method == "POST"
        else request.args.get("lead", "")
    )
    lead_id = _digits(source, 10) or 0
    if request.method == "GET" and lead_id:
        prefill = deals.registrations.prefill_for_lead(db.session(), g.user, lead_id)
        form = MultiDict({k: v for k, v in prefill.items() if isinstance(v, str)})
    if request.method == "POST":
        try:
            if lead_id:
                deal = deals.registrations.register_deal_from_lead(
                    db.session(), g.user, lead_id, _form_values(form)
                )
            else:
                deal = deals.register_deal(db.session(), g.user, _form_values(form))
        except DomainError as exc:
            db.session().rollback()
            if isinstance(exc, NotFound) or not exc.fields:
                raise
            errors = exc.fields
        else:
            db.session().commit()
            from app.celery_app import enqueue

            enqueue("cobrand.deliver_deal_webhooks")
            flash(
                "Deal registered: it overlaps with an existing customer, the vendor will review it."
                if deal.flagged
                else f"Deal registered: {STATUS_LABELS[deal.status].lower()}.",
                "success",
            )
            return redirect(url_for("portal_deals.deal_detail", deal_id=deal.id))
    return (
        render_template("deals/new.html", form=form, errors=errors, lead_id=lead_id),
        422 if errors else 200,
    )


@bp.post("/deals/check")
@login_required
def deal_check() -> Any:
    """The form's live warning: JSON ``{"company", "contact_email"}``, CSRF in X-CSRF-Token."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    body = body if isinstance(body, dict) else {}
    try:
        found = deals.check(
            db.session(), g.user, body.get("company"), body.get("contact_email") or None
        )
    except DomainError as exc:
        return jsonify({"error": {"message": exc.message, "fields": exc.fields}}), status_of(exc)
    return jsonify({"conflicts": found})


@bp.route("/deals/<id:deal_id>", methods=["GET", "POST"])
@login_required
def deal_detail(deal_id: int) -> Any:
    session = db.session()
    if request.method == "POST":
        action = request.form.get("action", "")
        reason = request.form.get("reason", "").strip()
        changes: dict[str, Any] = {
            "approve": {"status": "approved", "decision_reason": reason},
            "reject": {"status": "rejected", "decision_reason": reason},
            "won": {"status": "won", "decision_reason": reason},
            "lost": {"status": "lost", "decision_reason": reason},
            "extend": {"extension": "approved"},
            "deny_extension": {"extension": "denied"},
            "request_extension": {"extension": "requested", "extension_reason": reason},
        }.get(action, {"action": action})
        try:
            deals.update_deal(session, g.user, deal_id, changes)
        except NotFound:
            raise
        except DomainError as exc:
            session.rollback()
            flash_error(exc)
        else:
            session.commit()
            from app.celery_app import enqueue

            enqueue("cobrand.deliver_deal_webhooks")
            flash("Deal updated.", "success")
        return redirect(url_for("portal_deals.deal_detail", deal_id=deal_id))
    deal = deals.get_deal(session, g.user, deal_id)
    return render_template(
        "deals/detail.html",
        deal=deal,
        conflicts=deals.visible_conflicts(deal, g.user),
        labels=STATUS_LABELS,
        partner_name=partner_names({deal.partner_id}).get(deal.partner_id, ""),
        may_review=access.has(g.user, access.Right.REVIEW_DEALS),
        is_owner=g.user.partner_id == deal.partner_id,
    )


@bp.route("/accounts", methods=["GET", "POST"])
@login_required
def account_list() -> Any:
    """The vendor's direct accounts, and the CSV import (all rows or none)."""
    session = db.session()
    errors: dict[str, str] = {}
    if request.method == "POST":
        file = request.files.get("file")
        data = file.read() if file is not None else b""
        try:
            count = deals.import_accounts(session, g.user, data)
        except DomainError as exc:
            session.rollback()
            if isinstance(exc, NotFound) or not exc.fields:
                raise
            errors = exc.fields
        else:
            session.commit()
            flash(f"{count} accounts imported.", "success")
            return redirect(url_for("portal_deals.account_list"))
    q = request.args.get("q", "").strip()[:200]
    page = deals.list_accounts(session, g.user, q=q, page=_int_arg("page"), per_page=PER_PAGE)
    return render_template("deals/accounts.html", page=page, q=q, errors=errors), (
        422 if errors else 200
    )


# -- the CRM's deal webhooks -----------------------------------------------------------------


def _webhooks_page(**extra: Any) -> str:
    return render_template(
        "deals/webhooks.html",
        hooks=deals.webhooks.list_webhooks(db.session(), g.user),
        status_of=deals.webhooks.delivery_status,
        event_type=deals.webhooks.event_type,
        errors=extra.pop("errors", {}),
        **extra,
    )


@bp.route("/webhooks", methods=["GET", "POST"])
@login_required
def webhook_list() -> Any:
    """The CRM's deal webhooks; adding one shows its signing secret on this answer only."""
    if request.method == "GET":
        return _webhooks_page()
    session = db.session()
    allow = bool(current_app.config["PUBLISH_ALLOW_PRIVATE_HOSTS"])
    url = request.form.get("url", "").strip()
    try:
        hook = deals.webhooks.add_webhook(session, g.user, url, allow_private_hosts=allow)
    except DomainError as exc:
        session.rollback()
        if isinstance(exc, NotFound) or not exc.fields:
            raise
        return _webhooks_page(errors=exc.fields, error=exc.message, url=url), 422
    session.commit()
    return _webhooks_page(created=hook)


@bp.get("/webhooks/<id:webhook_id>")
@login_required
def webhook_detail(webhook_id: int) -> Any:
    session = db.session()
    hook = deals.webhooks.get_webhook(session, g.user, webhook_id)
    page = deals.webhooks.list_deliveries(
        session, g.user, webhook_id, page=_int_arg("page"), per_page=PER_PAGE
    )
    return render_template(
        "deals/webhook.html",
        hook=hook,
        page=page,
        status_of=deals.webhooks.delivery_status,
        event_type=deals.webhooks.event_type,
    )


@bp.post("/webhooks/<id:webhook_id>/delete")
@login_required
def webhook_delete(webhook_id: int) -> Any:
    deals.webhooks.delete_webhook(db.session(), g.user, webhook_id)
    db.session().commit()
    flash("Webhook removed: nothing more is sent to it.", "success")
    return redirect(url_for("portal_deals.webhook_list"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
