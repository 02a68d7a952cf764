"""Syndicated content items: banners, product cards, resources and lead forms (vendor content)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Select, or_, select, union_all
from sqlalchemy.orm import Session

from prm_domain import access, audience, audit, validation
from prm_domain.access import Right
from prm_domain.base import utcnow
from prm_domain.enums import LEAD_FIELDS, AssetKind, ItemKind
from prm_domain.errors import NotFound, ValidationError
from prm_domain.models import Asset, Embed, Partner, SyndicatedItem, User
from prm_domain.pagination import Page, paginate

# The fields each kind keeps in ``content``, with their rule.
_TEXT = {
    "headline": 200,
    "text": 1000,
    "cta_label": 60,
    "name": 200,
    "summary": 1000,
    "submit_label": 60,
    "consent_text": 2000,
    "thank_you": 500,
    "description": 1000,
}


def _content(kind: ItemKind, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise ValidationError.for_fields({"content": "must be an object"})
    allowed: dict[ItemKind, set[str]] = {
        ItemKind.BANNER: {"headline", "text", "cta_label", "cta_url", "image_url"},
        ItemKind.PRODUCT: {"name", "summary", "features", "url", "image_url"},
        ItemKind.RESOURCE: {"description", "format"},
        ItemKind.LEAD_FORM: {
            "fields",
            "required",
            "consent_text",
            "privacy_url",
            "submit_label",
            "thank_you",
        },
    }
    problems = {
        f"content.{k}": "not a field of a " + kind.value for k in raw if k not in allowed[kind]
    }
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in allowed[kind]:
            continue
        field = f"content.{key}"
        try:
            if key in _TEXT:
                out[key] = validation.text(field, value, max_len=_TEXT[key], required=False)
            elif key in ("cta_url", "url", "image_url", "privacy_url"):
                out[key] = None if value in (None, "") else validation.http_url(field, value)
            elif key == "features":
                out[key] = validation.string_list(field, value, max_items=12, max_len=200)
            elif key in ("fields", "required"):
                names = validation.string_list(field, value, max_items=len(LEAD_FIELDS), max_len=20)
                unknown = [n for n in names if n not in LEAD_FIELDS]
                if unknown:
                    raise validation.fail(
                        field, f"unknown fields {unknown}: use {', '.join(LEAD_FIELDS)}"
                    )
                out[key] = names
            elif key == "format":
                out[key] = validation.text(field, value, max_len=10)
        except ValidationError as exc:
            problems.update(exc.fields)
    if kind == ItemKind.LEAD_FORM:
        fields = out.setdefault("fields", ["name", "email", "company", "message"])
        if "email" not in fields:
            problems["content.fields"] = "a lead form needs the email field"
        out["required"] = sorted(set(out.get("required", [])) | {"email"}, key=LEAD_FIELDS.index)
        if not set(out["required"]) <= set(fields):
            problems["content.required"] = "required fields must be among the form's fields"
        if not out.get("consent_text"):
            problems["content.consent_text"] = "a lead form needs the consent wording"
    if kind == ItemKind.BANNER and not out.get("headline"):
        problems["content.headline"] = "is required"
    if (
        kind == ItemKind.BANNER
        and "content.cta_url" not in problems
        and bool(out.get("cta_label")) != bool(out.get("cta_url"))
    ):
        problems["content.cta_url"] = "a call to action needs both its label and its link"
    if problems:
        raise ValidationError.for_fields(problems)
    return out


def _window(values: Mapping[str, Any], current: SyndicatedItem | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("starts_at", "ends_at"):
        if key in values:
            value = values[key]
            out[key] = None if value is None else validation.aware_datetime(key, value)
    starts = out.get("starts_at", current.starts_at if current else None)
    ends = out.get("ends_at", current.ends_at if current else None)
    if starts and ends and ends <= starts:
        raise ValidationError.for_fields({"ends_at": "must be after the start"})
    return out


def _asset_id(session: Session, kind: ItemKind, value: Any) -> int | None:
    if kind != ItemKind.RESOURCE:
        if value is not None:
            raise ValidationError.for_fields({"asset_id": "only resources link to a library asset"})
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= validation.MAX_ID:
        raise ValidationError.for_fields({"asset_id": "a resource needs a library asset id"})
    asset = session.get(Asset, value)
    if asset is None:
        raise ValidationError.for_fields({"asset_id": "is not a known asset"})
    if asset.kind == AssetKind.EMAIL:
        raise ValidationError.for_fields({"asset_id": "an email template cannot be a web download"})
    return value


def create_item(session: Session, actor: User, values: Mapping[str, Any]) -> SyndicatedItem:
    access.require(
        actor, Right.MANAGE_ASSETS, "Only marketing managers and vendor admins syndicate content."
    )
    kind = validation.choice("kind", values.get("kind"), ItemKind)
    known = {
        "kind",
        "title",
        "content",
        "asset_id",
        "starts_at",
        "ends_at",
        "active",
        *audience.FIELDS,
    }
    unknown = {f: "unknown field" for f in values if f not in known}
    if unknown:
        raise ValidationError.for_fields(unknown)
    item = SyndicatedItem(
        kind=kind,
        title=validation.text("title", values.get("title", ""), max_len=200),
        content=_content(kind, values.get("content", {})),
        asset_id=_asset_id(session, kind, values.get("asset_id")),
        active=_bool("active", values.get("active", True)),
        created_by_id=actor.id,
        **({f: [] for f in audience.FIELDS} | audience.clean(session, values)),
        **_window(values, None),
    )
    session.add(item)
    session.flush()
    audit.record(
        session, actor, "syndicated_item.created", item, {"kind": kind, "title": item.title}
    )
    return item


def _bool(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError.for_fields({field: "must be true or false"})
    return value


def update_item(
    session: Session, actor: User, item_id: int, values: Mapping[str, Any]
) -> SyndicatedItem:
    access.require(actor, Right.MANAGE_ASSETS)
    item = get_item(session, actor, item_id)
    known = {"title", "content", "asset_id", "starts_at", "ends_at", "active", *audience.FIELDS}
    unknown = {f: "unknown field" for f in values if f not in known}
    if unknown:
        raise ValidationError.for_fields(unknown)
    changes: dict[str, Any] = {}
    if "title" in values:
        changes["title"] = validation.text("title", values["title"], max_len=200)
    if "content" in values:
        changes["content"] = _content(item.kind, values["content"])
    if "asset_id" in values:
        changes["asset_id"] = _asset_id(session, item.kind, values["asset_id"])
    if "active" in values:
        changes["active"] = _bool("active", values["active"])
    changes |= audience.clean(session, values) | _window(values, item)
    diff = audit.diff(item, changes)
    for key, value in changes.items():
        setattr(item, key, value)
    item.updated_at = utcnow()  # content ETags follow it, even when only JSON inside changed
    session.flush()
    if diff:
        audit.record(session, actor, "syndicated_item.updated", item, diff)
    return item


def delete_item(session: Session, actor: User, item_id: int) -> None:
    access.require(actor, Right.MANAGE_ASSETS)
    item = get_item(session, actor, item_id)
    audit.record(session, actor, "syndicated_item.deleted", item, {"title": item.title})
    # Embeds that chose the item stop showing it (an embed left with none shows nothing; it
    # does not fall back to "all"). JSON lists have no foreign key to cascade, and they are
    # filtered here rather than by a JSON query that each backend spells differently.
    for embed in session.scalars(select(Embed)):
        if embed.item_ids is not None and item.id in embed.item_ids:
            changes = audit.diff(embed, {"item_ids": [i for i in embed.item_ids if i != item.id]})
            embed.item_ids = changes["item_ids"][1]
            audit.record(
                session, actor, "embed.updated", embed, changes, partner_id=embed.partner_id
            )
    session.delete(item)
    session.flush()


def is_live(item: SyndicatedItem, now: dt.datetime | None = None) -> bool:
    return access.item_is_live(item, now)


def item_status(item: SyndicatedItem, now: dt.datetime | None = None) -> str:
    """live, scheduled, ended or inactive: what partners' websites show of the item right now."""
    now = now or utcnow()
    if is_live(item, now):
        return "live"
    if not item.active:
        return "inactive"
    if item.ends_at is not None and item.ends_at <= now:
        return "ended"
    return "scheduled"


