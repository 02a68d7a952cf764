"""What a vendor should know before partners get an asset: which brand fields an email uses,
whether text zones print readably for the partners who will get them, and whom a publish reaches.

Reads only, except ``add_partner_footer`` (a new version, like any upload).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

import asset_engine
from prm_domain import access, assets, audience, brandkits, rendering, validation
from prm_domain.access import Right
from prm_domain.enums import AssetKind
from prm_domain.errors import NotFound, ValidationError
from prm_domain.models import Asset, AssetVersion, BrandKit, Partner, TrackedLink, User
from prm_domain.storage import Storage

# Past this many partners, the worst case is judged on the first ones (by name): a zone editor
# answer must stay quick, and the sample partner is always checked.
MAX_CHECKED_PARTNERS = 200


# -- emails -----------------------------------------------------------------------------------


def brand_fields_of(storage: Storage, version: AssetVersion) -> list[str]:
    """The partner fields an email version's template uses (empty: no partner branding)."""
    if version.asset.kind != AssetKind.EMAIL:
        return []
    return list(
        asset_engine.brand_fields(rendering.compiled_template(storage, version.template_key))
    )


def email_brand_fields(
    session: Session, actor: User, storage: Storage, asset_id: int, version_id: int
) -> list[str]:
    version = assets.get_version(session, actor, asset_id, version_id)
    if not actor.is_vendor:
        raise NotFound("Version not found.")
    return brand_fields_of(storage, version)


def has_partner_footer(storage: Storage, version: AssetVersion) -> bool:
    """Whether an email version already ends with (or holds) the standard partner footer."""
    if version.asset.kind != AssetKind.EMAIL:
        return False
    return asset_engine.has_partner_footer(storage.get(version.template_key).decode("utf-8"))


def add_partner_footer(
    session: Session, actor: User, storage: Storage, asset_id: int
) -> AssetVersion:
    """A new version of an email: the newest template with the standard partner footer added."""
    access.require(actor, Right.MANAGE_ASSETS)
    asset = assets.get_asset(session, actor, asset_id)
    latest = asset.latest_version
    if asset.kind != AssetKind.EMAIL or latest is None:
        raise ValidationError(
            "Only an uploaded email template takes the partner footer.", {"asset": "not an email"}
        )
    source = storage.get(latest.template_key).decode("utf-8")
    if asset_engine.has_partner_footer(source):
        # A second footer would print the partner's details twice in every email.
        raise ValidationError(
            f"Version {latest.number} already has the standard partner footer.",
            {"asset": "already has the partner footer"},
        )
    try:
        data = asset_engine.append_partner_footer(source).encode("utf-8")
    except asset_engine.AssetError as exc:
        raise ValidationError(str(exc), {"file": str(exc)}) from None
    name = latest.filename.removesuffix(".mjml")[:220] + " + partner footer.mjml"
    return assets.add_version(session, actor, storage, asset.id, name, data)


# -- publishing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    partners: int  # active partners in the audience
    audience: str  # the audience in words ("Gold only")

    def sentence(self) -> str:
        noun = "partner" if self.partners == 1 else "partners"
        return f"{self.partners} {noun}: {self.audience}"

    def reaches(self) -> str:
        """Audience size in words: how many partners may get it, not how many downloaded it."""
        noun = "partner" if self.partners == 1 else "partners"
        return f"reaches {self.partners} {noun} ({self.audience})"


def reach_of(session: Session, asset: Asset) -> Reach:
    return Reach(audience.reach(session, asset), audience.describe(session, asset))


# -- text zones -------------------------------------------------------------------------------


def _brand(partner: Partner, kit: BrandKit) -> asset_engine.BrandKit:
    # Only the words matter for fitting, so no logo is loaded.
    return asset_engine.BrandKit(
        partner_name=partner.name,
        logo=b"",
        primary_color=kit.primary_color,
        tracking_url="https://example.com/r/XXXXXXXX",
        contact=brandkits.engine_contact(kit),
    )


def _partner_id(value: Any) -> int:
    # A number past the id column's range names no partner, and the database would refuse it
    # (an overflow, not an empty answer).
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= validation.MAX_ID:
        raise ValidationError.for_fields({"partner_id": "name the partner whose brand to show"})
    return value


def _page_of(zone: asset_engine.Zone, pages: list[Any]) -> asset_engine.PageSize:
    count = max(len(pages), 1)
    number = next((n for n in range(1, count + 1) if zone.applies_to(n, count)), 1)
    width, height = pages[number - 1][:2] if pages else (595.0, 842.0)
    return asset_engine.PageSize(float(width), float(height))


