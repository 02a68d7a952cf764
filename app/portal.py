"""Server-rendered portal pages: sign in/out, dashboard, partners, my organisation, tiers, audit."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict

from app import db, form_errors, menu
from app.auth import (
    add_partner_user,
    change_password,
    end_session,
    login_required,
    sign_in,
    start_session,
)
from app.errors import same_site_referrer
from app.form_errors import flash_error
from prm_domain import (
    DomainError,
    RateLimited,
    access,
    audit,
    invitations,
    partner_changes,
    partners,
    tiers,
    training,
    users,
    visits,
)
from prm_domain.access import Right
from prm_domain.enums import (
    BusinessModel,
    ChangeRequestStatus,
    PartnerStatus,
    PartnerType,
    Region,
    Role,
)
from prm_domain.errors import Conflict as ConflictError
from prm_domain.errors import NotFound as NotFoundError
from prm_domain.errors import PermissionDenied as PermissionDeniedError

bp = Blueprint("portal", __name__)

PARTNER_ROLE_CHOICES = [Role.PARTNER_ADMIN, Role.PARTNER_USER]


def _digits(value: str, max_len: int) -> int | None:
    """The number in a form or query value of ASCII digits, else None.

    Not ``str.isdigit()`` alone: it accepts "²", which ``int()`` refuses with a ValueError.
    """
    return int(value) if value.isascii() and value.isdigit() and len(value) <= max_len else None


def _int_arg(name: str, default: int = 1) -> int:
    value = _digits(request.args.get(name, ""), 5)
    return value if value is not None and value > 0 else default


def _list_field(form: MultiDict[str, str], name: str) -> list[str]:
    return [
        part.strip() for part in form.get(name, "").replace("\n", ",").split(",") if part.strip()
    ]


def _safe_next(target: str | None) -> str:
    # Only same-site paths: "//evil.example" or "https://evil.example" would be an open redirect.
    # Browsers read "\\" as "/" and drop tabs and newlines; a CR or LF cannot go in a header.
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 or ord(c) == 127 for c in target)
        or urlsplit(target).netloc
    ):
        return url_for("portal.dashboard")
    return target


@bp.get("/sign-in")
def sign_in_page() -> Any:
    if g.get("user") is not None:
        return redirect(url_for("portal.dashboard"))
    return render_template("sign_in.html", next=request.args.get("next", ""))


@bp.post("/sign-in")
def sign_in_submit() -> Any:
    email = request.form.get("email", "")
    try:
        user = sign_in(db.session(), email, request.form.get("password", ""))
    except RateLimited as exc:
        return render_template(
            "sign_in.html", email=email, error=exc.message, next=request.form.get("next", "")
        ), 429
    except DomainError as exc:
        db.session().rollback()
        return render_template(
            "sign_in.html", email=email, error=exc.message, next=request.form.get("next", "")
        ), 401
    # What is new is measured from the end of the previous visit, fixed for this session.
    previous_visit = user.last_seen_at
    start_session(db.session(), user)
    db.session().commit()
    session["since"] = previous_visit.isoformat() if previous_visit else None
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/visits")
@login_required
def visit_record() -> Any:
    """The page reports that its user is here (a GET never writes): "new" is newer than this."""
    visits.record_visit(db.session(), g.user)
    db.session().commit()
    return "", 204


@bp.post("/sign-out")
def sign_out() -> Any:
    end_session(db.session())
    db.session().commit()
    flash("You are signed out.", "info")
    return redirect(url_for("portal.sign_in_page"))


@bp.get("/account-status")
@login_required
def partner_notice() -> Any:
    """What the organisation's status allows, in words; a suspended partner's only page."""
    notice = access.status_notice(g.user)
    if notice is None:
        return redirect(url_for("portal.dashboard"))
    return render_template("notice.html", notice=notice)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password_change() -> Any:
    if request.method == "GET":
        return render_template("account_password.html", errors={})
    try:
        change_password(
            db.session(),
            g.user,
            request.form.get("current_password", ""),
            request.form.get("new_password", ""),
        )
    except RateLimited as exc:
        db.session().rollback()
        return render_template("account_password.html", errors={}, error=exc.message), 429
    except DomainError as exc:
        db.session().rollback()
        return render_template("account_password.html", errors=exc.fields, error=exc.message), 422
    # Every session of this user ended with the old password; this browser gets a new one.
    start_session(db.session(), g.user)
    db.session().commit()
    flash("Password changed. You were signed out everywhere else.", "success")
    return redirect(url_for("portal.dashboard"))


@bp.get("/")
@login_required
def dashboard() -> Any:
    user = g.user
    context: dict[str, Any] = {}
    if access.has(user, Right.VIEW_ALL_PARTNERS):
        page = partners.list_partners(db.session(), user, per_page=5)
        context["partner_total"] = page.total
        context["recent_partners"] = page.items
        context["tiers"] = tiers.list_tiers(db.session(), user)
        if access.has(user, Right.MANAGE_PARTNERS):
            waiting = partner_changes.list_partner_changes(
                db.session(), user, status=ChangeRequestStatus.PENDING, per_page=5
            ).items
            context["pending_proposals"] = waiting
            context["proposal_partners"] = {
                p.id: p.name
                for p in (
                    partners.get_partner(db.session(), user, pid)
                    for pid in {w.partner_id for w in waiting}
                )
            }
    # A prospect or onboarding partner reads why the library, embeds and leads are closed here,
    # not only after following a link into a refusal.
    context["status_notice"] = access.status_notice(user)
    if user.partner_id is not None:
        context["partner"] = partners.get_partner(db.session(), user, user.partner_id)
        context["checklist"] = training.dashboard_checklist(
            db.session(), user, user.partner_id, status_held=bool(context["status_notice"])
        )
    context["changes"] = visits.changes_since(db.session(), user, seen_since())
    return render_template("dashboard.html", **context)


def partner_names(ids: Iterable[int]) -> dict[int, str]:
    """The names of a list's partners, for vendor staff: a partner's own lists name none."""
    return partners.names(db.session(), g.user, ids) if g.user.is_vendor else {}


def seen_since() -> dt.datetime | None:
    """The end of the signed-in user's previous visit, as found at sign-in (None: unknown)."""
    value = session.get("since")
    try:
        return dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@bp.get("/partners")
