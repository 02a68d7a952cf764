"""Partners' embeds: which content, where it may be shown, and the one-line snippet."""

from __future__ import annotations

import html
import secrets
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain import access, audit, brandkits, changes, validation
from prm_domain.enums import EMBED_SHOWS, EmbedKind
from prm_domain.errors import NotFound, ValidationError
from prm_domain.models import Embed, Partner, User
from prm_domain.pagination import Page, paginate
from prm_domain.syndication.items import items_for_partner

FIELDS = {"name", "kind", "items", "allowed_domains", "theme", "enabled"}


def snippet(base_url: str, embed: Embed) -> str:
    src = html.escape(f"{base_url.rstrip('/')}/embed.js", quote=True)
    return f'<script async src="{src}" data-embed="{html.escape(embed.key, quote=True)}"></script>'


def _clean(
    session: Session, partner: Partner, values: Mapping[str, Any], kind: EmbedKind | None
) -> dict[str, Any]:
    problems = {f: "unknown field" for f in values if f not in FIELDS}
    out: dict[str, Any] = {}
    for field, value in values.items():
        try:
            if field == "name":
                out["name"] = validation.text("name", value, max_len=120, required=False)
            elif field == "kind":
                out["kind"] = validation.choice("kind", value, EmbedKind)
            elif field == "enabled":
                if not isinstance(value, bool):
                    raise validation.fail("enabled", "must be true or false")
                out["enabled"] = value
            elif field == "allowed_domains":
                domains = validation.string_list(
                    "allowed_domains", value, max_items=20, max_len=260
                )
                if not domains:
                    raise validation.fail("allowed_domains", "name at least one website host")
                out["allowed_domains"] = sorted({_host(d) for d in domains})
            elif field == "theme":
                out["theme"] = _theme(value)
        except ValidationError as exc:
            problems.update(exc.fields)
    if "items" in values:
        try:
            out["item_ids"] = _items(session, partner, values["items"], out.get("kind", kind))
        except ValidationError as exc:
            problems.update(exc.fields)
    if problems:
        raise ValidationError.for_fields(problems)
    return out


def _host(value: str) -> str:
    """A website host as an Origin names it; a pasted origin ("https://Shop.example.com/")
    counts as its host, so what people copy from the address bar just works."""
    parts = urlsplit(value)
    origin = parts.scheme.lower() in ("http", "https") and parts.path in ("", "/")
    if origin and parts.netloc and not (parts.query or parts.fragment or "@" in parts.netloc):
        value = parts.netloc
    return validation.hostname("allowed_domains", value, allow_port=True, allow_loopback=True)


def _theme(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping) or set(value) - {"primary_color"}:
        raise validation.fail("theme", 'may hold "primary_color" only')
    color = value.get("primary_color")
    if color is not None and not (isinstance(color, str) and brandkits._COLOR.match(color)):
        raise validation.fail("theme.primary_color", "must be a colour like #1a2b3c")
    return {"primary_color": color.lower()} if color else {}


def _items(
    session: Session, partner: Partner, value: Any, kind: EmbedKind | None
) -> list[int] | None:
    if value == "all":
        return None
    if (
        not isinstance(value, list)
        or not value
        or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 < v <= validation.MAX_ID
            for v in value
        )
    ):
        raise validation.fail(
            "items", 'must name at least one item (in the API: "all" or a list of item ids)'
        )
    available = {i.id: i for i in items_for_partner(session, partner, None)}
    unknown = [v for v in value if v not in available]
    if unknown:
        raise validation.fail("items", f"not available to this partner: {unknown}")
    if kind is not None:
        wrong = [v for v in value if available[v].kind not in EMBED_SHOWS[kind]]
        if wrong:
            raise validation.fail("items", f"a {kind.value} embed cannot show items {wrong}")
    return sorted(set(value))


def _partner(session: Session, partner_id: int) -> Partner:
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise NotFound("Partner not found.")
    return partner


