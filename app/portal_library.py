"""Portal pages of the asset library: the library, asset pages, the zone editor, brand kits.

Same pattern as ``app.portal``: parse the request, call the domain, commit once, respond. The
page previews, renders, thumbnails and job progress come from the JSON API (GETs, which the
session cookie authenticates); every change goes through a route here, with the CSRF token.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

import asset_engine
from app import db
from app.api.library import base_url
from app.auth import login_required
from app.errors import status_of
from app.portal import _digits, _int_arg, _list_field, seen_since
from app.storage import storage
from app.tasks import enqueue_render_job
from prm_domain import (
    DomainError,
    NotFound,
    access,
    asset_checks,
    assets,
    audience,
    brandkits,
    jobs,
    rendering,
    tiers,
    visits,
)
from prm_domain.access import Right
from prm_domain.base import utcnow
from prm_domain.enums import AssetKind, AssetStatus, PartnerStatus, PartnerType, Region
from prm_domain.models import Asset, BrandKit, Partner, RenderJob

bp = Blueprint("portal_library", __name__)

PER_PAGE = 24
FORMAT_LABELS = {
    "pdf": "PDF",
    "png": "PNG image",
    "jpeg": "JPEG image",
    "html": "Email HTML",
    "eml": "Email draft (.eml)",
    "txt": "Plain text",
}
ZONE_KINDS = {AssetKind.PDF, AssetKind.SOCIAL}
ACCEPT = {
    AssetKind.PDF: "application/pdf,.pdf",
    AssetKind.SOCIAL: "image/png,image/jpeg,.png,.jpg,.jpeg",
    AssetKind.EMAIL: ".mjml,.html,.txt,text/plain,text/html",
}
LOGO_ACCEPT = "image/png,image/jpeg,image/webp,image/gif"


def _manager() -> bool:
    return access.has(g.user, Right.MANAGE_ASSETS)


def _require_manager() -> None:
    # Pages a partner may not know of answer 404, like the domain's reads.
    access.ensure_vendor(g.user, Right.MANAGE_ASSETS, "Only marketing managers manage the library.")


def _formats(kind: AssetKind) -> list[tuple[str, str]]:
    return [(f, FORMAT_LABELS[f]) for f in rendering.FORMATS[kind] if f != "preview"]


def _int_list(form: MultiDict[str, str], name: str) -> list[Any]:
    # Ids as ints; anything else passes through so the domain names the bad field.
    return [n if (n := _digits(v, 9)) is not None else v for v in form.getlist(name) if v]


def _asset_values(form: MultiDict[str, str]) -> dict[str, Any]:
    return {
        "name": form.get("name", "").strip(),
        "description": form.get("description", "").strip(),
        "category": form.get("category", "").strip(),
        "tags": _list_field(form, "tags"),
        "audience_tier_ids": _int_list(form, "audience_tier_ids"),
        "audience_regions": form.getlist("audience_regions"),
        "audience_partner_types": form.getlist("audience_partner_types"),
        "audience_verticals": _list_field(form, "audience_verticals"),
        "landing_url": form.get("landing_url", "").strip(),
    }


def _choices(**extra: Any) -> dict[str, Any]:
    """The checkbox and select options of the asset, audience and segment forms."""
    return {
        "options": {
            "tiers": [(t.id, t.name) for t in tiers.list_tiers(db.session(), g.user)],
            "regions": [(r.value, r.label) for r in Region],
            "partner_types": [(t.value, t.label) for t in PartnerType],
            "statuses": [(s.value, s.label) for s in PartnerStatus],
        },
        "kinds": AssetKind,
        "accept": ACCEPT,
        **extra,
    }


def _sample_partners() -> list[Partner]:
    """Partners whose brand a preview can show: those with a logo (vendors see every partner)."""
    stmt = (
        select(Partner)
        .join(BrandKit, BrandKit.partner_id == Partner.id)
        .where(BrandKit.logo_key.is_not(None), access.partner_scope(g.user, Partner.id))
        .order_by(Partner.name)
        .limit(200)
    )
    return list(db.session().scalars(stmt))


def _sample_groups(
    asset: Asset, samples: list[Partner]
) -> list[tuple[str, list[tuple[Partner, str | None]]]]:
    """The sample partners, those the asset reaches first, the others with the reason."""
    inside: list[tuple[Partner, str | None]] = []
    outside: list[tuple[Partner, str | None]] = []
    for p in samples:
        reason = audience.why_not(db.session(), asset, p)
        (outside if reason else inside).append((p, reason))
    groups = [("In the audience", inside), ("Outside the audience (preview only)", outside)]
    return [(label, items) for label, items in groups if items]


def _pick_sample(samples: list[Partner], asset: Asset | None = None) -> Partner | None:
    wanted = _digits(request.args.get("partner_id", ""), 9)
    chosen = next((p for p in samples if p.id == wanted), None)
    if chosen is None and asset is not None:
        # Show the asset as one of the partners who will get it, when there is one.
        chosen = next((p for p in samples if audience.matches(asset, p)), None)
    return chosen or (samples[0] if samples else None)


def _brand_note(version: Any) -> tuple[str, str]:
    """What an email version's brand fields tell the vendor, and how loud (flash category)."""
    fields = asset_checks.brand_fields_of(storage(), version)
    if not fields:
        return (
            "It uses no brand fields, so partners get it without their name or contact "
            "details. Add the standard partner footer, or placeholders such as "
            "{{ partner_name }}.",
            "warning",
        )
    noun = "brand field" if len(fields) == 1 else "brand fields"
    return f"It uses {len(fields)} {noun}: {', '.join(fields)}.", "success"


