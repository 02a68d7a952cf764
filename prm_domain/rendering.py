"""Co-branded renders of assets for partners, cached; downloads; tracked links."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import string
import sys
from collections.abc import Callable
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import asset_engine
from prm_domain import access, brandkits
from prm_domain.assets import get_asset
from prm_domain.base import utcnow
from prm_domain.enums import AssetKind
from prm_domain.errors import NotFound, ValidationError
from prm_domain.models import (
    Asset,
    AssetDownload,
    AssetVersion,
    BrandKit,
    Partner,
    RenderedFile,
    TrackedLink,
    User,
)
from prm_domain.storage import Storage

FORMATS: dict[AssetKind, dict[str, str]] = {
    AssetKind.PDF: {"pdf": "application/pdf", "preview": "image/png"},
    AssetKind.SOCIAL: {"png": "image/png", "jpeg": "image/jpeg", "preview": "image/png"},
    AssetKind.EMAIL: {
        "html": "text/html; charset=utf-8",
        "eml": "message/rfc822",
        "txt": "text/plain; charset=utf-8",
    },
}
EXTENSIONS = {
    "pdf": "pdf",
    "preview": "png",
    "png": "png",
    "jpeg": "jpg",
    "html": "html",
    "eml": "eml",
    "txt": "txt",
}
CODE_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Rendered:
    data: bytes
    content_type: str
    filename: str
    cached: bool


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "asset"


# -- tracked links ----------------------------------------------------------------------------


def link_for(session: Session, partner_id: int, asset_id: int) -> TrackedLink:
    link = session.scalar(
        select(TrackedLink).where(
            TrackedLink.partner_id == partner_id, TrackedLink.asset_id == asset_id
        )
    )
    if link is None:
        link = TrackedLink(
            code="".join(secrets.choice(CODE_ALPHABET) for _ in range(8)),
            partner_id=partner_id,
            asset_id=asset_id,
        )
        try:
            with session.begin_nested():
                session.add(link)
        except IntegrityError:
            # A concurrent request made it first: use theirs.
            link = session.scalars(
                select(TrackedLink).where(
                    TrackedLink.partner_id == partner_id, TrackedLink.asset_id == asset_id
                )
            ).one()
    return link


def tracked_link(
    session: Session, actor: User, asset_id: int, partner_id: int | None
) -> TrackedLink:
    """A partner's tracked link for an asset: partners get their own, vendors any partner's."""
    asset = get_asset(session, actor, asset_id)
    partner_id = partner_id or actor.partner_id
    if partner_id is None:
        raise ValidationError.for_fields({"partner_id": "is required"})
    access.ensure_visible(actor, partner_id, "Partner")
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise NotFound("Partner not found.")
    if not access.asset_visible_to(actor, asset, partner):
        raise NotFound("Asset not found.")
    if not asset.landing_url:
        raise ValidationError(
            "This asset has no landing page to link to.", {"landing_url": "not set"}
        )
    return link_for(session, partner_id, asset.id)


def link_url(base_url: str, link: TrackedLink) -> str:
    return f"{base_url.rstrip('/')}/r/{link.code}"


def link_logo(session: Session, storage: Storage, code: str) -> bytes | None:
    """The partner's logo behind a short link, for the emails that show it (None: no such
    link or no logo). Public like the link itself: a logo is what a partner shows anyway; but
    only while the partner's status opens content, so a suspended or exited partner's brand is
    no longer served from the vendor's domain (emails already sent keep their text)."""
    if not re.fullmatch(r"[A-Za-z0-9]{4,16}", code):
        return None
    link = session.scalar(select(TrackedLink).where(TrackedLink.code == code))
    if link is None:
        return None
    partner = session.get(Partner, link.partner_id)
    if not access.partner_allows(partner, access.Area.CONTENT):
        return None
    kit = brandkits.kit_for(session, link.partner_id)
    return storage.get(kit.logo_key) if kit.logo_key else None


