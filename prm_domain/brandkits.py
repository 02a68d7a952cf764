"""Partners' brand kits: logos for light and dark backgrounds, colour, contact details."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

import asset_engine
from prm_domain import access, audit, changes, validation
from prm_domain.errors import ValidationError
from prm_domain.models import BrandKit, Partner, User
from prm_domain.partners import get_partner
from prm_domain.storage import Storage

CONTACT_FIELDS = {
    "contact_name": 120,
    "contact_title": 120,
    "contact_email": 254,
    "contact_phone": 40,
    "contact_website": 200,
    "contact_address": 300,
}
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_PHONE = re.compile(r"^[0-9+()./\- ]*$")
LOGO_VARIANTS = {"light": "logo_key", "dark": "logo_on_dark_key"}


def kit_for(session: Session, partner_id: int) -> BrandKit:
    """The partner's kit, or an unsaved empty one (reading never writes)."""
    return kits_for(session, [partner_id])[partner_id]


def kits_for(session: Session, partner_ids: Iterable[int]) -> dict[int, BrandKit]:
    """The kits of several partners in one query (an unsaved empty one where there is none)."""
    ids = set(partner_ids)
    # Read afresh even when this session has seen a kit before: a long-lived session (a
    # batch job's) must not render with a brand another request has changed since.
    found = {
        kit.partner_id: kit
        for kit in session.scalars(
            select(BrandKit)
            .where(BrandKit.partner_id.in_(ids))
            .execution_options(populate_existing=True)
        )
    }
    return {pid: found.get(pid) or empty_kit(pid) for pid in ids}


_LOGO_KEY = select(BrandKit.logo_key).where(BrandKit.partner_id == bindparam("partner_id"))


def has_logo(session: Session, partner_id: int) -> bool:
    """Whether the partner's kit holds a logo: what the library tells a partner without one.
    Asked on every library page, so a web process keeps it until a kit changes."""
    params = {"partner_id": partner_id}
    return changes.kept(
        session,
        "has_logo",
        _LOGO_KEY,
        lambda: bool(session.scalar(_LOGO_KEY, params)),
        params,
    )


def empty_kit(partner_id: int) -> BrandKit:
    """The unsaved empty kit of a partner who has none (reading never writes)."""
    return BrandKit(
        partner_id=partner_id,
        primary_color="#000000",
        version=0,
        **dict.fromkeys(CONTACT_FIELDS, ""),
    )


def get_brand_kit(session: Session, actor: User, partner_id: int) -> BrandKit:
    get_partner(session, actor, partner_id)
    return kit_for(session, partner_id)


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    problems = {
        f: "unknown field" for f in values if f not in CONTACT_FIELDS and f != "primary_color"
    }
    clean: dict[str, Any] = {}
    for field, value in values.items():
        try:
            if field == "primary_color":
                if not isinstance(value, str) or not _COLOR.match(value.strip()):
                    raise validation.fail(field, "must be a colour like #1a2b3c")
                clean[field] = value.strip().lower()
            elif field in CONTACT_FIELDS:
                text = validation.text(field, value, max_len=CONTACT_FIELDS[field], required=False)
                if text and field == "contact_email":
                    text = validation.mailbox(field, text)
                if text and field == "contact_phone" and not _PHONE.match(text):
                    raise validation.fail(field, "may hold digits, spaces and + ( ) . / - only")
                if text and field == "contact_website":
                    text = _website(text)
                clean[field] = text
        except ValidationError as exc:
            problems.update(exc.fields)
    if problems:
        raise ValidationError.for_fields(problems)
    return clean


def _website(value: str) -> str:
    """Kept as typed ("acme.example" reads better on a brochure than "https://acme.example/"),
    but only an http(s) URL, or a domain name (and path) that is one with "https://" in front;
    any other scheme (javascript:, data:, mailto:) is refused."""
    # A scheme, unless what follows the colon is a port ("acme.example:8080").
    scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):(?!\d+(?:/|$))", value)
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        raise validation.fail("contact_website", "must be an http(s) address or a domain name")
    url = value if scheme else f"https://{value}"
    try:
        validation.http_url("contact_website", url, allow_loopback=False)
    except ValidationError as exc:
        reason = exc.fields.get("contact_website", "")
        if "must be an absolute" in reason:
            reason = "must be an http(s) address or a domain name"
        raise validation.fail("contact_website", reason) from None
    return value


