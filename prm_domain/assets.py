"""The asset library: vendor templates, their versions and zones, and who may see them."""

from __future__ import annotations

import functools
from array import array
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Select, String, bindparam, func, or_, select
from sqlalchemy.orm import Session, joinedload

import asset_engine
from prm_domain import access, audience, audit, changes, notifications, validation
from prm_domain.access import Right
from prm_domain.base import json_list_has, utcnow
from prm_domain.enums import AssetKind, AssetStatus
from prm_domain.errors import NotFound, ValidationError
from prm_domain.models import Asset, AssetVersion, Partner, User
from prm_domain.pagination import MAX_PER_PAGE, Page, count, paginate_prepared, validate_page
from prm_domain.storage import Storage

MAX_TEMPLATE_BYTES = 30 * 1024 * 1024
ZONE_FIELDS = {
    "kind",
    "box",
    "pages",
    "text",
    "color",
    "align",
    "valign",
    "font_size",
    "on_dark",
    "bold",
    "wrap",
}


# -- audience ---------------------------------------------------------------------------------


def visible_to(actor: User, asset: Asset, partner: Partner | None = None) -> bool:
    """The library's question, asked of the one rule (``access.asset_visible_to``)."""
    return access.asset_visible_to(actor, asset, partner)


# -- reading ----------------------------------------------------------------------------------


def get_asset(session: Session, actor: User, asset_id: int) -> Asset:
    access.ensure_content(actor)
    asset = session.get(Asset, asset_id)
    if asset is None or not access.asset_visible_to(actor, asset):
        raise NotFound("Asset not found.")
    return asset


def get_version(session: Session, actor: User, asset_id: int, version_id: int) -> AssetVersion:
    asset = get_asset(session, actor, asset_id)
    version = session.get(AssetVersion, version_id)
    if version is None or version.asset_id != asset.id:
        raise NotFound("Version not found.")
    if not actor.is_vendor and version.id != asset.published_version_id:
        raise NotFound("Version not found.")
    return version


def shown_version(session: Session, actor: User, asset_id: int) -> AssetVersion | None:
    """The version the actor's pictures of the asset show: partners the published one only,
    vendor staff the published one, else the newest draft."""
    asset = get_asset(session, actor, asset_id)
    if actor.is_vendor:
        return asset.published_version or asset.latest_version
    return asset.published_version


def list_assets(
    session: Session,
    actor: User,
    *,
    q: str | None = None,
    kind: AssetKind | None = None,
    category: str | None = None,
    tag: str | None = None,
    status: AssetStatus | None = None,
    page: int = 1,
    per_page: int = 24,
    with_published_version: bool = False,
) -> Page[Asset]:
    """A page of the library as ``actor`` sees it, newest change first.

    ``with_published_version``: each asset's published version comes with it, in the same
    query (what a card shows: its thumbnail; a version's pages and zones load when read)."""
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationError.for_fields(
            {"page": "must be 1 or more", "per_page": f"1 to {MAX_PER_PAGE}"}
        )
    q = validation.text("q", q, max_len=200, required=False) if q else None
    category = (
        validation.text("category", category, max_len=80, required=False) if category else None
    )
    tag = validation.text("tag", tag, max_len=40, required=False) if tag else None
    access.ensure_content(actor)
    validate_page(page, per_page)
    # Built once per audience and filters; a search's words are a value given at execution.
    built = _library_statements(
        access.audience_of(actor),
        status if actor.is_vendor else None,
        kind,
        category,
        tag,
        bool(q),
        with_published_version,
        page,
        per_page,
    )
    params = {SEARCH: validation.contains_pattern(q)} if q else None
    if built.page is not None:
        return paginate_prepared(
            session, built.page, built.total, page=page, per_page=per_page, params=params
        )
    ids_stmt, rows_stmt = built.ids, built.rows
    assert ids_stmt is not None and rows_stmt is not None
    # A partner's page: which assets, in which order, is kept until the library changes (a
    # filter's page can check the audience of a thousand tagged assets to find its 24); the
    # rows themselves are read afresh, through the audience rule again.
    ids: Sequence[int] = changes.kept(
        session,
        "library page",
        ids_stmt,
        lambda: array("q", session.scalars(ids_stmt, params)),  # 8 bytes an id, kept
        params,
    )
    found = (
        {a.id: a for a in session.scalars(rows_stmt, {PAGE_IDS: list(ids)}).unique()} if ids else {}
    )
    return Page(
        items=[found[i] for i in ids if i in found],
        total=count(session, built.total, params),
        page=page,
        per_page=per_page,
    )


