"""Lead routing operations: vendor leads (one or a CSV), the pool, a partner's answers and
work on a lead, and the vendor's routing rules."""

from __future__ import annotations

import datetime as dt

from flask import current_app, g

from app import db
from app.api import bp
from app.api.framework import operation
from app.api.leads_schemas import (
    LeadConvertIn,
    LeadConvertOut,
    LeadImportOut,
    LeadIn,
    LeadLostIn,
    RuleIn,
    RuleOut,
    RulePatch,
)
from app.api.schemas import PageOut, PageQuery, loaded, page_out
from app.api.syndication_schemas import LeadOut
from app.errors import ApiError
from prm_domain import access
from prm_domain.deals import registrations
from prm_domain.leads import lifecycle, routing
from prm_domain.models import Lead


def accept_within() -> dt.timedelta:
    return dt.timedelta(hours=current_app.config["LEAD_ACCEPT_HOURS"])


def lead_out(lead: Lead) -> LeadOut:
    """A lead as its reader may see it: without email and phone until the partner owns it."""
    out = LeadOut.model_validate(loaded(lead, LeadOut))
    if not access.can_see_lead_contact(g.user, lead.state, lead.partner_id):
        out = out.model_copy(update={"email": "", "phone": "", "contact_hidden": True})
    return out


@operation(
    bp,
    "/leads",
    "POST",
    summary="Add a vendor lead; the routing rules offer it to a partner or pool it",
    tag="leads",
    body=LeadIn,
    response=LeadOut,
    status=201,
    errors=(403, 422),
)
def create_lead(body: LeadIn) -> LeadOut:
    values = body.model_dump(mode="json", exclude_none=True)
    lead = lifecycle.create_lead(db.session(), g.user, values, accept_within=accept_within())
    db.session().commit()
    return lead_out(lead)


@operation(
    bp,
    "/leads/import",
    "POST",
    summary="Import vendor leads from CSV (header: name, email, company, phone, country, "
    "region, vertical, message; email required); all rows or none",
    tag="leads",
    upload=True,
    response=LeadImportOut,
    status=201,
    errors=(403, 413, 422),
)
def import_leads(data: bytes) -> LeadImportOut:
    result = lifecycle.import_leads(db.session(), g.user, data, accept_within=accept_within())
    db.session().commit()
    return LeadImportOut(created=len(result.created), lead_ids=[le.id for le in result.created])


@operation(
    bp,
    "/leads/pool",
    "GET",
    summary="Leads in the pool: all (vendor) or those your organisation may claim",
    tag="leads",
    query=PageQuery,
    response=PageOut[LeadOut],
    errors=(403,),
)
def lead_pool(query: PageQuery) -> PageOut[LeadOut]:
    page = lifecycle.list_pool(db.session(), g.user, **query.model_dump())
    return page_out(page, lead_out)


def _answer(lead: Lead) -> LeadOut:
    db.session().commit()
    return lead_out(lead)


@operation(
    bp,
    "/leads/<id:lead_id>/accept",
    "POST",
    summary="Accept a lead offered to your organisation (partner admins)",
    tag="leads",
    response=LeadOut,
    errors=(403, 409),
)
def accept_lead(lead_id: int) -> LeadOut:
    return _answer(lifecycle.accept_lead(db.session(), g.user, lead_id))


@operation(
    bp,
    "/leads/<id:lead_id>/decline",
    "POST",
    summary="Decline a lead offered to your organisation: it moves on (partner admins)",
    tag="leads",
    response=LeadOut,
    errors=(403, 409),
)
def decline_lead(lead_id: int) -> LeadOut:
    return _answer(
        lifecycle.decline_lead(db.session(), g.user, lead_id, accept_within=accept_within())
    )


@operation(
    bp,
    "/leads/<id:lead_id>/claim",
    "POST",
    summary="Claim a lead from the pool (partner admins); 409 when another partner was first",
    tag="leads",
    response=LeadOut,
    errors=(403, 409),
)
def claim_lead(lead_id: int) -> LeadOut:
    return _answer(lifecycle.claim_lead(db.session(), g.user, lead_id))


@operation(
    bp,
    "/leads/<id:lead_id>/working",
    "POST",
    summary="Mark an accepted lead as being worked",
    tag="leads",
    response=LeadOut,
    errors=(403, 409),
)
def work_lead(lead_id: int) -> LeadOut:
    return _answer(lifecycle.start_working(db.session(), g.user, lead_id))


@operation(
    bp,
    "/leads/<id:lead_id>/convert",
    "POST",
    summary="Record that a lead became a deal registration; returns the deal form's prefill",
    tag="leads",
    body=LeadConvertIn,
    response=LeadConvertOut,
    errors=(403, 409, 422),
)
def convert_lead(lead_id: int, body: LeadConvertIn) -> LeadConvertOut:
    lead = lifecycle.convert_lead(db.session(), g.user, lead_id, body.deal_id)
    db.session().commit()
    return LeadConvertOut(lead=lead_out(lead), deal_prefill=registrations.prefill_from_lead(lead))


@operation(
    bp,
    "/leads/<id:lead_id>/lost",
    "POST",
    summary="Mark a lead as lost, with the reason",
    tag="leads",
    body=LeadLostIn,
    response=LeadOut,
    errors=(403, 409, 422),
)
def lose_lead(lead_id: int, body: LeadLostIn) -> LeadOut:
    return _answer(lifecycle.lose_lead(db.session(), g.user, lead_id, body.reason))


# -- routing rules (vendor) -------------------------------------------------------------------


@operation(
    bp,
    "/lead-routing-rules",
    "GET",
    summary="Lead routing rules, in the order they are tried",
    tag="leads",
    query=PageQuery,
    response=PageOut[RuleOut],
    errors=(403,),
)
def list_rules(query: PageQuery) -> PageOut[RuleOut]:
    page = routing.list_rules(db.session(), g.user, **query.model_dump())
    return page_out(page, RuleOut.model_validate)


@operation(
    bp,
    "/lead-routing-rules",
    "POST",
    summary="Add a lead routing rule",
    tag="leads",
    body=RuleIn,
    response=RuleOut,
    status=201,
    errors=(403, 422),
)
def create_rule(body: RuleIn) -> RuleOut:
    rule = routing.create_rule(db.session(), g.user, body.model_dump(mode="json"))
    db.session().commit()
    return RuleOut.model_validate(rule)


@operation(
    bp,
    "/lead-routing-rules/<id:rule_id>",
    "PATCH",
    summary="Change a lead routing rule (capacity null: no limit)",
    tag="leads",
    body=RulePatch,
    response=RuleOut,
    errors=(403, 422),
)
def update_rule(rule_id: int, body: RulePatch) -> RuleOut:
    values = body.model_dump(mode="json", exclude_unset=True)
    nulls = {k: "may not be null" for k, v in values.items() if v is None and k != "capacity"}
    if nulls:
        raise ApiError(422, "invalid_fields", "Invalid value for: " + ", ".join(nulls) + ".", nulls)
    rule = routing.update_rule(db.session(), g.user, rule_id, values)
    db.session().commit()
    return RuleOut.model_validate(rule)


@operation(
    bp,
    "/lead-routing-rules/<id:rule_id>",
    "DELETE",
    summary="Delete a lead routing rule",
    tag="leads",
    status=204,
    errors=(403,),
)
def delete_rule(rule_id: int) -> None:
    routing.delete_rule(db.session(), g.user, rule_id)
    db.session().commit()
