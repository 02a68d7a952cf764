"""Syndication operations: vendor items, partners' embeds, leads, stats."""

from __future__ import annotations

from flask import Response, g

from app import db
from app.api import bp
from app.api.framework import operation
from app.api.leads import lead_out
from app.api.library import base_url
from app.api.schemas import PageOut, PageQuery, page_out
from app.api.syndication_schemas import (
    EmbedIn,
    EmbedOut,
    EmbedPatch,
    ItemIn,
    ItemOut,
    ItemPatch,
    ItemQuery,
    LeadOut,
    LeadPatch,
    LeadQuery,
    StatsOut,
    StatsQuery,
    VendorItemOut,
)
from app.errors import ApiError
from prm_domain.models import Embed, SyndicatedItem
from prm_domain.syndication import embeds, events, items, leads


def _item_out(item: SyndicatedItem) -> ItemOut:
    return (VendorItemOut if g.user.is_vendor else ItemOut).model_validate(item)


def _embed_out(embed: Embed) -> EmbedOut:
    return EmbedOut(
        id=embed.id,
        partner_id=embed.partner_id,
        key=embed.key,
        name=embed.name,
        kind=embed.kind,
        items="all" if embed.item_ids is None else embed.item_ids,
        allowed_domains=embed.allowed_domains,
        theme=embed.theme,
        enabled=embed.enabled,
        snippet=embeds.snippet(base_url(), embed),
        created_at=embed.created_at,
    )


def _no_nulls(values: dict[str, object], nullable: set[str]) -> None:
    nulls = {k: "may not be null" for k, v in values.items() if v is None and k not in nullable}
    if nulls:
        raise ApiError(422, "invalid_fields", "Invalid value for: " + ", ".join(nulls) + ".", nulls)


@operation(
    bp,
    "/syndication/items",
    "GET",
    summary="Syndicated items: all (vendor) or what your audience gets",
    tag="syndication",
    query=ItemQuery,
    response=PageOut[ItemOut],
)
def list_items(query: ItemQuery) -> PageOut[ItemOut]:
    page = items.list_items(db.session(), g.user, **query.model_dump())
    return page_out(page, _item_out)


@operation(
    bp,
    "/syndication/items",
    "POST",
    summary="Add a banner, product card, resource or lead form",
    tag="syndication",
    body=ItemIn,
    response=VendorItemOut,
    status=201,
    errors=(403,),
)
def create_item(body: ItemIn) -> ItemOut:
    item = items.create_item(db.session(), g.user, body.model_dump(mode="python"))
    db.session().commit()
    return _item_out(item)


@operation(
    bp,
    "/syndication/items/<id:item_id>",
    "GET",
    summary="One item",
    tag="syndication",
    response=VendorItemOut,
)
def get_item(item_id: int) -> ItemOut:
    return _item_out(items.get_item(db.session(), g.user, item_id))


@operation(
    bp,
    "/syndication/items/<id:item_id>",
    "PATCH",
    summary="Change an item",
    tag="syndication",
    body=ItemPatch,
    response=VendorItemOut,
    errors=(403,),
)
def update_item(item_id: int, body: ItemPatch) -> ItemOut:
    values = body.model_dump(exclude_unset=True)
    _no_nulls(values, {"asset_id", "starts_at", "ends_at"})
    item = items.update_item(db.session(), g.user, item_id, values)
    db.session().commit()
    return _item_out(item)


@operation(
    bp,
    "/syndication/items/<id:item_id>",
    "DELETE",
    summary="Delete an item",
    tag="syndication",
    status=204,
    errors=(403,),
)
def delete_item(item_id: int) -> None:
    items.delete_item(db.session(), g.user, item_id)
    db.session().commit()