# The placeholders of the statements built once: a search's LIKE pattern, a page's asset ids.
SEARCH = "search_pattern"
PAGE_IDS = "page_ids"


class _LibraryStatements(NamedTuple):
    total: Select[int]
    page: Select[Asset] | None = None  # vendor staff's page, each asset with its versions
    ids: Select[int] | None = None  # a partner's page: the ids, in order ...
    rows: Select[Asset] | None = None  # ... and their rows, still visible, by id (PAGE_IDS)


@functools.lru_cache(maxsize=512)
def _library_statements(
    audience_key: access.AudienceKey,
    status: AssetStatus | None,
    kind: AssetKind | None,
    category: str | None,
    tag: str | None,
    searching: bool,
    with_published_version: bool,
    page: int,
    per_page: int,
) -> _LibraryStatements:
    """A library page's statements and its total's, built once per audience, filters and page:
    building them and working out their SQLAlchemy cache keys was a fifth of a library page's
    work, and many partners share an audience. Statements are immutable, so sharing is safe."""
    filters = []
    if status is not None:
        filters.append(Asset.status == status)
    if kind is not None:
        filters.append(Asset.kind == kind)
    if category:
        filters.append(Asset.category == category)
    if tag:
        filters.append(json_list_has(Asset.tags, tag))
    if searching:
        like = bindparam(SEARCH, type_=String())
        filters.append(
            or_(Asset.name.ilike(like, escape="\\"), Asset.description.ilike(like, escape="\\"))
        )
    count_stmt = select(Asset.id).where(*filters)
    newest_first = (Asset.updated_at.desc(), Asset.id.desc())
    offset = (page - 1) * per_page
    total = select(func.count()).select_from
    if audience_key == access.EVERY_ASSET:
        # The vendor's list shows each asset's versions: joined to the page's rows (the page is
        # limited first, in a subquery), one query in all: a second query for them (selectin)
        # cost more than its rows (bench/bench_scale.py, "vendor: library page").
        stmt = select(Asset).where(*filters).options(joinedload(Asset.versions))
        stmt = stmt.order_by(*newest_first)
        return _LibraryStatements(
            total(count_stmt.subquery()), page=stmt.limit(per_page).offset(offset)
        )
    # The one rule (access.asset_visible_to), as SQL: audiences are matched through their
    # indexed mirror. The page reads the (updated_at, id) index newest first and checks each
    # row (it stops after a page); the count probes one grouped subquery.
    visible = access.assets_visible_to(audience_key, per_row=True)
    ids = select(Asset.id).where(*filters, visible).order_by(*newest_first)
    rows = select(Asset).where(Asset.id.in_(bindparam(PAGE_IDS, expanding=True)), visible)
    if with_published_version:
        rows = rows.options(
            joinedload(Asset.published_version).load_only(
                AssetVersion.id, AssetVersion.asset_id, AssetVersion.thumbnail_key
            )
        )
    return _LibraryStatements(
        total(count_stmt.where(access.assets_visible_to(audience_key)).subquery()),
        ids=ids.limit(per_page).offset(offset),
        rows=rows,
    )