@login_required
def partner_list() -> Any:
    if not access.has(g.user, Right.VIEW_ALL_PARTNERS):
        return redirect(url_for("portal.organisation"))
    filters: dict[str, Any] = {"q": request.args.get("q", "").strip()[:200] or None}
    for name, enum in (("status", PartnerStatus), ("type", PartnerType), ("region", Region)):
        value = request.args.get(name, "")
        filters[name] = enum(value) if value in enum._value2member_map_ else None
    filters["tier_id"] = _digits(request.args.get("tier_id", ""), 9)
    page = partners.list_partners(
        db.session(), g.user, **filters, page=_int_arg("page"), per_page=25
    )
    return render_template(
        "partners/list.html",
        page=page,
        filters=filters,
        tiers=tiers.list_tiers(db.session(), g.user),
        statuses=PartnerStatus,
        types=PartnerType,
        regions=Region,
        can_create=access.has(g.user, Right.MANAGE_PARTNERS),
    )


def _partner_form_values(form: MultiDict[str, str], *, vendor: bool) -> dict[str, Any]:
    values: dict[str, Any] = {
        "website_domains": _list_field(form, "website_domains"),
        "business_model": form.get("business_model") or None,
    }
    if form.get("timezone"):
        values["timezone"] = form.get("timezone", "").strip()
    if vendor:
        values |= {"name": form.get("name", ""), "verticals": _list_field(form, "verticals")}
        tier = form.get("tier_id", "")
        values |= {
            "type": form.get("type", ""),
            "tier_id": tier if (number := _digits(tier, 9)) is None else number,
            "country": form.get("country", ""),
            "region": form.get("region", ""),
            "status": form.get("status", "prospect"),
        }
        dpa = form.get("dpa_signed_on", "").strip()
        try:
            values["dpa_signed_on"] = dt.date.fromisoformat(dpa) if dpa else None
        except ValueError:
            values["dpa_signed_on"] = dpa  # the domain names the bad field
    return values


def _form_context(**extra: Any) -> dict[str, Any]:
    return {
        "tiers": tiers.list_tiers(db.session(), g.user),
        "statuses": PartnerStatus,
        "types": PartnerType,
        "regions": Region,
        "models": BusinessModel,
        **extra,
    }