# -- the library ------------------------------------------------------------------------------


@bp.get("/library")
@login_required
def library() -> Any:
    args = request.args
    kind, status = args.get("kind", ""), args.get("status", "")
    filters: dict[str, Any] = {
        "q": args.get("q", "").strip()[:200] or None,
        "kind": AssetKind(kind) if kind in AssetKind._value2member_map_ else None,
        "category": args.get("category", "").strip()[:80] or None,
        # Partners' libraries hold published assets only, whatever this says (the domain's rule).
        "status": AssetStatus(status) if status in AssetStatus._value2member_map_ else None,
    }
    page = assets.list_assets(
        db.session(),
        g.user,
        **filters,
        page=_int_arg("page"),
        per_page=PER_PAGE,
        with_published_version=True,  # each card shows its version (vendor: all are joined)
    )
    has_logo = True
    if g.user.partner_id is not None:
        has_logo = brandkits.has_logo(db.session(), g.user.partner_id)
    return render_template(
        "library/list.html",
        page=page,
        filters=filters,
        filtered=any(filters.values()),
        categories=assets.categories(db.session(), g.user),
        kinds=AssetKind,
        asset_statuses=AssetStatus,
        can_manage=_manager(),
        has_logo=has_logo,
        new_ids=_new_ids(page.items),
        audience_labels=dict(
            zip(
                (a.id for a in page.items),
                audience.describe_each(db.session(), page.items),
                strict=True,
            )
        ),
    )


def _new_ids(shown: list[Asset]) -> set[int]:
    """The partner's cards marked "New": published since their previous visit (app.portal)."""
    if g.user.is_vendor:
        return set()
    since, now = seen_since(), utcnow()
    return {a.id for a in shown if visits.is_new(a, since, now)}


