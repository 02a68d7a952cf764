"""The conflict check: a company (and contact email) against the direct pipeline and the
registrations of partners. Reads a shortlist through ``deal_match_key``, scores it in memory."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from prm_domain.deals import matching, names
from prm_domain.enums import DealStatus
from prm_domain.models import CrmAccount, DealMatchKey, DealRegistration, Partner, User

# Registrations that still hold a customer.
ACTIVE = (DealStatus.PENDING, DealStatus.APPROVED)
OTHER_PARTNER = "Another partner has already registered a deal for this customer."


def find_conflicts(
    session: Session,
    company: str,
    contact_email: str | None = None,
    *,
    exclude_deal_id: int | None = None,
) -> list[dict[str, Any]]:
    """Every conflict in full (the vendor's view): source, id, name, score, reason, and the
    registering partner's id for registrations. ``redact`` makes a partner's view of it."""
    keys = matching.query_keys(company, contact_email)
    if not keys:
        return []
    # Keys shared by too many names shortlist nothing (matching.MAX_POSTING); counted first,
    # on the index, so a common word never loads thousands of rows.
    counts = session.execute(
        select(DealMatchKey.key, func.count())
        .where(DealMatchKey.key.in_(keys))
        .group_by(DealMatchKey.key)
    ).all()
    useful = [k for k, n in counts if n <= matching.MAX_POSTING or k.startswith(matching.ALWAYS)]
    if not useful:
        return []
    refs = session.execute(
        select(DealMatchKey.source, DealMatchKey.ref_id)
        .where(DealMatchKey.key.in_(useful))
        .distinct()
    ).all()
    account_ids = {r for s, r in refs if s == "account"}
    deal_ids = {r for s, r in refs if s == "registration"} - {exclude_deal_id or 0}
    out: list[dict[str, Any]] = []
    if account_ids:
        accounts = {
            a.id: a
            for a in session.scalars(
                select(CrmAccount)
                .where(CrmAccount.id.in_(account_ids))
                .options(selectinload(CrmAccount.opportunities))
            )
        }
        cands = [
            matching.Candidate(a.id, a.name, tuple(a.aliases), a.domain) for a in accounts.values()
        ]
        for hit in matching.score(company, cands, contact_email):
            out.extend(_account_conflicts(accounts[hit.ref], hit))
    if deal_ids:
        deals = {
            d.id: d
            for d in session.scalars(
                select(DealRegistration).where(
                    DealRegistration.id.in_(deal_ids), DealRegistration.status.in_(ACTIVE)
                )
            )
        }
        cands = [
            matching.Candidate(d.id, d.company, (), names.email_domain(d.contact_email))
            for d in deals.values()
        ]
        partners = dict(
            session.execute(
                select(Partner.id, Partner.name).where(
                    Partner.id.in_({d.partner_id for d in deals.values()})
                )
            ).all()
        )
        for hit in matching.score(company, cands, contact_email):
            deal = deals[hit.ref]
            out.append(
                {
                    "source": "registration",
                    "id": deal.id,
                    "name": deal.company,
                    "score": hit.score,
                    "reason": f"Registered by {partners.get(deal.partner_id, 'a partner')} "
                    f"(deal #{deal.id}, {deal.status.value}){_how(hit)}",
                    "partner_id": deal.partner_id,
                }
            )
    return sorted(out, key=lambda c: (-c["score"], c["source"], c["id"]))


def _how(hit: matching.Hit) -> str:
    if hit.how == "domain":
        return "; the contact's email domain matches"
    if hit.how in ("alias", "acronym"):
        return f"; matched as {hit.matched!r}"
    return ""


def _account_conflicts(account: CrmAccount, hit: matching.Hit) -> list[dict[str, Any]]:
    open_opps = [o for o in account.opportunities if o.is_open]
    if open_opps:
        return [
            {
                "source": "opportunity",
                "id": o.id,
                "name": account.name,
                "score": hit.score,
                "reason": f"Active direct opportunity: {account.name}, stage {o.stage}" + _how(hit),
            }
            for o in open_opps
        ]
    stage = f", stage {account.stage}" if account.stage else ""
    return [
        {
            "source": "account",
            "id": account.id,
            "name": account.name,
            "score": hit.score,
            "reason": f"Direct account of the vendor: {account.name}{stage}" + _how(hit),
        }
    ]


def redact(conflicts: list[dict[str, Any]], viewer: User) -> list[dict[str, Any]]:
    """What ``viewer`` may read of stored or fresh conflicts: vendor staff everything; a
    partner never learns which other partner registered, nor that deal's id or name."""
    out = []
    for c in conflicts:
        c = dict(c)
        owner = c.pop("partner_id", None)
        if c["source"] == "registration" and not viewer.is_vendor:
            if owner == viewer.partner_id:
                c["reason"] = (
                    f"Your organisation registered this customer already (deal #{c['id']})."
                )
            else:
                c.update(id=None, name=None, reason=OTHER_PARTNER)
        out.append(c)
    return out