@bp.route("/partners/new", methods=["GET", "POST"])
@login_required
def partner_new() -> Any:
    access.require(g.user, Right.MANAGE_PARTNERS)
    if request.method == "GET":
        return render_template(
            "partners/form.html", **_form_context(partner=None, values={}, errors={})
        )
    values = _partner_form_values(request.form, vendor=True)
    try:
        partner = partners.create_partner(db.session(), g.user, values)
    except DomainError as exc:
        db.session().rollback()
        return render_template(
            "partners/form.html",
            **_form_context(
                partner=None, values=request.form, errors=exc.fields, error=exc.message
            ),
        ), 422
    db.session().commit()
    flash(f"Partner {partner.name} added.", "success")
    return redirect(url_for("portal.partner_detail", partner_id=partner.id))


@bp.get("/partners/<id:partner_id>")
@login_required
def partner_detail(partner_id: int) -> Any:
    partner = partners.get_partner(db.session(), g.user, partner_id)
    user_page = None
    if access.has(g.user, Right.VIEW_ALL_PARTNERS):
        user_page = users.list_partner_users(db.session(), g.user, partner_id, per_page=200)
    proposals = None
    onboarding = None
    if access.has(g.user, Right.VIEW_ALL_PARTNERS):
        proposals = partner_changes.list_partner_changes(
            db.session(), g.user, partner_id=partner_id, per_page=10
        ).items
        # How far a new partner got: the vendor follows up where it is stuck.
        found = training.checklist(db.session(), g.user, partner_id)
        if found.routed or partner.status != PartnerStatus.ACTIVE:
            onboarding = found
    return render_template(
        "partners/detail.html",
        partner=partner,
        onboarding=onboarding,
        user_page=user_page,
        proposals=proposals,
        can_decide=access.has(g.user, Right.MANAGE_PARTNERS),
        can_edit=access.can_edit_partner(g.user, partner),
        can_add_users=access.has(g.user, Right.MANAGE_ALL_PARTNER_USERS),
        roles=PARTNER_ROLE_CHOICES,
        errors={},
        values={},
    )


@bp.route("/partners/<id:partner_id>/edit", methods=["GET", "POST"])
@login_required
def partner_edit(partner_id: int) -> Any:
    partner = partners.get_partner(db.session(), g.user, partner_id)
    vendor = access.has(g.user, Right.MANAGE_PARTNERS)
    if request.method == "GET":
        access.ensure_can_edit_partner(
            g.user, partner, set() if vendor else set(access.PARTNER_PROFILE_FIELDS)
        )
        return render_template(
            "partners/form.html",
            **_form_context(
                partner=partner, values={}, errors={}, vendor=vendor, **_proposals(partner_id)
            ),
        )
    values = _partner_form_values(request.form, vendor=vendor)
    try:
        partners.update_partner(db.session(), g.user, partner_id, values)
    except DomainError as exc:
        db.session().rollback()
        partner = partners.get_partner(db.session(), g.user, partner_id)
        return render_template(
            "partners/form.html",
            **_form_context(
                partner=partner,
                values=request.form,
                errors=exc.fields,
                error=exc.message,
                vendor=vendor,
                **_proposals(partner_id),
            ),
        ), 422
    db.session().commit()
    flash("Saved.", "success")
    if vendor:
        return redirect(url_for("portal.partner_detail", partner_id=partner_id))
    return redirect(url_for("portal.organisation"))


def _proposals(partner_id: int) -> dict[str, Any]:
    """The proposal form's context on a partner admin's own profile page."""
    if not access.can_propose_partner_change(g.user, partner_id):
        return {}
    page = partner_changes.list_partner_changes(db.session(), g.user, partner_id=partner_id)
    return {"can_propose": True, "proposals": page.items[:5]}


@bp.post("/partners/<id:partner_id>/change-requests")
@login_required
def partner_change_propose(partner_id: int) -> Any:
    form = request.form
    values: dict[str, Any] = {"note": form.get("note", "")}
    for field in ("name", "type", "region"):
        if form.get(field, "").strip():
            values[field] = form[field].strip()
    if form.get("verticals", "").strip() or form.get("clear_verticals") == "1":
        values["verticals"] = _list_field(form, "verticals")
    try:
        partner_changes.propose_partner_change(db.session(), g.user, partner_id, values)
    except (NotFoundError, PermissionDeniedError):
        raise
    except DomainError as exc:
        db.session().rollback()
        partner = partners.get_partner(db.session(), g.user, partner_id)
        return render_template(
            "partners/form.html",
            **_form_context(
                partner=partner,
                values={},
                errors={},
                vendor=False,
                proposal_values=form,
                proposal_errors=exc.fields,
                proposal_error=exc.message,
                **_proposals(partner_id),
            ),
        ), 422
    db.session().commit()
    flash("Your proposal was sent to the vendor for approval.", "success")
    return redirect(url_for("portal.partner_edit", partner_id=partner_id))


