"""Deal registration: the conflict check against the vendor's direct pipeline and other
partners' registrations, review, protection, and signed webhooks to the vendor's CRM."""

from __future__ import annotations

from prm_domain.deals.accounts import create_account, import_accounts, list_accounts
from prm_domain.deals.registrations import (
    check,
    get_deal,
    list_deals,
    on_deal_closed_won,
    prefill_from_lead,
    register_deal,
    send_reminders,
    update_deal,
    visible_conflicts,
)
from prm_domain.deals.webhooks import add_webhook, deliver_pending

__all__ = [
    "add_webhook",
    "check",
    "create_account",
    "deliver_pending",
    "get_deal",
    "import_accounts",
    "list_accounts",
    "list_deals",
    "on_deal_closed_won",
    "prefill_from_lead",
    "register_deal",
    "send_reminders",
    "update_deal",
    "visible_conflicts",
]