@bp.route("/library/new", methods=["GET", "POST"])
@login_required
def asset_new() -> Any:
    _require_manager()
    if request.method == "GET":
        return render_template(
            "library/new.html",
            **_choices(
                values=MultiDict(),
                errors={},
                categories=_categories(),
                footer=asset_engine.PARTNER_FOOTER_MJML,
            ),
        )
    form = request.form
    upload = request.files.get("file")
    session = db.session()
    try:
        asset = assets.create_asset(session, g.user, form.get("kind", ""), _asset_values(form))
        version = assets.add_version(
            session,
            g.user,
            storage(),
            asset.id,
            (upload.filename if upload else "") or "template",
            upload.read() if upload else b"",
        )
    except DomainError as exc:
        session.rollback()
        return render_template(
            "library/new.html",
            **_choices(
                values=form,
                errors=exc.fields,
                error=exc.message,
                categories=_categories(),
                footer=asset_engine.PARTNER_FOOTER_MJML,
            ),
        ), 422
    session.commit()
    if version.removed_content:
        flash(assets.removed_notice(version.removed_content), "warning")
    if asset.kind in ZONE_KINDS:
        flash(
            f"{asset.name} is saved as a draft. Now place the partner's logo and details.",
            "success",
        )
        return redirect(
            url_for(
                "portal_library.zone_editor",
                asset_id=asset.id,
                version_id=asset.latest_version.id,  # type: ignore[union-attr]
            )
        )
    note, category = _brand_note(asset.latest_version)
    flash(f"{asset.name} is saved as a draft. {note}", category)
    return redirect(url_for("portal_library.asset_detail", asset_id=asset.id))


def _categories() -> list[str]:
    return assets.categories(db.session(), g.user)


# -- one asset --------------------------------------------------------------------------------


def _vendor_asset_page(asset: Asset, status: int = 200, **extra: Any) -> Any:
    samples = _sample_partners()
    version = asset.published_version or asset.latest_version
    brand_fields = None
    has_footer = False
    if _manager() and asset.latest_version is not None:
        # A manager previews the newest version, the one about to be published, so the
        # preview and the brand-field report describe the same version.
        version = asset.latest_version
        if asset.kind == AssetKind.EMAIL:
            brand_fields = asset_checks.brand_fields_of(storage(), version)
            has_footer = asset_checks.has_partner_footer(storage(), version)
    sample = _pick_sample(samples, asset)
    recent_jobs: list[RenderJob] = []
    if _manager():
        recent_jobs = list(
            db.session().scalars(
                select(RenderJob)
                .where(RenderJob.asset_id == asset.id)
                .order_by(RenderJob.id.desc())
                .limit(5)
            )
        )
    context = _choices(
        asset=asset,
        version=version,
        counts=rendering.download_counts(db.session(), g.user, asset.id),
        samples=samples,
        sample_groups=_sample_groups(asset, samples),
        sample=sample,
        sample_reason=audience.why_not(db.session(), asset, sample) if sample else None,
        reach=asset_checks.reach_of(db.session(), asset),
        brand_fields=brand_fields,
        has_footer=has_footer,
        footer=asset_engine.PARTNER_FOOTER_MJML,
        audience_label=audience.describe(db.session(), asset),
        formats=_formats(asset.kind),
        can_manage=_manager(),
        zone_kinds=ZONE_KINDS,
        recent_jobs=recent_jobs,
        categories=_categories(),
        values=None,
        errors={},
        batch_errors={},
        batch_values=MultiDict(),
    )
    context.update(extra)
    return render_template("library/vendor_asset.html", **context), status


@bp.get("/library/<id:asset_id>")
@login_required
def asset_detail(asset_id: int) -> Any:
    session = db.session()
    asset = assets.get_asset(session, g.user, asset_id)
    if g.user.is_vendor:
        return _vendor_asset_page(asset)
    kit = brandkits.get_brand_kit(session, g.user, g.user.partner_id)
    link_url = None
    if asset.landing_url:
        link = rendering.tracked_link(session, g.user, asset.id, None)
        link_url = rendering.link_url(base_url(), link)
        session.commit()
    return render_template(
        "library/partner_asset.html",
        asset=asset,
        has_logo=bool(kit.logo_key),
        brand_version=kit.version,
        formats=_formats(asset.kind),
        link_url=link_url,
        counts=rendering.download_counts(session, g.user, asset.id),
    )


@bp.post("/library/<id:asset_id>")
@login_required
def asset_update(asset_id: int) -> Any:
    _require_manager()
    session = db.session()
    try:
        assets.update_asset(session, g.user, asset_id, _asset_values(request.form))
    except DomainError as exc:
        session.rollback()
        if isinstance(exc, NotFound):
            raise
        asset = assets.get_asset(session, g.user, asset_id)
        return _vendor_asset_page(
            asset, 422, values=request.form, errors=exc.fields, error=exc.message
        )
    session.commit()
    flash("Details and audience saved.", "success")
    return redirect(url_for("portal_library.asset_detail", asset_id=asset_id))


