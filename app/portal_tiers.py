"""Tier rules in the portal: the vendor's requirements per tier with the partners close to a
promotion or in grace, and a partner's "Your tier" page (progress toward the next tier and the
history). The rules themselves live in prm_domain.tier_rules."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from app import db
from app.auth import login_required
from app.portal import _digits
from prm_domain import DomainError, access, tier_rules
from prm_domain.access import Right
from prm_domain.enums import TierChangeKind, TrainingRole

bp = Blueprint("portal_tiers", __name__)

# The domain's messages name API shapes ("as a string"); the form says it in its own words.
FORM_MESSAGES = {
    "min_revenue": "Enter an amount such as 500000.00 (at most two decimal places).",
    "min_deals_won": "Enter a whole number of deals from 0 to 100000.",
    "grace_days": "Enter a number of days from 0 to 365.",
    **{
        f"min_certified.{r.value}": "Enter a whole number of people from 0 to 1000."
        for r in TrainingRole
    },
}


def _number(value: str) -> int | str:
    number = _digits(value.strip(), 6)
    return value if number is None else number


def _form_values(form: MultiDict[str, str]) -> dict[str, Any]:
    return {
        "min_revenue": form.get("min_revenue", "").strip().replace(",", "") or "0",
        "min_deals_won": _number(form.get("min_deals_won", "") or "0"),
        "min_certified": {
            r.value: _number(form.get(f"certified_{r.value}", "") or "0") for r in TrainingRole
        },
        "grace_days": _number(form.get("grace_days", "") or "30"),
    }


def _programme_page(errors: dict[int, dict[str, str]] | None = None, status: int = 200) -> Any:
    session = db.session()
    overview = tier_rules.programme_overview(session, g.user)
    return render_template(
        "tiers/programme.html",
        requirements=tier_rules.list_requirements(session, g.user),
        overview=overview,
        roles=list(TrainingRole),
        errors=errors or {},
        values=request.form if errors else {},
        can_manage=access.has(g.user, Right.MANAGE_TIERS),
    ), status


@bp.get("/tier-programme")
@login_required
def programme() -> Any:
    access.ensure_vendor(g.user)
    return _programme_page()


@bp.post("/tier-programme/<id:tier_id>")
@login_required
def requirements_save(tier_id: int) -> Any:
    access.ensure_vendor(g.user)
    session = db.session()
    try:
        req = tier_rules.set_requirements(session, g.user, tier_id, _form_values(request.form))
    except DomainError as exc:
        session.rollback()
        if not exc.fields:
            raise
        fields = {f: FORM_MESSAGES.get(f, "Check this value.") for f in exc.fields}
        return _programme_page({tier_id: fields}, 422)
    session.commit()
    flash(
        f"{req.tier.name} requirements saved: partners are evaluated tonight, or now with "
        "Evaluate now.",
        "success",
    )
    return redirect(url_for("portal_tiers.programme") + f"#tier-{tier_id}")


@bp.post("/tier-programme/evaluate")
@login_required
def evaluate() -> Any:
    access.ensure_vendor(g.user)
    session = db.session()
    run = tier_rules.evaluate_now(session, g.user)
    session.commit()
    flash(
        f"Evaluated {run.evaluated} partner{'' if run.evaluated == 1 else 's'}: "
        f"{run.promoted} promoted, {run.demoted} demoted, "
        f"{run.grace_started} entered a grace period, {run.grace_cancelled} left one.",
        "success",
    )
    return redirect(url_for("portal_tiers.programme"))


@bp.get("/partners/<id:partner_id>/tier")
@login_required
def progress(partner_id: int) -> Any:
    session = db.session()
    result = tier_rules.tier_progress(session, g.user, partner_id)
    history = tier_rules.tier_history(session, g.user, partner_id, per_page=50)
    return render_template(
        "tiers/progress.html",
        p=result,
        history=history,
        names=tier_rules.tier_names(session),
        kinds={k.value: k.label for k in TierChangeKind},
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