def categories(session: Session, actor: User) -> list[str]:
    """Every category the actor can see in the library (for the filter). Every visible asset
    is read for it, so a web process keeps it until the library changes (changes.kept)."""
    access.ensure_content(actor)
    stmt = _categories_statement(access.audience_of(actor))
    return list(changes.kept(session, "categories", stmt, lambda: sorted(session.scalars(stmt))))


@functools.lru_cache(maxsize=512)
def _categories_statement(audience_key: access.AudienceKey) -> Select[str]:
    """Built once per audience, as the library's list statements are."""
    stmt = select(Asset.category).where(Asset.category != "").distinct()
    if audience_key != access.EVERY_ASSET:
        stmt = stmt.where(access.assets_visible_to(audience_key))
    return stmt


# -- writing ----------------------------------------------------------------------------------


def _clean_meta(session: Session, values: Mapping[str, Any]) -> dict[str, Any]:
    rules: dict[str, Any] = {
        "name": lambda v: validation.text("name", v, max_len=200),
        "description": lambda v: validation.text("description", v, max_len=2000, required=False),
        "category": lambda v: validation.text("category", v, max_len=80, required=False),
        "tags": lambda v: validation.string_list("tags", v, max_items=30, max_len=40),
        "landing_url": lambda v: None if v in (None, "") else validation.http_url("landing_url", v),
    }
    problems = {f: "unknown field" for f in values if f not in rules and f not in audience.FIELDS}
    clean: dict[str, Any] = {}
    try:
        clean.update(audience.clean(session, values))
    except ValidationError as exc:
        problems.update(exc.fields)
    for field, value in values.items():
        if field in rules:
            try:
                clean[field] = rules[field](value)
            except ValidationError as exc:
                problems.update(exc.fields)
    if problems:
        raise ValidationError.for_fields(problems)
    return clean


def create_asset(session: Session, actor: User, kind: Any, values: Mapping[str, Any]) -> Asset:
    """A draft asset with its metadata; its first template upload makes version 1."""
    access.require(
        actor, Right.MANAGE_ASSETS, "Only marketing managers and vendor admins add assets."
    )
    kind = validation.choice("kind", kind, AssetKind)
    if "name" not in values:
        raise ValidationError.for_fields({"name": "is required"})
    clean = _clean_meta(session, values)
    asset = Asset(
        kind=kind,
        created_by_id=actor.id,
        **{
            "description": "",
            "category": "",
            "tags": [],
            "audience_tier_ids": [],
            "audience_regions": [],
            "audience_partner_types": [],
            "audience_verticals": [],
            **clean,
        },
    )
    session.add(asset)
    session.flush()
    audit.record(session, actor, "asset.created", asset, {"kind": kind, **clean})
    return asset


def update_asset(session: Session, actor: User, asset_id: int, values: Mapping[str, Any]) -> Asset:
    access.require(actor, Right.MANAGE_ASSETS)
    asset = get_asset(session, actor, asset_id)
    clean = _clean_meta(session, values)
    if (
        "landing_url" in clean
        and not clean["landing_url"]
        and any(z.get("kind") == "qr" for v in asset.versions for z in v.zones)
    ):
        raise ValidationError.for_fields(
            {"landing_url": "a QR zone of this asset links to it: remove the QR zone first"}
        )
    changes = audit.diff(asset, clean)
    for field, value in clean.items():
        setattr(asset, field, value)
    session.flush()
    if changes:
        audit.record(session, actor, "asset.updated", asset, changes)
    return asset


def sanitize_template(kind: AssetKind, data: bytes) -> tuple[bytes, list[str]]:
    """The upload as it is stored: a PDF without active content (scripts, actions that run,
    XFA), rewritten once here so every render of it is clean, and what was removed."""
    if kind != AssetKind.PDF or not data or len(data) > MAX_TEMPLATE_BYTES:
        return data, []
    try:
        result = asset_engine.sanitize_pdf(data)
    except asset_engine.AssetError as exc:
        raise ValidationError(str(exc), {"file": str(exc)}) from None
    return result.data, list(result.removed)