@bp.post("/library/<id:asset_id>/versions")
@login_required
def version_upload(asset_id: int) -> Any:
    _require_manager()
    upload = request.files.get("file")
    session = db.session()
    try:
        version = assets.add_version(
            session,
            g.user,
            storage(),
            asset_id,
            (upload.filename if upload else "") or "template",
            upload.read() if upload else b"",
        )
    except DomainError as exc:
        session.rollback()
        if isinstance(exc, NotFound):
            raise
        asset = assets.get_asset(session, g.user, asset_id)
        return _vendor_asset_page(asset, 422, upload_error=exc.message)
    session.commit()
    message = (
        f"Version {version.number} uploaded. Partners keep the published version until you "
        "publish this one."
    )
    category = "success"
    if version.asset.kind == AssetKind.EMAIL:
        note, category = _brand_note(version)
        message = f"{message} {note}"
    flash(message, category)
    if version.removed_content:
        flash(assets.removed_notice(version.removed_content), "warning")
    return redirect(url_for("portal_library.asset_detail", asset_id=asset_id))


@bp.post("/library/<id:asset_id>/publish")
@login_required
def asset_publish(asset_id: int) -> Any:
    _require_manager()
    version_id = _digits(request.form.get("version_id", ""), 9)
    session = db.session()
    asset = assets.publish(session, g.user, asset_id, version_id)
    session.commit()
    number = asset.published_version.number if asset.published_version else "?"
    reach = asset_checks.reach_of(session, asset)
    message = f"Version {number} of {asset.name} is published to {reach.sentence()}."
    category = "success" if reach.partners else "warning"
    if reach.partners == 0:
        message += " No active partner is in its audience yet."
    if asset.kind == AssetKind.EMAIL and asset.published_version is not None:
        note, note_category = _brand_note(asset.published_version)
        message = f"{message} {note}"
        category = "warning" if note_category == "warning" else category
    flash(message, category)
    return redirect(url_for("portal_library.asset_detail", asset_id=asset_id))


@bp.post("/library/<id:asset_id>/unpublish")
@login_required
def asset_unpublish(asset_id: int) -> Any:
    _require_manager()
    session = db.session()
    asset = assets.unpublish(session, g.user, asset_id)
    session.commit()
    flash(f"{asset.name} is no longer in partners' library.", "success")
    return redirect(url_for("portal_library.asset_detail", asset_id=asset_id))


@bp.post("/library/<id:asset_id>/partner-footer")
@login_required
def partner_footer(asset_id: int) -> Any:
    """One click: a new email version with the standard partner footer appended."""
    _require_manager()
    session = db.session()
    try:
        version = asset_checks.add_partner_footer(session, g.user, storage(), asset_id)
    except DomainError as exc:
        session.rollback()
        if isinstance(exc, NotFound):
            raise
        asset = assets.get_asset(session, g.user, asset_id)
        return _vendor_asset_page(asset, 422, upload_error=exc.message)
    session.commit()
    flash(
        f"Version {version.number} adds the partner footer (name, contact details, address). "
        "Check the preview, then publish it.",
        "success",
    )
    return redirect(url_for("portal_library.asset_detail", asset_id=asset_id))


# -- batch renders ----------------------------------------------------------------------------


@bp.post("/library/<id:asset_id>/batches")
@login_required
def batch_start(asset_id: int) -> Any:
    _require_manager()
    form = request.form
    segment = {
        "tier_ids": _int_list(form, "tier_ids"),
        "regions": form.getlist("regions"),
        "partner_types": form.getlist("partner_types"),
        "statuses": form.getlist("statuses"),
    }
    session = db.session()
    try:
        job = jobs.start_job(session, g.user, asset_id, segment, form.get("format", ""))
    except DomainError as exc:
        session.rollback()
        if isinstance(exc, NotFound):
            raise
        asset = assets.get_asset(session, g.user, asset_id)
        return _vendor_asset_page(
            asset, 422, batch_errors=exc.fields, batch_error=exc.message, batch_values=form
        )
    session.commit()
    enqueue_render_job(job.id, base_url())
    return redirect(url_for("portal_library.job_detail", asset_id=asset_id, job_id=job.id))


