"""Deal registration operations: the direct pipeline, the conflict check, registrations."""

from __future__ import annotations

from flask import g

from app import db
from app.api import bp
from app.api.deals_schemas import (
    AccountIn,
    AccountOut,
    AccountQuery,
    CheckIn,
    CheckOut,
    DealIn,
    DealOut,
    DealPatch,
    DealQuery,
    ImportOut,
)
from app.api.framework import operation
from app.api.schemas import PageOut, page_out
from app.celery_app import enqueue
from prm_domain import deals
from prm_domain.models import DealRegistration, User

DEAL_FIELDS = tuple(f for f in DealOut.model_fields if f not in ("conflicts", "flagged"))


def deal_out(deal: DealRegistration, viewer: User) -> DealOut:
    """The deal as ``viewer`` may read it: another partner's registration in its conflicts is
    never named."""
    values = {f: getattr(deal, f) for f in DEAL_FIELDS}
    return DealOut.model_validate(
        {**values, "flagged": deal.flagged, "conflicts": deals.visible_conflicts(deal, viewer)}
    )


def _send_webhooks() -> None:
    # After the commit: the deliveries the change recorded are there for the task to read.
    enqueue("cobrand.deliver_deal_webhooks")


@operation(
    bp,
    "/accounts",
    "GET",
    summary="The vendor's direct accounts and their opportunities",
    tag="deals",
    query=AccountQuery,
    response=PageOut[AccountOut],
    errors=(403,),
)
def list_accounts(query: AccountQuery) -> PageOut[AccountOut]:
    page = deals.list_accounts(
        db.session(), g.user, q=query.q or "", page=query.page, per_page=query.per_page
    )
    return page_out(page, AccountOut.model_validate)


@operation(
    bp,
    "/accounts",
    "POST",
    summary="Add a direct account (with open opportunities)",
    tag="deals",
    body=AccountIn,
    response=AccountOut,
    status=201,
    errors=(403, 409),
)
def create_account(body: AccountIn) -> AccountOut:
    account = deals.create_account(db.session(), g.user, body.model_dump())
    db.session().commit()
    return AccountOut.model_validate(account)


@operation(
    bp,
    "/accounts/import",
    "POST",
    summary='Import accounts from CSV (name, domain, aliases separated by ";", owner, stage); '
    "all rows or none",
    tag="deals",
    upload=True,
    response=ImportOut,
    status=201,
    errors=(403,),
)
def import_accounts(data: bytes) -> ImportOut:
    count = deals.import_accounts(db.session(), g.user, data)
    db.session().commit()
    return ImportOut(imported=count)


@operation(
    bp,
    "/deals/check",
    "POST",
    summary="Check a customer for conflicts while the form is typed (nothing is stored)",
    tag="deals",
    body=CheckIn,
    response=CheckOut,
    errors=(403,),
)
def check_deal(body: CheckIn) -> CheckOut:
    found = deals.check(db.session(), g.user, body.company, body.contact_email)
    return CheckOut.model_validate({"conflicts": found})


@operation(
    bp,
    "/deals",
    "GET",
    summary="Deal registrations: your organisation's (vendor staff: all)",
    tag="deals",
    query=DealQuery,
    response=PageOut[DealOut],
)
def list_deals(query: DealQuery) -> PageOut[DealOut]:
    page = deals.list_deals(
        db.session(),
        g.user,
        status=query.status,
        flagged=query.flagged,
        q=query.q or "",
        page=query.page,
        per_page=query.per_page,
    )
    return page_out(page, lambda d: deal_out(d, g.user))


@operation(
    bp,
    "/deals",
    "POST",
    summary="Register a deal; the conflict check runs at once and its findings are kept",
    tag="deals",
    body=DealIn,
    response=DealOut,
    status=201,
    errors=(403,),
)
def register_deal(body: DealIn) -> DealOut:
    values = body.model_dump(exclude={"lead_id"})
    if body.lead_id is not None:
        deal = deals.registrations.register_deal_from_lead(
            db.session(), g.user, body.lead_id, values
        )
    else:
        deal = deals.register_deal(db.session(), g.user, values)
    db.session().commit()
    _send_webhooks()
    return deal_out(deal, g.user)


@operation(bp, "/deals/<id:deal_id>", "GET", summary="One deal", tag="deals", response=DealOut)
def get_deal(deal_id: int) -> DealOut:
    return deal_out(deals.get_deal(db.session(), g.user, deal_id), g.user)


@operation(
    bp,
    "/deals/<id:deal_id>",
    "PATCH",
    summary="Review (vendor: status, reason, CRM stage, extension decision) or edit and ask "
    "for an extension (partner)",
    tag="deals",
    body=DealPatch,
    response=DealOut,
    errors=(403, 409),
)
def update_deal(deal_id: int, body: DealPatch) -> DealOut:
    deal = deals.update_deal(db.session(), g.user, deal_id, body.model_dump(exclude_unset=True))
    db.session().commit()
    _send_webhooks()
    return deal_out(deal, g.user)
