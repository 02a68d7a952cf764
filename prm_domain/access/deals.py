"""Who sees and changes deal registrations and the vendor's direct pipeline.

A partner's people see their organisation's registrations (never another partner's: a 404);
vendor staff see all. Accounts and opportunities are the vendor's own sales data: partners
never read them, they only learn from the conflict check that a customer is taken and why.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, SQLColumnExpression

from prm_domain.access.rights import Right, ensure_vendor, partner_scope, require
from prm_domain.access.status import Area, ensure_status
from prm_domain.errors import NotFound
from prm_domain.models import User


def deal_scope(actor: User, partner_id_column: SQLColumnExpression[int]) -> ColumnElement[bool]:
    """A WHERE clause on registrations: the actor's organisation's, or all for vendor staff."""
    return partner_scope(actor, partner_id_column, Area.DEALS)


def ensure_can_see_deal(actor: User, partner_id: int) -> None:
    ensure_status(actor, Area.DEALS)
    if actor.is_vendor or actor.partner_id == partner_id:
        return
    raise NotFound("Deal not found.")


def ensure_can_register_deals(actor: User) -> None:
    """Partners register; the check (nothing stored) is open to them and to reviewers."""
    require(actor, Right.REGISTER_DEALS, "Only partner staff register deals.")


def ensure_can_check_deals(actor: User) -> None:
    ensure_status(actor, Area.DEALS)
    if not actor.is_vendor:
        ensure_can_register_deals(actor)


def ensure_can_review_deals(actor: User) -> None:
    require(actor, Right.REVIEW_DEALS, "Only channel managers and vendor admins review deals.")


def ensure_can_manage_webhooks(actor: User) -> None:
    """The vendor's CRM connection: a partner asking gets a 404, as for a page not theirs."""
    ensure_vendor(actor, Right.MANAGE_DEAL_WEBHOOKS, "Only vendor admins connect the CRM.")


def ensure_can_manage_accounts(actor: User) -> None:
    """The direct pipeline is the vendor's: a partner asking gets a 404, as for a page that is
    not theirs."""
    ensure_vendor(actor, Right.MANAGE_ACCOUNTS, "Your role does not manage the direct pipeline.")