@bp.get("/library/<id:asset_id>/jobs/<id:job_id>")
@login_required
def job_detail(asset_id: int, job_id: int) -> Any:
    session = db.session()
    job = jobs.get_job(session, g.user, job_id)
    asset = assets.get_asset(session, g.user, asset_id)
    if job.asset_id != asset.id:
        raise NotFound("Job not found.")
    return render_template("library/job.html", asset=asset, job=job)


# -- zones ------------------------------------------------------------------------------------


@bp.get("/library/<id:asset_id>/versions/<id:version_id>/zones")
@login_required
def zone_editor(asset_id: int, version_id: int) -> Any:
    _require_manager()
    version = assets.get_version(db.session(), g.user, asset_id, version_id)
    asset = version.asset
    samples = _sample_partners()
    live = access.is_published_version(asset, version)
    return render_template(
        "library/zones.html",
        asset=asset,
        version=version,
        zones=version.zones,
        samples=samples,
        sample_groups=_sample_groups(asset, samples),
        sample=_pick_sample(samples, asset),
        editable=asset.kind in ZONE_KINDS,
        live=live,
        reach=asset_checks.reach_of(db.session(), asset) if live else None,
        audience_label=audience.describe(db.session(), asset),
    )


def _json_object() -> dict[str, Any]:
    """The zone editor's JSON body, or {} for anything else (the domain then names the missing
    field). JSON nested past the parser's recursion limit is no body either, not a 500."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        return {}
    return body if isinstance(body, dict) else {}


@bp.post("/library/<id:asset_id>/versions/<id:version_id>/zones")
@login_required
def zones_save(asset_id: int, version_id: int) -> Any:
    """The zone editor's save: JSON ``{"zones": [...]}``, CSRF token in X-CSRF-Token."""
    raw = _json_object().get("zones")
    session = db.session()
    try:
        access.ensure_vendor(g.user)
        version = assets.set_zones(session, g.user, asset_id, version_id, raw)
    except DomainError as exc:
        session.rollback()
        return jsonify({"error": {"message": exc.message, "fields": exc.fields}}), status_of(exc)
    session.commit()
    asset = version.asset
    live = access.is_published_version(asset, version)
    reach = asset_checks.reach_of(session, asset) if live else None
    return jsonify(
        {
            "version_id": version.id,
            "zones": version.zones,
            "live": live,
            "reach": reach.partners if reach else 0,
            "audience": reach.audience if reach else None,
        }
    )


@bp.post("/library/<id:asset_id>/versions/<id:version_id>/zones/fit")
@login_required
def zones_fit(asset_id: int, version_id: int) -> Any:
    """The zone editor asks how its (unsaved) text zones will print: sizes, lines, warnings.
    A POST because it carries the zones; it changes nothing."""
    body = _json_object()
    raw = body.get("zones")
    partner_id = body.get("partner_id")
    if partner_id is not None and (not isinstance(partner_id, int) or isinstance(partner_id, bool)):
        partner_id = _digits(str(partner_id), 9)
    try:
        access.ensure_vendor(g.user)
        fits = asset_checks.check_zone_text(
            db.session(), g.user, asset_id, version_id, raw, partner_id
        )
    except DomainError as exc:
        db.session().rollback()
        return jsonify({"error": {"message": exc.message, "fields": exc.fields}}), status_of(exc)
    return jsonify({"zones": fits})