def check_zone_text(
    session: Session,
    actor: User,
    asset_id: int,
    version_id: int,
    raw_zones: Any,
    partner_id: int | None,
) -> list[dict[str, Any]]:
    """How each text zone of ``raw_zones`` (the editor's unsaved zones) prints: for the sample
    partner, and at its smallest among the active partners of the audience.

    One entry per text zone: ``index``, ``size`` (points, or pixels on images), ``lines``,
    ``readable``, ``partner``, and ``smallest``/``below`` over the audience.
    """
    access.require(actor, Right.MANAGE_ASSETS)
    version = assets.get_version(session, actor, asset_id, version_id)
    asset = version.asset
    zones = assets.parse_zones(raw_zones, asset.kind, len(version.pages))
    medium: Literal["pdf", "image"] = "image" if asset.kind == AssetKind.SOCIAL else "pdf"
    sample = None
    if partner_id is not None:
        partner_id = _partner_id(partner_id)
        access.ensure_visible(actor, partner_id, "Partner")
        sample = session.get(Partner, partner_id)
        if sample is None:
            raise NotFound("Partner not found.")
    partners = [
        p
        for p in session.scalars(
            select(Partner).where(access.partner_scope(actor, Partner.id)).order_by(Partner.name)
        )
        if access.partner_allows(p, access.Area.CONTENT) and audience.matches(asset, p)
    ][:MAX_CHECKED_PARTNERS]
    checked = [*partners, *([sample] if sample is not None else [])]
    kits = brandkits.kits_for(session, [p.id for p in checked])  # one query, not one per partner
    brands = {p.id: (p, _brand(p, kits[p.id])) for p in checked}
    results = []
    for index, zone in enumerate(zones):
        if zone.kind != "text":
            continue
        page = _page_of(zone, version.pages)
        try:
            fits = {
                pid: asset_engine.fit_zone_text(zone, brand, page, medium)
                for pid, (_, brand) in brands.items()
            }
        except asset_engine.AssetError as exc:
            raise ValidationError.for_fields({f"zones.{index}": str(exc)}) from None
        shown = fits.get(sample.id) if sample is not None else None
        audience_fits = [(fits[p.id], p) for p in partners]
        worst = min(audience_fits, key=lambda fp: (fp[0].readable, fp[0].size), default=None)
        results.append(
            {
                "index": index,
                "min_size": asset_engine.MIN_TEXT_SIZE[medium],
                "unit": "px" if medium == "image" else "pt",
                "partner": sample.name if sample is not None else None,
                "size": round(shown.size, 1) if shown else None,
                "lines": list(shown.lines) if shown else [],
                "readable": shown.readable if shown else None,
                "truncated": shown.truncated if shown else None,
                "checked": len(audience_fits),
                "below": sum(1 for f, _ in audience_fits if not f.readable),
                "smallest": (
                    {"size": round(worst[0].size, 1), "partner": worst[1].name}
                    if worst is not None
                    else None
                ),
            }
        )
    return results


# -- the zone editor's preview of unsaved zones -----------------------------------------------


def preview_zones(
    session: Session,
    actor: User,
    storage: Storage,
    asset_id: int,
    version_id: int,
    raw_zones: Any,
    partner_id: Any,
    page: int,
    base_url: str,
) -> bytes:
    """One page as PNG with the editor's unsaved zones in a partner's brand: what a save would
    give. Nothing is stored or cached (the zones are not saved), and no link is made."""
    access.require(actor, Right.MANAGE_ASSETS)
    version = assets.get_version(session, actor, asset_id, version_id)
    asset = version.asset
    if asset.kind == AssetKind.EMAIL:
        raise ValidationError.for_fields({"zones": "email templates take placeholders, not zones"})
    zones = assets.parse_zones(raw_zones, asset.kind, len(version.pages))
    partner_id = _partner_id(partner_id)
    access.ensure_visible(actor, partner_id, "Partner")
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise NotFound("Partner not found.")
    count = max(len(version.pages), 1)
    if not isinstance(page, int) or not 1 <= page <= count:
        raise ValidationError.for_fields({"page": f"the template has {count} page(s)"})
    tracking = None
    if asset.landing_url:
        existing = session.scalar(
            select(TrackedLink).where(
                TrackedLink.partner_id == partner.id, TrackedLink.asset_id == asset.id
            )
        )
        # Before the partner's first download there is no link yet: a stand-in of its length.
        code = existing.code if existing else "XXXXXXXX"
        tracking = f"{base_url.rstrip('/')}/r/{code}"
    brand = brandkits.engine_brand(
        brandkits.kit_for(session, partner.id), partner, storage, tracking
    )
    template = storage.get(version.template_key)
    try:
        if asset.kind == AssetKind.SOCIAL:
            return asset_engine.render_social(template, brand, zones, format="PNG")
        pdf = asset_engine.cobrand_pdf(template, brand, zones)
        return asset_engine.render_preview(pdf, page, 800)
    except asset_engine.AssetError as exc:
        raise ValidationError(
            f"The preview could not be made: {exc}", {"zones": str(exc)}
        ) from None