@bp.post("/partner-change-requests/<id:request_id>/decide")
@login_required
def partner_change_decide(request_id: int) -> Any:
    decision = request.form.get("decision", "")
    if decision not in ("approve", "reject"):
        abort(400, "Choose approve or reject.")
    try:
        change = partner_changes.decide_partner_change(
            db.session(),
            g.user,
            request_id,
            approve=decision == "approve",
            note=request.form.get("note", ""),
        )
    except (NotFoundError, PermissionDeniedError):
        raise
    except DomainError as exc:
        db.session().rollback()
        flash_error(exc)
        return redirect(same_site_referrer())
    db.session().commit()
    flash(f"Proposal {decision}d.", "success")
    return redirect(url_for("portal.partner_detail", partner_id=change.partner_id))


@bp.post("/partners/<id:partner_id>/users")
@login_required
def partner_user_create(partner_id: int) -> Any:
    values = {k: request.form.get(k, "") for k in ("email", "password", "display_name", "role")}
    try:
        user = add_partner_user(db.session(), g.user, partner_id, values)
    except DomainError as exc:
        db.session().rollback()
        if exc.fields:
            flash_error(exc)
        else:
            raise
    else:
        db.session().commit()
        flash(f"{user.display_name} can now sign in as {user.email}.", "success")
    if g.user.partner_id == partner_id:
        return redirect(url_for("portal.organisation"))
    return redirect(url_for("portal.partner_detail", partner_id=partner_id))


@bp.post("/users/<id:user_id>/active")
@login_required
def user_set_active(user_id: int) -> Any:
    active = request.form.get("active") == "1"
    user = users.set_active(db.session(), g.user, user_id, active)
    db.session().commit()
    flash(f"{user.email} is now {'active' if active else 'deactivated'}.", "success")
    return redirect(same_site_referrer())


@bp.post("/users/<id:user_id>/invitation")
@login_required
def user_invitation(user_id: int) -> Any:
    """A new invitation link for someone who never signed in, shown on this answer only."""
    try:
        issued = invitations.reissue(db.session(), g.user, user_id)
    except ConflictError as exc:
        db.session().rollback()
        flash(exc.message, "error")
        return redirect(same_site_referrer())
    organisation = issued.user.partner.name if issued.user.partner else ""
    db.session().commit()
    base = current_app.config["PUBLIC_BASE_URL"] or request.host_url.rstrip("/")
    return render_template(
        "invitation_issued.html",
        invitation=issued,
        url=base + issued.path(),
        message=invitations.message(issued, base, organisation, first=False),
    )


@bp.get("/organisation")
@login_required
def organisation() -> Any:
    if g.user.partner_id is None:
        return redirect(url_for("portal.partner_list"))
    partner = partners.get_partner(db.session(), g.user, g.user.partner_id)
    user_page = None
    if access.has(g.user, Right.MANAGE_OWN_USERS):
        user_page = users.list_partner_users(
            db.session(), g.user, partner.id, page=_int_arg("page"), per_page=50
        )
    return render_template(
        "organisation.html",
        partner=partner,
        user_page=user_page,
        roles=PARTNER_ROLE_CHOICES,
        can_edit=access.has(g.user, Right.EDIT_OWN_PARTNER_PROFILE),
    )


