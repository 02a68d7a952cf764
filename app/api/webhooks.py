"""The vendor's CRM connection: deal webhooks (signed), their secrets and delivery log."""

from __future__ import annotations

from flask import current_app, g

from app import db
from app.api import bp
from app.api.deals_schemas import (
    DeliveryOut,
    WebhookCreatedOut,
    WebhookIn,
    WebhookListOut,
    WebhookOut,
)
from app.api.framework import operation
from app.api.schemas import PageOut, PageQuery, page_out
from prm_domain.deals import webhooks
from prm_domain.models import DealWebhook, WebhookDelivery

TAG = "deals"


def delivery_out(delivery: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id,
        event_id=delivery.event_id,
        type=webhooks.event_type(delivery),
        status=webhooks.delivery_status(delivery),  # type: ignore[arg-type]
        attempts=delivery.attempts,
        last_error=delivery.last_error,
        delivered_at=delivery.delivered_at,
        created_at=delivery.created_at,
    )


def webhook_out(state: webhooks.WebhookState) -> WebhookOut:
    hook: DealWebhook = state.webhook
    return WebhookOut(
        id=hook.id,
        url=hook.url,
        active=hook.active,
        created_at=hook.created_at,
        last_delivery=delivery_out(state.last) if state.last else None,
        pending=state.pending,
        failed=state.failed,
    )


@operation(
    bp,
    "/webhooks",
    "GET",
    summary="The CRM's deal webhooks, each with its latest delivery",
    tag=TAG,
    response=WebhookListOut,
    errors=(403,),
)
def list_webhooks() -> WebhookListOut:
    found = webhooks.list_webhooks(db.session(), g.user)
    return WebhookListOut(items=[webhook_out(s) for s in found])


@operation(
    bp,
    "/webhooks",
    "POST",
    summary="Add a deal webhook: every deal change is POSTed to it, signed; the secret is "
    "shown in this answer only",
    tag=TAG,
    body=WebhookIn,
    response=WebhookCreatedOut,
    status=201,
    errors=(403,),
)
def create_webhook(body: WebhookIn) -> WebhookCreatedOut:
    allow = bool(current_app.config["PUBLISH_ALLOW_PRIVATE_HOSTS"])
    hook = webhooks.add_webhook(db.session(), g.user, body.url, allow_private_hosts=allow)
    db.session().commit()
    return WebhookCreatedOut(
        id=hook.id, url=hook.url, active=hook.active, created_at=hook.created_at, secret=hook.secret
    )


@operation(
    bp,
    "/webhooks/<id:webhook_id>",
    "DELETE",
    summary="Remove a deal webhook (its undelivered events and log go with it)",
    tag=TAG,
    status=204,
    errors=(403,),
)
def delete_webhook(webhook_id: int) -> None:
    webhooks.delete_webhook(db.session(), g.user, webhook_id)
    db.session().commit()


@operation(
    bp,
    "/webhooks/<id:webhook_id>/deliveries",
    "GET",
    summary="A deal webhook's delivery log, newest first",
    tag=TAG,
    query=PageQuery,
    response=PageOut[DeliveryOut],
    errors=(403,),
)
def list_webhook_deliveries(webhook_id: int, query: PageQuery) -> PageOut[DeliveryOut]:
    page = webhooks.list_deliveries(
        db.session(), g.user, webhook_id, page=query.page, per_page=query.per_page
    )
    return page_out(page, delivery_out)