def removed_notice(removed: list[str]) -> str:
    """What the uploader is told when active content was taken out of the file."""
    return (
        "Active content was removed from the PDF before it was stored, so partners and their "
        f"customers never receive it: {'; '.join(removed)}."
    )


def inspect_template(kind: AssetKind, data: bytes) -> tuple[list[list[float]], bytes | None]:
    """Check an upload by its content; return its pages as the reader sees them and a thumbnail."""
    if not data:
        raise ValidationError("The file is empty.", {"file": "is empty"})
    if len(data) > MAX_TEMPLATE_BYTES:
        raise ValidationError(
            f"The file is larger than {MAX_TEMPLATE_BYTES // 2**20} MB.", {"file": "too large"}
        )
    try:
        if kind == AssetKind.PDF:
            pages = [[p.width, p.height, p.rotation] for p in asset_engine.inspect_pdf(data)]
            return pages, asset_engine.render_preview(data, 1, 320)
        if kind == AssetKind.SOCIAL:
            size = asset_engine.inspect_image(data)
            return [[size.width, size.height, 0]], asset_engine.thumbnail(data, 320)
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(
                "An email template must be MJML text in UTF-8.", {"file": "not UTF-8 text"}
            ) from None
        asset_engine.compile_email(source)
        return [], None
    except asset_engine.AssetError as exc:
        raise ValidationError(str(exc), {"file": str(exc)}) from None


def add_version(
    session: Session, actor: User, storage: Storage, asset_id: int, filename: str, data: bytes
) -> AssetVersion:
    """A new upload. Zones carry over from the previous version where its pages allow."""
    access.require(actor, Right.MANAGE_ASSETS)
    asset = get_asset(session, actor, asset_id)
    name = validation.text("filename", filename or "template", max_len=255)
    data, removed = sanitize_template(asset.kind, data)
    pages, thumb = inspect_template(asset.kind, data)
    previous = asset.latest_version
    zones = list(previous.zones) if previous else []
    if zones and asset.kind == AssetKind.PDF:
        zones = [z for z in zones if _pages_fit(z.get("pages", "all"), len(pages))]
    version = AssetVersion(
        asset_id=asset.id,
        number=(previous.number + 1) if previous else 1,
        template_key=storage.put(data),
        filename=name,
        size=len(data),
        pages=pages,
        zones=zones,
        thumbnail_key=storage.put(thumb) if thumb else None,
        removed_content=removed,
        created_by_id=actor.id,
    )
    session.add(version)
    session.flush()
    session.refresh(asset, ["versions"])
    audit.record(
        session,
        actor,
        "asset.version_added",
        version,
        {"asset_id": asset.id, "number": version.number, "removed_content": removed},
    )
    return version


def _pages_fit(pages: Any, count: int) -> bool:
    return isinstance(pages, str) or all(isinstance(n, int) and 1 <= n <= count for n in pages)


def parse_zones(raw: Any, kind: AssetKind, page_count: int) -> list[asset_engine.Zone]:
    """Zones from JSON, checked by the engine's own rules (and against the template's pages)."""
    if not isinstance(raw, list) or len(raw) > 50:
        raise ValidationError.for_fields({"zones": "must be a list of at most 50 zones"})
    if kind == AssetKind.EMAIL and raw:
        raise ValidationError.for_fields({"zones": "email templates take placeholders, not zones"})
    zones = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) - ZONE_FIELDS:
            raise ValidationError.for_fields(
                {f"zones.{i}": "must be an object with " + ", ".join(sorted(ZONE_FIELDS))}
            )
        values = dict(item)
        if isinstance(values.get("box"), list):
            values["box"] = tuple(values["box"])
        if isinstance(values.get("pages"), list):
            values["pages"] = tuple(values["pages"])
        try:
            zone = asset_engine.Zone(**values)
        except asset_engine.AssetError as exc:
            raise ValidationError.for_fields({f"zones.{i}": str(exc)}) from None
        except TypeError as exc:
            raise ValidationError.for_fields({f"zones.{i}": f"invalid zone: {exc}"}) from None
        if page_count and not _pages_fit(zone.pages, page_count):
            raise ValidationError.for_fields(
                {f"zones.{i}": f"the template has {page_count} page(s)"}
            )
        zones.append(zone)
    return zones