def create_embed(
    session: Session, actor: User, partner_id: int, values: Mapping[str, Any]
) -> Embed:
    access.ensure_can_manage_embeds(actor, partner_id)
    partner = _partner(session, partner_id)
    missing = {f: "is required" for f in ("kind", "allowed_domains") if f not in values}
    if missing:
        raise ValidationError.for_fields(missing)
    clean = _clean(session, partner, {"items": "all", **values}, None)
    embed = Embed(
        partner_id=partner.id, key=secrets.token_urlsafe(16), **({"theme": {}, "name": ""} | clean)
    )
    session.add(embed)
    session.flush()
    audit.record(
        session,
        actor,
        "embed.created",
        embed,
        {"kind": embed.kind, "allowed_domains": embed.allowed_domains},
        partner_id=partner.id,
    )
    return embed


def get_embed(session: Session, actor: User, embed_id: int) -> Embed:
    access.ensure_status(actor, access.Area.EMBEDS)
    embed = session.get(Embed, embed_id)
    if embed is None or not access.can_see_partner(actor, embed.partner_id, access.Area.EMBEDS):
        raise NotFound("Embed not found.")
    return embed


def update_embed(session: Session, actor: User, embed_id: int, values: Mapping[str, Any]) -> Embed:
    embed = get_embed(session, actor, embed_id)
    access.ensure_can_manage_embeds(actor, embed.partner_id)
    clean = _clean(session, _partner(session, embed.partner_id), values, embed.kind)
    if "kind" in clean and "item_ids" not in clean and embed.item_ids is not None:
        # A new kind must still fit the chosen items.
        clean["item_ids"] = _items(
            session, _partner(session, embed.partner_id), embed.item_ids, clean["kind"]
        )
    changes = audit.diff(embed, clean)
    for field, value in clean.items():
        setattr(embed, field, value)
    session.flush()
    if changes:
        audit.record(session, actor, "embed.updated", embed, changes, partner_id=embed.partner_id)
    return embed


def delete_embed(session: Session, actor: User, embed_id: int) -> None:
    embed = get_embed(session, actor, embed_id)
    access.ensure_can_manage_embeds(actor, embed.partner_id)
    audit.record(
        session, actor, "embed.deleted", embed, {"key": embed.key}, partner_id=embed.partner_id
    )
    session.delete(embed)
    session.flush()


def embed_names(
    session: Session, actor: User, *, ids: Iterable[int] | None = None, limit: int = 200
) -> list[tuple[int, str, EmbedKind]]:
    """(id, name, kind) of the embeds the actor may see, newest first: the given ``ids`` only,
    or the newest ``limit`` (a filter's choices). Names, not whole embeds: a vendor's lead list
    names embeds of hundreds of partners."""
    stmt = (
        select(Embed.id, Embed.name, Embed.kind)
        .where(access.partner_scope(actor, Embed.partner_id, access.Area.EMBEDS))
        .order_by(Embed.id.desc())
    )
    # The filter's choices are the same on every lead list page, and a page's rows ask the same
    # names again: a web process keeps both until an embed changes (prm_domain.changes).
    if ids is not None:
        wanted = sorted(set(ids))
        if not wanted:
            return []
        stmt = stmt.where(Embed.id.in_(wanted))
    else:
        stmt = stmt.limit(limit)
    kept = changes.kept(
        session,
        "embed_names",
        stmt,
        lambda: tuple((i, name, kind) for i, name, kind in session.execute(stmt)),
    )
    return list(kept)


def list_embeds(session: Session, actor: User, *, page: int = 1, per_page: int = 50) -> Page[Embed]:
    stmt = (
        select(Embed)
        .where(access.partner_scope(actor, Embed.partner_id, access.Area.EMBEDS))
        .order_by(Embed.id.desc())
    )
    return paginate(session, stmt, page=page, per_page=per_page)