@bp.post("/library/<id:asset_id>/versions/<id:version_id>/zones/preview")
@login_required
def zones_preview(asset_id: int, version_id: int) -> Any:
    """The zone editor's live preview: a page with the unsaved zones, as PNG. Changes nothing."""
    body = _json_object()
    try:
        access.ensure_vendor(g.user)
        png = asset_checks.preview_zones(
            db.session(),
            g.user,
            storage(),
            asset_id,
            version_id,
            body.get("zones"),
            body.get("partner_id"),
            body.get("page", 1),
            base_url(),
        )
    except DomainError as exc:
        db.session().rollback()
        return jsonify({"error": {"message": exc.message, "fields": exc.fields}}), status_of(exc)
    response = Response(png, content_type="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


# -- brand kits -------------------------------------------------------------------------------


def _brand_page(partner_id: int, status: int = 200, **extra: Any) -> Any:
    session = db.session()
    kit = brandkits.get_brand_kit(session, g.user, partner_id)
    context: dict[str, Any] = {
        "kit": kit,
        "partner": session.get(Partner, partner_id),
        "can_edit": access.can_edit_brand(g.user, partner_id),
        "contact_fields": brandkits.CONTACT_FIELDS,
        "values": {},
        "errors": {},
        "logo_errors": {},
        "logo_accept": LOGO_ACCEPT,
        "own": g.user.partner_id == partner_id,
    }
    context.update(extra)
    return render_template("library/brand_kit.html", **context), status


@bp.get("/partners/<id:partner_id>/brand-kit")
@login_required
def brand_kit(partner_id: int) -> Any:
    return _brand_page(partner_id)


@bp.post("/partners/<id:partner_id>/brand-kit")
@login_required
def brand_kit_update(partner_id: int) -> Any:
    # One form, one save: the logos chosen on the page go with the details (issue 13).
    form = request.form
    values = {f: form.get(f, "") for f in brandkits.CONTACT_FIELDS}
    values["primary_color"] = form.get("primary_color", "")
    logos = {
        v: data
        for v in brandkits.LOGO_VARIANTS
        if (upload := request.files.get(f"logo_{v}")) and (data := upload.read())
    }
    session = db.session()
    try:
        brandkits.save_brand_kit(
            session,
            g.user,
            storage(),
            partner_id,
            values,
            logos=logos,
            remove=form.getlist("remove_logo"),
        )
    except DomainError as exc:
        session.rollback()
        if not exc.fields:
            raise
        logo_errors = {v: exc.fields[f"logo_{v}"] for v in logos if f"logo_{v}" in exc.fields}
        return _brand_page(
            partner_id,
            422,
            values=form,
            errors=exc.fields,
            error=exc.message,
            logo_errors=logo_errors,
        )
    session.commit()
    removed = [v for v in form.getlist("remove_logo") if v in brandkits.LOGO_VARIANTS]
    saved = ["details"] + [f"new logo for {v} backgrounds" for v in sorted(logos)]
    saved += [f"logo for {v} backgrounds removed" for v in removed if v not in logos]
    flash(f"Brand kit saved: {', '.join(saved)}. New downloads carry it.", "success")
    return redirect(url_for("portal_library.brand_kit", partner_id=partner_id))


@bp.post("/partners/<id:partner_id>/brand-kit/logos/<any(light, dark):variant>")
@login_required
def brand_logo_upload(partner_id: int, variant: str) -> Any:
    upload = request.files.get("logo")
    session = db.session()
    try:
        if request.form.get("remove") == "1":
            brandkits.remove_logo(session, g.user, partner_id, variant)
        else:
            brandkits.set_logo(
                session, g.user, storage(), partner_id, variant, upload.read() if upload else b""
            )
    except DomainError as exc:
        session.rollback()
        if not exc.fields:
            raise
        return _brand_page(partner_id, 422, logo_errors={variant: exc.message})
    session.commit()
    which = "dark backgrounds" if variant == "dark" else "light backgrounds"
    removed = request.form.get("remove") == "1"
    flash(f"Logo for {which} {'removed' if removed else 'saved'}.", "success")
    return redirect(url_for("portal_library.brand_kit", partner_id=partner_id))


@bp.app_template_global("library_bust")
def library_bust(*parts: Any) -> str:
    """A short cache-buster for preview URLs: renders change with zones and brands."""
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:10]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
