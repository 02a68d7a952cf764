"""Asset library operations: brand kits, assets and versions, zones, renders, links, batch jobs."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, request, url_for

from app import db
from app.api import bp
from app.api.framework import operation
from app.api.library_schemas import (
    AssetIn,
    AssetOut,
    AssetPatch,
    AssetQuery,
    BatchIn,
    BrandKitOut,
    BrandKitPatch,
    DownloadCountOut,
    DownloadCountsOut,
    JobOut,
    LinkOut,
    LinkQuery,
    PageImageQuery,
    PublishedOut,
    PublishIn,
    RenderQuery,
    UploadedVersionOut,
    VendorAssetOut,
    VersionOut,
    ZonesIn,
)
from app.api.schemas import PageOut, loaded, loaded_fields, page_out
from app.auth import client_address
from app.errors import ApiError
from app.ratelimit import limiter
from app.storage import send_stored, storage
from app.tasks import enqueue_render_job
from prm_domain import asset_checks, assets, brandkits, jobs, rendering
from prm_domain.enums import AssetKind
from prm_domain.models import Asset, BrandKit, RenderJob

IMAGE = ("image/png",)


def base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"] or request.host_url.rstrip("/")


def _kit_out(kit: BrandKit) -> BrandKitOut:
    return BrandKitOut(
        partner_id=kit.partner_id,
        primary_color=kit.primary_color,
        version=kit.version or 0,
        has_logo=bool(kit.logo_key),
        has_logo_on_dark=bool(kit.logo_on_dark_key),
        **{f: getattr(kit, f) or "" for f in brandkits.CONTACT_FIELDS},
    )


def _cross_site_cookie_request() -> bool:
    """A link on another website, followed with the portal's session cookie.

    It still gets the file, but does not count as a download: otherwise any page could inflate
    a partner's numbers by linking to ``render?download=true``.
    """
    return g.get("token") is None and request.headers.get("Sec-Fetch-Site") == "cross-site"


def _asset_out(asset: Asset) -> AssetOut:
    formats = [f for f in rendering.FORMATS[asset.kind] if f != "preview"]
    if g.user.is_vendor:
        return VendorAssetOut.model_validate(
            {
                **loaded_fields(asset, VendorAssetOut),
                "formats": formats,
                "versions": [
                    VersionOut.model_validate(loaded(v, VersionOut)) for v in asset.versions
                ],
            }
        )
    return AssetOut.model_validate({**loaded_fields(asset, AssetOut), "formats": formats})


def _job_out(job: RenderJob) -> JobOut:
    return JobOut(
        id=job.id,
        asset_id=job.asset_id,
        status=job.status,
        format=job.format,
        done=job.done,
        total=job.total,
        failures=job.failures,
        created_at=job.created_at,
        finished_at=job.finished_at,
        download_url=url_for("api.download_job", job_id=job.id) if job.result_key else None,
    )


def _file(
    data: bytes, content_type: str, filename: str | None = None, *, private: bool = True
) -> Response:
    response = Response(data, content_type=content_type)
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Renders carry a partner's details: caches between user and server must not keep them.
    response.headers["Cache-Control"] = "private, max-age=300" if private else "public, max-age=300"
    if content_type.startswith("text/html"):
        # A rendered email, shown in the portal's preview frame: no scripts, no forms, no
        # same-origin rights (sandbox), its own inline styles, any images; framed by us only.
        response.headers["Content-Security-Policy"] = (
            "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src * data:; "
            "font-src *; frame-ancestors 'self'"
        )
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


# -- brand kits -------------------------------------------------------------------------------


@operation(
    bp,
    "/partners/<id:partner_id>/brand-kit",
    "GET",
    summary="A partner's brand kit",
    tag="brand kits",
    response=BrandKitOut,
)
def get_brand_kit(partner_id: int) -> BrandKitOut:
    return _kit_out(brandkits.get_brand_kit(db.session(), g.user, partner_id))


@operation(
    bp,
    "/partners/<id:partner_id>/brand-kit",
    "PATCH",
    summary="Change colour and contact details",
    tag="brand kits",
    body=BrandKitPatch,
    response=BrandKitOut,
    errors=(403,),
)
def update_brand_kit(partner_id: int, body: BrandKitPatch) -> BrandKitOut:
    values = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    kit = brandkits.update_brand_kit(db.session(), g.user, partner_id, values)
    db.session().commit()
    return _kit_out(kit)


@operation(
    bp,
    "/partners/<id:partner_id>/brand-kit/logos/<any(light, dark):variant>",
    "PUT",
    summary="Upload a logo (PNG, JPEG, WebP or GIF) for light or dark backgrounds",
    tag="brand kits",
    upload=True,
    response=BrandKitOut,
    errors=(403,),
)
def put_logo(partner_id: int, variant: str, data: bytes) -> BrandKitOut:
    kit = brandkits.set_logo(db.session(), g.user, storage(), partner_id, variant, data)
    db.session().commit()
    return _kit_out(kit)


@operation(
    bp,
    "/partners/<id:partner_id>/brand-kit/logos/<any(light, dark):variant>",
    "DELETE",
    summary="Remove a logo",
    tag="brand kits",
    response=BrandKitOut,
    errors=(403,),
)
def delete_logo(partner_id: int, variant: str) -> BrandKitOut:
    kit = brandkits.remove_logo(db.session(), g.user, partner_id, variant)
    db.session().commit()
    return _kit_out(kit)


@operation(
    bp,
    "/partners/<id:partner_id>/brand-kit/logos/<any(light, dark):variant>",
    "GET",
    summary="A logo as stored (re-encoded PNG)",
    tag="brand kits",
    produces=IMAGE,
)
def get_logo(partner_id: int, variant: str) -> Response:
    kit = brandkits.get_brand_kit(db.session(), g.user, partner_id)
    key = kit.logo_key if variant == "light" else kit.logo_on_dark_key
    if not key:
        raise ApiError(404, "not_found", "No logo uploaded yet.")
    return _file(storage().get(key), "image/png")


# -- assets -----------------------------------------------------------------------------------


@operation(
    bp,
    "/assets",
    "GET",
    summary="The library: all assets (vendor) or your audience's (partner)",
    tag="assets",
    query=AssetQuery,
    response=PageOut[AssetOut],
)
def list_assets(query: AssetQuery) -> PageOut[AssetOut]:
    page = assets.list_assets(db.session(), g.user, **query.model_dump())
    return page_out(page, _asset_out)


@operation(
    bp,
    "/assets",
    "POST",
    summary="Add an asset (a draft until its template is uploaded and published)",
    tag="assets",
    body=AssetIn,
    response=VendorAssetOut,
    status=201,
    errors=(403,),
)
def create_asset(body: AssetIn) -> AssetOut:
    values = body.model_dump(mode="json", exclude={"kind"})
    asset = assets.create_asset(db.session(), g.user, body.kind, values)
    db.session().commit()
    return _asset_out(asset)


@operation(
    bp, "/assets/<id:asset_id>", "GET", summary="One asset", tag="assets", response=VendorAssetOut
)
def get_asset(asset_id: int) -> AssetOut:
    return _asset_out(assets.get_asset(db.session(), g.user, asset_id))


@operation(
    bp,
    "/assets/<id:asset_id>",
    "PATCH",
    summary="Change an asset's details and audience",
    tag="assets",
    body=AssetPatch,
    response=VendorAssetOut,
    errors=(403,),
)
def update_asset(asset_id: int, body: AssetPatch) -> AssetOut:
    values = body.model_dump(mode="json", exclude_unset=True)
    nulls = {k: "may not be null" for k, v in values.items() if v is None and k != "landing_url"}
    if nulls:
        raise ApiError(422, "invalid_fields", "Invalid value for: " + ", ".join(nulls) + ".", nulls)
    asset = assets.update_asset(db.session(), g.user, asset_id, values)
    db.session().commit()
    return _asset_out(asset)


@operation(
    bp,
    "/assets/<id:asset_id>/versions",
    "POST",
    summary="Upload a new template version (PDF, MJML, or a PNG/JPEG social background)",
    tag="assets",
    upload=True,
    response=UploadedVersionOut,
    status=201,
    errors=(403,),
)
def upload_version(asset_id: int, data: bytes) -> VersionOut:
    filename = request.args.get("filename") or (
        request.files["file"].filename if "file" in request.files else ""
    )
    version = assets.add_version(
        db.session(), g.user, storage(), asset_id, filename or "template", data
    )
    db.session().commit()
    out = UploadedVersionOut.model_validate(version)
    if version.asset.kind == AssetKind.EMAIL:
        out.brand_fields = asset_checks.brand_fields_of(storage(), version)
    return out


@operation(
    bp,
    "/assets/<id:asset_id>/versions/<id:version_id>/zones",
    "PUT",
    summary="Set where partner branding goes on a version",
    tag="assets",
    body=ZonesIn,
    response=VersionOut,
    errors=(403,),
)
def put_zones(asset_id: int, version_id: int, body: ZonesIn) -> VersionOut:
    raw = [z.model_dump(exclude_unset=True) for z in body.zones]
    version = assets.set_zones(db.session(), g.user, asset_id, version_id, raw)
    db.session().commit()
    return VersionOut.model_validate(version)


@operation(
    bp,
    "/assets/<id:asset_id>/versions/<id:version_id>/pages/<id:page>",
    "GET",
    summary="A page of the template as PNG, for the zone editor",
    tag="assets",
    query=PageImageQuery,
    produces=IMAGE,
)
def version_page(asset_id: int, version_id: int, page: int, query: PageImageQuery) -> Response:
    png = assets.template_page(
        db.session(), g.user, storage(), asset_id, version_id, page, query.width
    )
    return _file(png, "image/png")


@operation(
    bp,
    "/assets/<id:asset_id>/publish",
    "POST",
    summary="Publish a version to the audience",
    tag="assets",
    body=PublishIn,
    response=PublishedOut,
    errors=(403,),
)
def publish_asset(asset_id: int, body: PublishIn) -> AssetOut:
    asset = assets.publish(db.session(), g.user, asset_id, body.version_id)
    db.session().commit()
    reach = asset_checks.reach_of(db.session(), asset)
    out = _asset_out(asset)
    published = asset.published_version
    fields = None
    if asset.kind == AssetKind.EMAIL and published is not None:
        fields = asset_checks.brand_fields_of(storage(), published)
    return PublishedOut.model_validate(
        {
            **out.model_dump(),
            "reach": reach.partners,
            "audience": reach.audience,
            "brand_fields": fields,
        }
    )


@operation(
    bp,
    "/assets/<id:asset_id>/unpublish",
    "POST",
    summary="Take an asset out of the library",
    tag="assets",
    response=VendorAssetOut,
    errors=(403,),
)
def unpublish_asset(asset_id: int) -> AssetOut:
    asset = assets.unpublish(db.session(), g.user, asset_id)
    db.session().commit()
    return _asset_out(asset)


@operation(
    bp,
    "/assets/<id:asset_id>/thumbnail",
    "GET",
    summary="A small picture of the asset",
    tag="assets",
    produces=IMAGE,
)
def asset_thumbnail(asset_id: int) -> Response:
    version = assets.shown_version(db.session(), g.user, asset_id)
    if version is None or not version.thumbnail_key:
        raise ApiError(404, "not_found", "No thumbnail for this asset.")
    return _file(storage().get(version.thumbnail_key), "image/png")


@operation(
    bp,
    "/assets/<id:asset_id>/render",
    "GET",
    summary="The asset co-branded for a partner (cached); download=true counts a download",
    tag="assets",
    query=RenderQuery,
    produces=(
        "application/pdf",
        "image/png",
        "image/jpeg",
        "text/html",
        "message/rfc822",
        "text/plain",
    ),
)
def render_asset(asset_id: int, query: RenderQuery) -> Response:
    counted = query.download and not _cross_site_cookie_request()
    if counted:
        limiter().consume(
            current_app.config["DOWNLOAD_LIMIT_PER_ADDRESS"], "download-addr", client_address()
        )

    def first_in_window() -> bool:
        # The same person downloading the same file again soon (a retry, a second click, the
        # same file in another format) is one download: downloads per partner should count
        # interest, not clicks. So the format is not part of the key.
        return limiter().first(
            current_app.config["DOWNLOAD_REPEAT_WINDOW"],
            "download",
            str(g.user.id),
            str(asset_id),
            str(query.partner_id or g.user.partner_id),
        )

    result = rendering.render_for(
        db.session(),
        g.user,
        storage(),
        asset_id,
        query.partner_id,
        query.format,
        base_url(),
        version_id=query.version_id,
        count=first_in_window if counted else False,
    )
    db.session().commit()
    return _file(result.data, result.content_type, result.filename if query.download else None)


@operation(
    bp,
    "/assets/<id:asset_id>/link",
    "GET",
    summary="A partner's tracked link for the asset",
    tag="assets",
    query=LinkQuery,
    response=LinkOut,
)
def asset_link(asset_id: int, query: LinkQuery) -> LinkOut:
    link = rendering.tracked_link(db.session(), g.user, asset_id, query.partner_id)
    db.session().commit()
    asset = assets.get_asset(db.session(), g.user, asset_id)
    return LinkOut(
        code=link.code,
        url=rendering.link_url(base_url(), link),
        clicks=link.clicks,
        target=asset.landing_url,
    )


@operation(
    bp,
    "/assets/<id:asset_id>/downloads",
    "GET",
    summary="Downloads per partner",
    tag="assets",
    response=DownloadCountsOut,
)
def asset_downloads(asset_id: int) -> DownloadCountsOut:
    rows = rendering.download_counts(db.session(), g.user, asset_id)
    items = [DownloadCountOut(partner_id=p, partner_name=n, downloads=c) for p, n, c in rows]
    return DownloadCountsOut(items=items, total=len(items))


@operation(
    bp,
    "/assets/<id:asset_id>/batches",
    "POST",
    summary="Render the asset for every partner of a segment (a background job)",
    tag="jobs",
    body=BatchIn,
    response=JobOut,
    status=202,
    errors=(403,),
)
def start_batch(asset_id: int, body: BatchIn) -> JobOut:
    job = jobs.start_job(
        db.session(), g.user, asset_id, body.segment.model_dump(mode="json"), body.format
    )
    db.session().commit()
    enqueue_render_job(job.id, base_url())
    db.session().refresh(job)
    return _job_out(job)


@operation(
    bp,
    "/jobs/<id:job_id>",
    "GET",
    summary="A job's progress: done, total, failures",
    tag="jobs",
    response=JobOut,
)
def get_job(job_id: int) -> JobOut:
    return _job_out(jobs.get_job(db.session(), g.user, job_id))


@operation(
    bp,
    "/jobs/<id:job_id>/download",
    "GET",
    summary="The finished job's zip (streamed, or a 302 to a short-lived file-store address)",
    tag="jobs",
    produces=("application/zip",),
)
def download_job(job_id: int) -> Any:
    job = jobs.get_job(db.session(), g.user, job_id)
    if not job.result_key:
        raise ApiError(409, "conflict", "The job has not finished yet.")
    # Streamed from the store, or a redirect to it: a 1,000-partner zip is never held in memory.
    return send_stored(job.result_key, "application/zip", f"render-job-{job.id}.zip")