@bp.route("/tiers", methods=["GET", "POST"])
@login_required
def tier_list() -> Any:
    access.ensure_vendor(g.user)
    errors: dict[str, str] = {}
    error = None
    status = 200
    if request.method == "POST":
        form = request.form
        rank = form.get("rank", "")
        values = {
            "name": form.get("name", ""),
            "rank": rank if (number := _digits(rank, 5)) is None else number,
            "description": form.get("description", ""),
            "mdf_share_percent": form.get("mdf_share_percent", "").strip() or "0",
            "discount_percent": form.get("discount_percent", "").strip() or "0",
            "content_access": _list_field(form, "content_access"),
        }
        try:
            tier = tiers.create_tier(db.session(), g.user, values)
        except DomainError as exc:
            db.session().rollback()
            errors, error, status = exc.fields, exc.message, 422
        else:
            db.session().commit()
            flash(f"Tier {tier.name} added.", "success")
            return redirect(url_for("portal.tier_list"))
    return render_template(
        "tiers.html",
        tiers=tiers.list_tiers(db.session(), g.user),
        errors=errors,
        error=error,
        values=request.form,
        can_manage=access.has(g.user, Right.MANAGE_TIERS),
    ), status


@bp.get("/audit")
@login_required
def audit_log() -> Any:
    page = audit.list_events(db.session(), g.user, page=_int_arg("page"), per_page=50)
    return render_template("audit.html", page=page)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.template_filter("when")
    def when(value: dt.datetime | dt.date | None) -> str:
        if value is None:
            return "—"
        if isinstance(value, dt.datetime):
            return value.strftime("%Y-%m-%d %H:%M UTC")
        return value.isoformat()

    @app.template_filter("label_of")
    def label_of(value: Any, field: str) -> str:
        """A stored choice ("msp", "emea") by its label, for lists that hold values."""
        return partner_value(field, value)

    @app.template_global("partner_value")
    def partner_value(field: str, value: Any) -> str:
        """A partner's field value as the forms show it: a choice by its label, a list joined."""
        choices: dict[str, Any] = {
            "type": PartnerType,
            "region": Region,
            "business_model": BusinessModel,
            "status": PartnerStatus,
        }
        if value is None or value == "" or value == []:
            return "—"
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        enum = choices.get(field)
        if enum is not None and value in enum._value2member_map_:
            return str(enum(value).label)
        return str(value)

    @app.template_filter("day")
    def day(value: dt.datetime | dt.date | None) -> str:
        """A date as people write it ("3 Mar 2027"), for deadlines and expiry dates."""
        if value is None:
            return "—"
        return f"{value.day} {value.strftime('%b %Y')}"

    @app.template_filter("capfirst")
    def capfirst(value: Any) -> str:
        # Domain messages read well after a field name ("email: is required"); alone on a
        # form they start a sentence. Any internal name in them is said in words.
        return form_errors.capfirst(form_errors.human(value))

    @app.template_filter("tel_href")
    def tel_href(value: Any) -> str:
        """A tel: link of a typed phone number ("+49 (89) 1234-5" -> "tel:+498912345"), or ""."""
        text = str(value or "").strip()
        digits = "".join(c for c in text if c.isascii() and c.isdigit())
        if len(digits) < 3:
            return ""
        return "tel:" + ("+" if text.startswith("+") else "") + digits

    _BREAK_AFTER = re.compile(r"([@.])(?=.)")

    @app.template_filter("email_breaks")
    def email_breaks(value: Any) -> Markup:
        """An address that wraps after its "@" or a dot on a narrow screen, not mid-word."""
        # Escaped first: what escaping writes (&amp; &lt; &#34; ...) holds no "@" or ".", so
        # the only markup added is the <wbr>.
        return Markup(_BREAK_AFTER.sub("\\1<wbr>", str(escape(str(value or "")))))  # noqa: S704 - escaped above

    favicon_bytes = (Path(app.static_folder or "static") / "favicon.ico").read_bytes()

    @app.get("/favicon.ico")
    def favicon() -> Any:
        # Read once: browsers ask on every first page view, and a file handle per answer is waste.
        response = Response(favicon_bytes, mimetype="image/x-icon")
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response

    @app.context_processor
    def nav() -> dict[str, Any]:
        user = g.get("user")
        return {
            "vendor_name": app.config["VENDOR_NAME"],
            "is_vendor": bool(user and user.is_vendor),
            # False for a suspended partner's people: the notice is all they get, so no menu.
            "status_open": bool(user) and access.status_allows(user, access.Area.ORGANISATION),
            "opens": (lambda area: bool(user) and access.status_allows(user, access.Area(area))),
            "can": (lambda right: bool(user) and access.has(user, Right(right))),
            "main_menu": lambda: menu.marked(menu.menu_for(user), request.path),
            "visit_due": visits.visit_due,
        }
