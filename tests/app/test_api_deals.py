"""Deal registration over the API: the direct pipeline, the check, review, protection, webhooks."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prm_domain import deals
from prm_domain.deals import webhooks
from prm_domain.enums import DealStatus, Role
from prm_domain.models import (
    CrmAccount,
    DealRegistration,
    DealTierPolicy,
    Notification,
    Partner,
    User,
    WebhookDelivery,
)


def deal_body(**kw: Any) -> dict[str, Any]:
    return {
        "company": "Nordwind Logistik GmbH",
        "contact_name": "Ada Berg",
        "contact_email": "ada@nordwind.example",
        "country": "DE",
        "products": ["Cobrand Suite"],
        "estimated_value": "25000.50",
        "expected_close": "2027-03-31",
        "notes": "",
    } | kw


@pytest.fixture
def world(make_user: Callable[..., User], make_partner: Callable[..., Partner], api_as: Any) -> Any:
    class W:
        pass

    w = W()
    w.vendor = api_as(make_user(Role.CHANNEL_MANAGER))  # type: ignore[attr-defined]
    w.coral = make_partner()  # type: ignore[attr-defined]
    w.everest = make_partner()  # type: ignore[attr-defined]
    w.coral_api = api_as(make_user(Role.PARTNER_USER, w.coral))  # type: ignore[attr-defined]
    w.everest_api = api_as(make_user(Role.PARTNER_ADMIN, w.everest))  # type: ignore[attr-defined]
    return w


class Receiver(http.server.BaseHTTPRequestHandler):
    got: list[tuple[dict[str, str], bytes]] = []  # noqa: RUF012 - filled per test
    fail_next = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Receiver.fail_next:
            Receiver.fail_next -= 1
            self.send_response(503)
        else:
            Receiver.got.append((dict(self.headers), body))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.got = []
    Receiver.fail_next = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_accounts_import_check_and_redacted_registration_conflicts(
    world: Any, session: Session
) -> None:
    csv_ok = (
        b"name,domain,aliases,owner,stage\n"
        b"General Electric Company,ge.com,GE;G.E.,Kim,Customer\n"
        b"Initech LLC,initech.example,,Lee,Prospect\n"
    )
    # A bad file stores nothing and names row and field.
    bad = csv_ok + b"Globex Corp,not a domain,,,\n,x.example,,,\n"
    r = world.vendor.post("/api/v1/accounts/import", data=bad)
    assert r.status_code == 422, r.json
    assert set(r.json["error"]["fields"]) == {"row 4: domain", "row 5: name"}
    assert session.scalar(select(func.count()).select_from(CrmAccount)) == 0
    r = world.vendor.post("/api/v1/accounts/import", data=csv_ok)
    assert (r.status_code, r.json) == (201, {"imported": 2})
    r = world.vendor.post(
        "/api/v1/accounts",
        {"name": "Globex Corporation", "opportunities": [{"name": "Fleet", "stage": "Proposal"}]},
    )
    assert r.status_code == 201, r.json
    assert world.vendor.post("/api/v1/accounts", {"name": "GLOBEX corp."}).status_code == 409
    assert world.vendor.get("/api/v1/accounts?q=globex").json["total"] == 1
    assert world.coral_api.get("/api/v1/accounts").status_code == 404  # the vendor's own data

    r = world.coral_api.post("/api/v1/deals/check", {"company": "Globex Inc"})
    [c] = r.json["conflicts"]
    assert c["source"] == "opportunity"
    assert c["reason"] == "Active direct opportunity: Globex Corporation, stage Proposal"
    r = world.coral_api.post("/api/v1/deals/check", {"company": "GE"})
    assert [c["name"] for c in r.json["conflicts"]] == ["General Electric Company"]
    # The contact's domain finds the account whatever the company is called; free mail does not.
    by_mail = {"company": "Zeta Holdings", "contact_email": "x@initech.example"}
    assert world.coral_api.post("/api/v1/deals/check", by_mail).json["conflicts"][0]["id"]
    by_mail["contact_email"] = "x@gmail.com"
    assert world.coral_api.post("/api/v1/deals/check", by_mail).json["conflicts"] == []
    assert session.scalar(select(func.count()).select_from(DealRegistration)) == 0

    r = world.everest_api.post("/api/v1/deals", deal_body())
    assert r.status_code == 201, r.json
    assert (r.json["status"], r.json["flagged"], r.json["estimated_value"]) == (
        "pending",
        False,
        "25000.50",
    )
    first = r.json["id"]
    # Another partner: told it clashes, not with whom nor which deal.
    r = world.coral_api.post("/api/v1/deals", deal_body(company="Nordwind Logistics"))
    assert r.status_code == 201
    [c] = r.json["conflicts"]
    assert (c["source"], c["id"], c["name"]) == ("registration", None, None)
    assert world.everest.name not in json.dumps(r.json)
    assert world.coral_api.get(f"/api/v1/deals/{first}").status_code == 404
    # The vendor sees who.
    got = world.vendor.get(f"/api/v1/deals/{r.json['id']}").json
    assert got["conflicts"][0]["id"] == first
    assert world.everest.name in got["conflicts"][0]["reason"]
    assert world.vendor.get("/api/v1/deals?flagged=true").json["items"][0]["id"] == r.json["id"]
    assert world.coral_api.get("/api/v1/deals").json["total"] == 1


def test_review_protection_extension_stage_and_signed_webhooks(
    world: Any, session: Session, make_user: Callable[..., User], receiver: str
) -> None:
    secret = webhooks.add_webhook(
        session, make_user(Role.VENDOR_ADMIN), receiver, allow_private_hosts=True
    ).secret
    session.add(DealTierPolicy(tier_id=world.coral.tier_id, auto_approve=True, protection_days=60))
    session.commit()
    # Clean, and the tier allows it: approved at once, protected for the tier's 60 days.
    r = world.coral_api.post("/api/v1/deals", deal_body())
    assert r.json["status"] == "approved"
    today = dt.datetime.now(dt.UTC).date()
    assert r.json["protected_until"] == (today + dt.timedelta(days=60)).isoformat()
    deal_id = r.json["id"]
    headers, body = Receiver.got[-1]
    assert json.loads(body)["type"] == "deal.created"
    assert webhooks.verify(secret, body, headers["X-Cobrand-Signature"], now=time.time())
    assert not webhooks.verify("wrong", body, headers["X-Cobrand-Signature"], now=time.time())
    # A receiver given non-ASCII text (compare_digest raises TypeError on it): just False.
    forged = f"t={int(time.time())},v1=caf\u00e9"
    assert not webhooks.verify(secret, body, forged, now=time.time())

    # Partners may not review; the vendor may not edit the partner's form.
    r = world.coral_api.patch(f"/api/v1/deals/{deal_id}", {"status": "won"})
    assert r.status_code == 403
    assert world.vendor.patch(f"/api/v1/deals/{deal_id}", {"notes": "x"}).status_code == 403
    r = world.coral_api.patch(
        f"/api/v1/deals/{deal_id}", {"extension": "requested", "extension_reason": "Board delay"}
    )
    assert r.json["extension_status"] == "pending"
    r = world.vendor.patch(
        f"/api/v1/deals/{deal_id}", {"extension": "approved", "stage": "Proposal"}
    )
    assert (r.json["extension_status"], r.json["stage"]) == ("approved", "Proposal")
    assert r.json["protected_until"] == (today + dt.timedelta(days=120)).isoformat()

    # A failed delivery is retried with the same event id and body.
    Receiver.fail_next = 1
    r = world.vendor.patch(f"/api/v1/deals/{deal_id}", {"status": "won"})
    assert r.json["status"] == "won"
    pending = session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.delivered_at.is_(None))
    ).all()
    assert [p.attempts for p in pending] == [1]
    event_id = pending[0].event_id
    session.commit()
    assert deals.deliver_pending(session, allow_private_hosts=True) == 1
    # Idempotent: nothing sent twice.
    assert deals.deliver_pending(session, allow_private_hosts=True) == 0
    assert Receiver.got[-1][0]["X-Cobrand-Event-Id"] == event_id
    assert json.loads(Receiver.got[-1][1])["deal"]["status"] == "won"
    assert len(Receiver.got) == 4
    assert world.vendor.patch(f"/api/v1/deals/{deal_id}", {"status": "pending"}).status_code == 409


def test_reject_needs_a_reason_and_reminders_run_once(
    world: Any, session: Session, make_user: Callable[..., User]
) -> None:
    r = world.coral_api.post("/api/v1/deals", deal_body())
    deal_id = r.json["id"]
    r = world.vendor.patch(f"/api/v1/deals/{deal_id}", {"status": "rejected"})
    assert r.status_code == 422 and "decision_reason" in r.json["error"]["fields"]
    r = world.vendor.patch(f"/api/v1/deals/{deal_id}", {"status": "approved"})
    assert r.json["protected_until"]
    bad = world.coral_api.post("/api/v1/deals", deal_body(estimated_value=12.5, country="XX"))
    assert bad.status_code == 422
    assert session.scalar(select(func.count()).select_from(DealRegistration)) == 1

    deal = session.get(DealRegistration, deal_id)
    assert deal is not None
    start = deal.decided_at.date() if deal.decided_at else dt.date.today()
    assert deals.send_reminders(session, start + dt.timedelta(days=31)) == 1
    assert deals.send_reminders(session, start + dt.timedelta(days=31)) == 0
    assert deals.send_reminders(session, start + dt.timedelta(days=61)) == 1
    assert deals.send_reminders(session, start + dt.timedelta(days=91)) == 1
    assert deal.status == DealStatus.EXPIRED
    texts = session.scalars(
        select(Notification.text).where(Notification.kind == "deal").order_by(Notification.id)
    ).all()
    assert len(texts) == 4 and "protection ended on" in texts[-1]
    # Approved again: a new term, with its own reminders.
    session.commit()
    r = world.vendor.patch(f"/api/v1/deals/{deal_id}", {"status": "approved"})
    assert r.status_code == 200 and r.json["status"] == "approved"
    session.refresh(deal)
    again = deal.decided_at.date() if deal.decided_at else start
    assert deals.send_reminders(session, again + dt.timedelta(days=31)) == 1
    # An extension decided is told to the partner.
    session.commit()
    body = {"extension": "requested", "extension_reason": "Board meets in March"}
    assert world.coral_api.patch(f"/api/v1/deals/{deal_id}", body).status_code == 200
    r = world.vendor.patch(f"/api/v1/deals/{deal_id}", {"extension": "denied"})
    assert r.status_code == 200 and r.json["extension_status"] == "denied"
    last = session.scalars(
        select(Notification.text)
        .where(Notification.kind == "deal")
        .order_by(Notification.id.desc())
    ).first()
    assert last is not None and "extension denied" in last


def test_webhooks_are_managed_over_the_api_with_a_delivery_log(
    app: Any, world: Any, session: Session, make_user: Callable[..., User], api_as: Any,
    receiver: str,
) -> None:  # fmt: skip
    admin = api_as(make_user(Role.VENDOR_ADMIN))
    # Only vendor admins connect the CRM; a partner is told the page does not exist.
    assert world.vendor.get("/api/v1/webhooks").status_code == 403
    assert world.everest_api.get("/api/v1/webhooks").status_code == 404
    assert world.everest_api.post("/api/v1/webhooks", {"url": receiver}).status_code == 404
    # The SSRF guard: with private hosts not allowed (production), loopback is refused by field.
    app.config["PUBLISH_ALLOW_PRIVATE_HOSTS"] = False
    try:
        for url in (
            "http://127.0.0.1:8080/hook",
            "http://metadata.google.internal/",
            "ftp://x.example/",
        ):
            r = admin.post("/api/v1/webhooks", {"url": url})
            assert r.status_code == 422 and "url" in r.json["error"]["fields"], (url, r.json)
    finally:
        app.config["PUBLISH_ALLOW_PRIVATE_HOSTS"] = True
    assert admin.get("/api/v1/webhooks").json["items"] == []
    created = admin.post("/api/v1/webhooks", {"url": receiver})
    assert created.status_code == 201 and len(created.json["secret"]) == 64
    hook_id = created.json["id"]
    listed = admin.get("/api/v1/webhooks").json["items"]
    assert [h["id"] for h in listed] == [hook_id] and "secret" not in listed[0]
    assert listed[0]["last_delivery"] is None
    # The receiver is down for the first try: the log says so, and it is tried again.
    Receiver.fail_next = 1
    assert world.coral_api.post("/api/v1/deals", deal_body()).status_code == 201
    last = admin.get("/api/v1/webhooks").json["items"][0]
    assert last["last_delivery"]["status"] == "pending" and last["pending"] == 1
    assert last["last_delivery"]["last_error"] == "HTTP 503"
    assert last["last_delivery"]["type"] == "deal.created"
    webhooks.deliver_pending(session, allow_private_hosts=True)
    session.commit()
    log = admin.get(f"/api/v1/webhooks/{hook_id}/deliveries").json
    assert log["total"] == 1 and log["items"][0]["status"] == "delivered"
    assert log["items"][0]["attempts"] == 2
    headers, body = Receiver.got[-1]
    assert webhooks.verify(
        created.json["secret"], body, headers["X-Cobrand-Signature"], now=time.time()
    )
    # Removed: nothing more is recorded for it, its log goes with it.
    assert admin.delete(f"/api/v1/webhooks/{hook_id}").status_code == 204
    assert admin.get(f"/api/v1/webhooks/{hook_id}/deliveries").status_code == 404
    assert admin.delete(f"/api/v1/webhooks/{hook_id}").status_code == 404
    assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