def follow_link(session: Session, code: str, *, count: bool = True) -> str | None:
    """Where a tracked link goes: always the vendor's landing page, never the file.

    While the asset is visible to the partner (``access.link_attributed``), the click is counted
    (unless ``count`` is false: a repeat the caller recognised) and the page gets the partner's
    UTM tags. A link shared before the asset was unpublished (or the partner left its audience,
    or was suspended) still lands, without attribution or count.
    """
    if not re.fullmatch(r"[A-Za-z0-9]{4,16}", code):
        return None
    link = session.scalar(select(TrackedLink).where(TrackedLink.code == code))
    if link is None:
        return None
    asset = session.get(Asset, link.asset_id)
    partner = session.get(Partner, link.partner_id)
    if asset is None or not asset.landing_url:
        return None
    parts = urlsplit(asset.landing_url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.startswith("utm_")
    ]
    if partner is None or not access.link_attributed(partner, asset):
        plain = (parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment)
        return urlunsplit(plain)
    if count:
        # One UPDATE, so concurrent clicks never lose a count.
        session.execute(
            update(TrackedLink)
            .where(TrackedLink.id == link.id)
            .values(clicks=TrackedLink.clicks + 1, last_click_at=utcnow())
        )
    query += [
        ("utm_source", slug(partner.name)),
        ("utm_medium", "partner"),
        ("utm_campaign", slug(asset.name)),
        ("utm_content", f"partner-{partner.id}"),
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


# -- rendering --------------------------------------------------------------------------------


def _compiled_bytes(compiled: asset_engine.CompiledEmail) -> int:
    # The HTML and text, and their placeholder-split copies.
    return 2 * (sys.getsizeof(compiled.html) + sys.getsizeof(compiled.text))


_compiled_cache: asset_engine.ByteBoundedCache[asset_engine.CompiledEmail] = (
    asset_engine.ByteBoundedCache("compiled emails", 64 * 2**20, _compiled_bytes)
)


def _compiled(storage: Storage, template_key: str) -> asset_engine.CompiledEmail:
    """Compiled once per template (keyed by its content hash) per process, within 64 MB."""
    return _compiled_cache.get(
        template_key,
        lambda: asset_engine.compile_email(storage.get(template_key).decode("utf-8")),
    )


def compiled_template(storage: Storage, template_key: str) -> asset_engine.CompiledEmail:
    """An email version's compiled template, from the same per-process cache as renders."""
    return _compiled(storage, template_key)


def _cache_key(
    version: AssetVersion,
    partner: Partner,
    kit: BrandKit,
    fmt: str,
    tracking_url: str | None,
    logo_url: str | None = None,
) -> str:
    material = json.dumps(
        [
            version.id,
            version.template_key,
            version.zones,
            version.asset.name,  # the .eml Subject and file names carry it
            asset_engine.__version__,  # a new engine may draw differently
            partner.id,
            partner.name,
            # The kit by its version and by what it holds: even a version handed out twice (a
            # database restored from backup, say) never brings back another brand's file.
            kit.version,
            kit.logo_key,
            kit.logo_on_dark_key,
            kit.primary_color,
            [getattr(kit, f) for f in brandkits.CONTACT_FIELDS],
            fmt,
            tracking_url,
            logo_url,
        ],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(material.encode()).hexdigest()


def render_version(
    session: Session,
    storage: Storage,
    version: AssetVersion,
    partner: Partner,
    fmt: str,
    base_url: str,
) -> Rendered:
    """Render (or fetch from the cache) one version for one partner. No access checks here."""
    asset = version.asset
    formats = FORMATS[asset.kind]
    if fmt not in formats:
        raise ValidationError.for_fields({"format": "must be one of: " + ", ".join(formats)})
    kit = brandkits.kit_for(session, partner.id)
    tracking = (
        link_url(base_url, link_for(session, partner.id, asset.id)) if asset.landing_url else None
    )
    logo_url = None
    if asset.kind == AssetKind.EMAIL:
        # A mail client fetches the logo from the partner's short link, which is public anyway.
        logo_url = link_url(base_url, link_for(session, partner.id, asset.id)) + "/logo"
    key = _cache_key(version, partner, kit, fmt, tracking, logo_url)
    filename = f"{slug(asset.name)}-{slug(partner.name)}.{EXTENSIONS[fmt]}"
    hit = session.scalar(select(RenderedFile).where(RenderedFile.cache_key == key))
    if hit is not None and storage.exists(hit.storage_key):
        return Rendered(storage.get(hit.storage_key), hit.content_type, filename, cached=True)
    data = _render(
        storage,
        version,
        asset,
        partner,
        brandkits.engine_brand(kit, partner, storage, tracking, logo_url),
        fmt,
    )
    stored = storage.put(data)
    if hit is not None:
        hit.storage_key = stored  # the file had gone: point the entry at the new one
    else:
        try:
            with session.begin_nested():
                session.add(
                    RenderedFile(cache_key=key, storage_key=stored, content_type=formats[fmt])
                )
        except IntegrityError:
            pass  # a concurrent request cached the same render first
    return Rendered(data, formats[fmt], filename, cached=False)


def _render(
    storage: Storage,
    version: AssetVersion,
    asset: Asset,
    partner: Partner,
    brand: asset_engine.BrandKit,
    fmt: str,
) -> bytes:
    zones = [
        asset_engine.Zone(
            **{
                **z,
                "box": tuple(z["box"]),
                "pages": z["pages"] if isinstance(z["pages"], str) else tuple(z["pages"]),
            }
        )
        for z in version.zones
    ]
    try:
        if asset.kind == AssetKind.PDF:
            pdf = asset_engine.cobrand_pdf(
                storage.get(version.template_key),
                brand,
                zones,
                sanitized=version.removed_content is not None,  # cleaned at upload
            )
            return asset_engine.render_preview(pdf, 1, 800) if fmt == "preview" else pdf
        if asset.kind == AssetKind.SOCIAL:
            template = storage.get(version.template_key)
            if fmt == "preview":
                return asset_engine.render_social(template, brand, zones, format="PNG")
            return asset_engine.render_social(template, brand, zones, format=fmt.upper())
        email = asset_engine.personalise_email(_compiled(storage, version.template_key), brand, {})
    except asset_engine.AssetError as exc:
        raise ValidationError(
            f"Could not render {asset.name!r} for {partner.name}: {exc}", {"asset": str(exc)}
        ) from None
    if fmt == "html":
        return email.html.encode()
    if fmt == "txt":
        return email.text.encode()
    return _eml(asset, partner, brand, email)


def _eml(
    asset: Asset, partner: Partner, brand: asset_engine.BrandKit, email: asset_engine.RenderedEmail
) -> bytes:
    message = EmailMessage()
    message["Subject"] = asset.name
    if brand.contact.email:
        # Without a contact email the draft has no sender (the mail client fills in its own);
        # with one, it is the sender exactly as saved, never silently dropped.
        message["From"] = _sender(brand.contact.name or partner.name, brand.contact.email)
    message["X-Unsent"] = "1"  # opens as a draft in Outlook and Apple Mail, ready to send
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    return bytes(message)


def _sender(name: str, address: str) -> Address:
    """The From mailbox, built by the email package (which quotes the name and encodes it
    as needed). An address that cannot stand in a header exactly as given (one saved before
    contact emails were checked) is refused with a field error naming it: a draft whose
    sender silently vanished would go out from the wrong person."""
    refused = ValidationError(
        f"The brand kit's contact email {address!r} cannot be used as the sender of an email: "
        "correct it in the brand kit.",
        {"contact_email": "cannot be used as an email sender"},
    )
    if not address.isascii() or "=?" in address:
        raise refused
    try:
        mailbox = Address(display_name=" ".join(name.split()), addr_spec=address)
    except (ValueError, IndexError):  # the email package's header defects are ValueErrors
        raise refused from None
    # The parser drops what it does not understand ("a(b)@x" becomes "a@x"): refuse that.
    if mailbox.addr_spec != address:
        raise refused
    return mailbox


def render_for(
    session: Session,
    actor: User,
    storage: Storage,
    asset_id: int,
    partner_id: int | None,
    fmt: str,
    base_url: str,
    *,
    version_id: int | None = None,
    count: bool | Callable[[], bool] = False,
) -> Rendered:
    """What a user downloads or previews: partners their own brand, vendors any partner's.

    ``count`` records a download. It may be a question ("the first download of this in a
    while?") asked only once the file is made, so that a failed attempt is never the one
    that counted.
    """
    asset = get_asset(session, actor, asset_id)
    partner_id = partner_id or actor.partner_id
    if partner_id is None:
        raise ValidationError.for_fields({"partner_id": "name the partner whose brand to render"})
    access.ensure_visible(actor, partner_id, "Partner")
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise NotFound("Partner not found.")
    if not access.asset_visible_to(actor, asset, partner):
        raise NotFound("Asset not found.")
    if count and not access.asset_visible_to_partner(partner, asset):
        # Vendor staff preview any version in any partner's brand; a download is counted only
        # where the partner may have it.
        count = False
    if version_id is not None and actor.is_vendor:
        version = session.get(AssetVersion, version_id)
        if version is None or version.asset_id != asset.id:
            raise NotFound("Version not found.")
    else:
        version = asset.published_version or (asset.latest_version if actor.is_vendor else None)
    if version is None:
        raise ValidationError("This asset has no template yet.", {"asset": "no version"})
    result = render_version(session, storage, version, partner, fmt, base_url)
    if fmt != "preview" and (count() if callable(count) else count):
        session.add(
            AssetDownload(
                asset_id=asset.id,
                version_id=version.id,
                partner_id=partner.id,
                user_id=actor.id,
                format=fmt,
            )
        )
        session.flush()
    return result


def download_counts(session: Session, actor: User, asset_id: int) -> list[tuple[int, str, int]]:
    """(partner id, partner name, downloads) for an asset, most first; partners see their own."""
    asset = get_asset(session, actor, asset_id)
    stmt = (
        select(Partner.id, Partner.name, func.count(AssetDownload.id))
        .join(AssetDownload, AssetDownload.partner_id == Partner.id)
        .where(AssetDownload.asset_id == asset.id, access.partner_scope(actor, Partner.id))
        .group_by(Partner.id, Partner.name)
        .order_by(func.count(AssetDownload.id).desc(), Partner.name)
    )
    return [(pid, name, int(n)) for pid, name, n in session.execute(stmt)]