def zone_to_json(zone: asset_engine.Zone) -> dict[str, Any]:
    return {
        "kind": zone.kind,
        "box": list(zone.box),
        "pages": zone.pages if isinstance(zone.pages, str) else list(zone.pages),
        "text": zone.text,
        "color": zone.color,
        "align": zone.align,
        "valign": zone.valign,
        "font_size": zone.font_size,
        "on_dark": zone.on_dark,
        "bold": zone.bold,
        "wrap": zone.wrap,
    }


def set_zones(
    session: Session, actor: User, asset_id: int, version_id: int, raw: Any
) -> AssetVersion:
    access.require(actor, Right.MANAGE_ASSETS)
    version = get_version(session, actor, asset_id, version_id)
    zones = parse_zones(
        list(raw) if isinstance(raw, list | tuple) else raw, version.asset.kind, len(version.pages)
    )
    if any(z.kind == "qr" for z in zones) and not version.asset.landing_url:
        raise ValidationError.for_fields(
            {"zones": "a QR zone needs the asset's landing URL (set landing_url first)"}
        )
    version.zones = [zone_to_json(z) for z in zones]
    session.flush()
    audit.record(
        session, actor, "asset.zones_set", version, {"asset_id": asset_id, "zones": len(zones)}
    )
    return version


def publish(session: Session, actor: User, asset_id: int, version_id: int | None = None) -> Asset:
    access.require(actor, Right.MANAGE_ASSETS)
    asset = get_asset(session, actor, asset_id)
    version = (
        get_version(session, actor, asset_id, version_id) if version_id else asset.latest_version
    )
    if version is None:
        raise ValidationError(
            "Upload a template before publishing.", {"version_id": "no version yet"}
        )
    fresh = asset.status != AssetStatus.PUBLISHED or asset.published_version_id != version.id
    updated = asset.published_at is not None
    asset.published_version_id = version.id
    asset.status = AssetStatus.PUBLISHED
    if fresh:
        asset.published_at = utcnow()
    session.flush()
    audit.record(session, actor, "asset.published", asset, {"version": version.number})
    notifications.notify_published(session, asset, updated=updated)
    return asset


def unpublish(session: Session, actor: User, asset_id: int) -> Asset:
    access.require(actor, Right.MANAGE_ASSETS)
    asset = get_asset(session, actor, asset_id)
    if asset.status == AssetStatus.PUBLISHED:
        asset.status = AssetStatus.UNPUBLISHED
        session.flush()
        audit.record(session, actor, "asset.unpublished", asset)
    return asset


def template_page(
    session: Session,
    actor: User,
    storage: Storage,
    asset_id: int,
    version_id: int,
    page: int,
    width: int,
) -> bytes:
    """A page of a version's template as PNG, for the zone editor. Vendor staff only: partners
    never see a template unbranded (404, as if it did not exist)."""
    version = get_version(session, actor, asset_id, version_id)
    if not actor.is_vendor:
        raise NotFound("Version not found.")
    template = storage.get(version.template_key)
    try:
        if version.asset.kind == AssetKind.PDF and 1 <= page <= len(version.pages):
            return asset_engine.render_preview(template, page, width)
        if version.asset.kind == AssetKind.SOCIAL and page == 1:
            return asset_engine.thumbnail(template, width)
    except asset_engine.AssetError as exc:
        # A template stored before today's checks (or a page PDFium cannot draw).
        raise ValidationError(str(exc), {"page": str(exc)}) from None
    raise NotFound(f"The template has no page {page}.")