def asset_of(session: Session, item: SyndicatedItem) -> Asset | None:
    return session.get(Asset, item.asset_id) if item.asset_id is not None else None


def visible_to(session: Session, actor: User, item: SyndicatedItem) -> bool:
    return access.item_visible_to(actor, item, asset_of(session, item))


def get_item(session: Session, actor: User, item_id: int) -> SyndicatedItem:
    access.ensure_content(actor)
    item = session.get(SyndicatedItem, item_id)
    if item is None or not visible_to(session, actor, item):
        raise NotFound("Item not found.")
    return item


def list_items(
    session: Session,
    actor: User,
    *,
    kind: ItemKind | None = None,
    q: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[SyndicatedItem]:
    """Vendors: every item. Partners: what their audience gets, live now."""
    q = validation.text("q", q, max_len=200, required=False) if q else None
    access.ensure_content(actor)
    stmt = select(SyndicatedItem).order_by(
        SyndicatedItem.updated_at.desc(), SyndicatedItem.id.desc()
    )
    if kind is not None:
        stmt = stmt.where(SyndicatedItem.kind == kind)
    if q:
        like = validation.contains_pattern(q)
        stmt = stmt.where(or_(SyndicatedItem.title.ilike(like, escape="\\")))
    if not actor.is_vendor:
        stmt = stmt.where(access.items_visible_where(access.partner_of(actor)))
    return paginate(session, stmt, page=page, per_page=per_page)


def items_for_partner(
    session: Session,
    partner: Partner,
    ids: list[int] | None,
    kind: ItemKind | None = None,
) -> list[SyndicatedItem]:
    """The items visible to the partner (``access.item_visible_to_partner``: live, in the item's
    audience and its asset's), in id order; limited to ``ids`` when the embed chose some, and
    to one ``kind``. What an embed shows: :func:`newest_items_for_partner`."""
    stmt = select(SyndicatedItem).where(access.items_visible_where(partner, utcnow()))
    if ids is not None:
        stmt = stmt.where(SyndicatedItem.id.in_(ids or [0]))
    if kind is not None:
        stmt = stmt.where(SyndicatedItem.kind == kind)
    return list(session.scalars(stmt.order_by(SyndicatedItem.id)))


def newest_items_for_partner(
    session: Session,
    partner: Partner,
    ids: list[int] | None,
    kinds: Iterable[ItemKind],
    newest: int,
) -> list[SyndicatedItem]:
    """:func:`newest_item_rows` as the items themselves."""
    stmt = _newest_statement(_newest_key(partner, ids, kinds, newest), rows=False)
    if stmt is None:
        return []
    return list(session.scalars(stmt, {access.VISIBLE_AT: utcnow()}))


def newest_item_rows(
    session: Session,
    partner: Partner,
    ids: list[int] | None,
    kinds: Iterable[ItemKind],
    newest: int,
    now: dt.datetime | None = None,
) -> list[Any]:
    """:func:`newest_items_for_partner` as plain rows of what a page shows of an item (id,
    kind, title, content, asset_id): no objects for a public answer that only reads them.
    ``now``: the moment the items' windows are judged at (default: now)."""
    stmt = _newest_statement(_newest_key(partner, ids, kinds, newest), rows=True)
    if stmt is None:
        return []
    return list(session.execute(stmt, {access.VISIBLE_AT: now or utcnow()}))


_NewestKey = tuple[tuple[str, ...] | None, tuple[int, ...] | None, tuple[ItemKind, ...], int]


def _newest_key(
    partner: Partner, ids: list[int] | None, kinds: Iterable[ItemKind], newest: int
) -> _NewestKey:
    """What the newest items' statement depends on, as a value: partners with the same
    audience and embeds with the same choice share one statement."""
    chosen = None if ids is None else tuple(ids)
    return (access.content_audience(partner), chosen, tuple(sorted(kinds)), newest)


@functools.lru_cache(maxsize=512)
def _newest_statement(key: _NewestKey, *, rows: bool) -> Select[Any] | None:
    """:func:`items_for_partner` with ``newest`` for several kinds, in one query and id order:
    each kind's newest visible items read backwards through the (kind, id) index, checked row
    by row, and stopped after ``newest`` (a UNION ALL of one such part per kind). Built once
    per key (building it cost more than running it); the moment is the placeholder
    ``access.VISIBLE_AT``."""
    tags, ids, kinds, newest = key
    parts = []
    for kind in kinds:
        part = select(SyndicatedItem.id).where(
            access.items_visible_to(tags, per_row=True), SyndicatedItem.kind == kind
        )
        if ids is not None:
            part = part.where(SyndicatedItem.id.in_(ids or (0,)))
        parts.append(part.order_by(SyndicatedItem.id.desc()).limit(newest).subquery())
    if not parts:
        return None
    chosen = union_all(*(select(p.c.id) for p in parts)).subquery()
    item = SyndicatedItem
    shown: Select[Any] = (
        select(item.id, item.kind, item.title, item.content, item.asset_id)
        if rows
        else select(item)
    )
    return shown.join(chosen, chosen.c.id == item.id).order_by(item.id)