@operation(
    bp,
    "/embeds",
    "GET",
    summary="Embeds of your organisation (vendors: all)",
    tag="syndication",
    query=PageQuery,
    response=PageOut[EmbedOut],
)
def list_embeds(query: PageQuery) -> PageOut[EmbedOut]:
    page = embeds.list_embeds(db.session(), g.user, **query.model_dump())
    return page_out(page, _embed_out)


@operation(
    bp,
    "/embeds",
    "POST",
    summary="Create an embed; the answer holds its one-line snippet",
    tag="syndication",
    body=EmbedIn,
    response=EmbedOut,
    status=201,
    errors=(403,),
)
def create_embed(body: EmbedIn) -> EmbedOut:
    partner_id = body.partner_id or g.user.partner_id
    if partner_id is None:
        raise ApiError(422, "invalid_fields", "Name the partner.", {"partner_id": "is required"})
    values = body.model_dump(exclude={"partner_id"})
    embed = embeds.create_embed(db.session(), g.user, partner_id, values)
    db.session().commit()
    return _embed_out(embed)


@operation(
    bp, "/embeds/<id:embed_id>", "GET", summary="One embed", tag="syndication", response=EmbedOut
)
def get_embed(embed_id: int) -> EmbedOut:
    return _embed_out(embeds.get_embed(db.session(), g.user, embed_id))


@operation(
    bp,
    "/embeds/<id:embed_id>",
    "PATCH",
    summary="Change an embed",
    tag="syndication",
    body=EmbedPatch,
    response=EmbedOut,
    errors=(403,),
)
def update_embed(embed_id: int, body: EmbedPatch) -> EmbedOut:
    values = body.model_dump(exclude_unset=True)
    _no_nulls(values, set())
    embed = embeds.update_embed(db.session(), g.user, embed_id, values)
    db.session().commit()
    return _embed_out(embed)


@operation(
    bp,
    "/embeds/<id:embed_id>",
    "DELETE",
    summary="Delete an embed (its snippet stops working)",
    tag="syndication",
    status=204,
    errors=(403,),
)
def delete_embed(embed_id: int) -> None:
    embeds.delete_embed(db.session(), g.user, embed_id)
    db.session().commit()


@operation(
    bp,
    "/embeds/<id:embed_id>/stats",
    "GET",
    summary="Impressions, clicks, click-through rate and leads per day and item",
    tag="syndication",
    query=StatsQuery,
    response=StatsOut,
)
def embed_stats(embed_id: int, query: StatsQuery) -> StatsOut:
    return StatsOut.model_validate(events.stats(db.session(), g.user, embed_id, days=query.days))


@operation(
    bp,
    "/leads",
    "GET",
    summary="Leads: your organisation's (partner users: those assigned to them; vendors: all)",
    tag="leads",
    query=LeadQuery,
    response=PageOut[LeadOut],
)
def list_leads(query: LeadQuery) -> PageOut[LeadOut]:
    page = leads.list_leads(db.session(), g.user, **query.model_dump())
    return page_out(page, lead_out)


@operation(
    bp,
    "/leads/export.csv",
    "GET",
    summary="Leads as CSV (cells never start a formula)",
    tag="leads",
    produces=("text/csv",),
)
def export_leads() -> Response:
    data = leads.export_csv(db.session(), g.user)
    response = Response(data, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="leads.csv"'
    return response


@operation(bp, "/leads/<id:lead_id>", "GET", summary="One lead", tag="leads", response=LeadOut)
def get_lead(lead_id: int) -> LeadOut:
    return lead_out(leads.get_lead(db.session(), g.user, lead_id))


@operation(
    bp,
    "/leads/<id:lead_id>",
    "PATCH",
    summary="Assign a lead to a member of its organisation (partner admins)",
    tag="leads",
    body=LeadPatch,
    response=LeadOut,
    errors=(403, 422),
)
def assign_lead(lead_id: int, body: LeadPatch) -> LeadOut:
    lead = leads.assign_lead(db.session(), g.user, lead_id, body.assigned_user_id)
    db.session().commit()
    return lead_out(lead)