def _kit_for_update(session: Session, partner_id: int) -> tuple[BrandKit, bool]:
    """The partner's kit, made if missing, row-locked until the transaction ends; and whether
    it was made now.

    Edits read, change and write the kit: holding its row lock (SELECT ... FOR UPDATE) makes
    parallel edits take turns instead of each starting from the same old state. Two first edits
    at once both try to insert; the unique partner_id lets one win and the other edits that row.
    """
    query = (
        select(BrandKit)
        .where(BrandKit.partner_id == partner_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    kit = session.scalar(query)
    if kit is not None:
        return kit, False
    try:
        with session.begin_nested():
            kit = BrandKit(
                partner_id=partner_id,
                primary_color="#000000",
                version=0,
                **dict.fromkeys(CONTACT_FIELDS, ""),
            )
            session.add(kit)
        return kit, True
    except IntegrityError:
        return session.scalars(query).one(), False


def _save(session: Session, kit: BrandKit) -> BrandKit:
    """Write the kit's changes and move it to a version of its own.

    ``version`` keys the render cache, so two edits must never share one: the database adds
    one (UPDATE ... SET version = version + 1 RETURNING) rather than trusting what we read.
    """
    session.flush()
    version = session.execute(
        update(BrandKit)
        .where(BrandKit.id == kit.id)
        .values(version=BrandKit.version + 1)
        .returning(BrandKit.version)
    ).scalar_one()
    set_committed_value(kit, "version", version)
    return kit


def update_brand_kit(
    session: Session, actor: User, partner_id: int, values: Mapping[str, Any]
) -> BrandKit:
    access.ensure_can_edit_brand(actor, partner_id)
    get_partner(session, actor, partner_id)
    clean = _clean(values)
    kit, created = _kit_for_update(session, partner_id)
    changes = audit.diff(kit, clean)
    if not changes and not created:
        return kit
    for field, value in clean.items():
        setattr(kit, field, value)
    _save(session, kit)
    audit.record(session, actor, "brand_kit.updated", kit, changes, partner_id=partner_id)
    return kit


def set_logo(
    session: Session, actor: User, storage: Storage, partner_id: int, variant: str, data: bytes
) -> BrandKit:
    """Check an uploaded logo by its content, re-encode it without metadata, store it."""
    access.ensure_can_edit_brand(actor, partner_id)
    get_partner(session, actor, partner_id)
    if variant not in LOGO_VARIANTS:
        raise ValidationError.for_fields({"variant": "must be 'light' or 'dark'"})
    try:
        png = asset_engine.validate_logo(data)
    except asset_engine.AssetError as exc:
        raise ValidationError(str(exc), {"logo": str(exc)}) from None
    kit, _ = _kit_for_update(session, partner_id)
    setattr(kit, LOGO_VARIANTS[variant], storage.put(png))
    _save(session, kit)
    audit.record(
        session, actor, "brand_kit.logo_set", kit, {"variant": variant}, partner_id=partner_id
    )
    return kit


def remove_logo(session: Session, actor: User, partner_id: int, variant: str) -> BrandKit:
    access.ensure_can_edit_brand(actor, partner_id)
    get_partner(session, actor, partner_id)
    if variant not in LOGO_VARIANTS:
        raise ValidationError.for_fields({"variant": "must be 'light' or 'dark'"})
    kit = kit_for(session, partner_id)
    if kit.id is None:
        return kit  # never saved: nothing to remove
    kit, _ = _kit_for_update(session, partner_id)
    if getattr(kit, LOGO_VARIANTS[variant]):
        setattr(kit, LOGO_VARIANTS[variant], None)
        _save(session, kit)
        audit.record(
            session,
            actor,
            "brand_kit.logo_removed",
            kit,
            {"variant": variant},
            partner_id=partner_id,
        )
    return kit


def save_brand_kit(
    session: Session,
    actor: User,
    storage: Storage,
    partner_id: int,
    values: Mapping[str, Any],
    *,
    logos: Mapping[str, bytes] | None = None,
    remove: Iterable[str] = (),
) -> BrandKit:
    """Everything the brand kit page changed, in one save: details, new logos, removed logos.

    Every part is checked before anything is stored, so a bad logo does not leave the details
    half-saved (or the other way round); the errors of all parts come back together, with the
    logos' under ``logo_light`` / ``logo_dark``.
    """
    access.ensure_can_edit_brand(actor, partner_id)
    get_partner(session, actor, partner_id)
    logos = dict(logos or {})
    remove = set(remove)
    problems: dict[str, str] = {}
    unknown = (set(logos) | remove) - set(LOGO_VARIANTS)
    for variant in sorted(unknown):
        problems[f"logo_{variant}"[:40]] = "must be 'light' or 'dark'"
    try:
        _clean(values)
    except ValidationError as exc:
        problems.update(exc.fields)
    checked: dict[str, bytes] = {}
    for variant, data in logos.items():
        if variant in unknown:
            continue
        try:
            checked[variant] = asset_engine.validate_logo(data)
        except asset_engine.AssetError as exc:
            problems[f"logo_{variant}"] = str(exc)
    if problems:
        raise ValidationError("Nothing was saved: correct the marked fields.", problems)
    kit = update_brand_kit(session, actor, partner_id, values)
    for variant in sorted(remove - set(checked)):
        kit = remove_logo(session, actor, partner_id, variant)
    for variant, png in sorted(checked.items()):
        kit = set_logo(session, actor, storage, partner_id, variant, png)
    return kit


def engine_contact(kit: BrandKit) -> asset_engine.Contact:
    """The contact lines of a brand kit, as the engine prints them."""
    return asset_engine.Contact(
        name=kit.contact_name,
        title=kit.contact_title,
        email=kit.contact_email,
        phone=kit.contact_phone,
        website=kit.contact_website,
        address=kit.contact_address,
    )


def engine_brand(
    kit: BrandKit,
    partner: Partner,
    storage: Storage,
    tracking_url: str | None,
    logo_url: str | None = None,
) -> asset_engine.BrandKit:
    """The engine's view of a partner's brand. A partner without a logo cannot be rendered yet."""
    if not kit.logo_key:
        raise ValidationError(
            f"{partner.name} has no logo yet: upload one in the brand kit first.",
            {"logo": "missing"},
        )
    return asset_engine.BrandKit(
        partner_name=partner.name,
        logo=storage.get(kit.logo_key),
        logo_on_dark=storage.get(kit.logo_on_dark_key) if kit.logo_on_dark_key else None,
        primary_color=kit.primary_color,
        tracking_url=tracking_url,
        logo_url=logo_url,
        contact=engine_contact(kit),
    )
