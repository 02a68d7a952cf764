"""Partner status: what an organisation's status opens (areas), and the refusal that names it."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Select, bindparam, event, select
from sqlalchemy.orm import Session, object_session

from prm_domain import changes
from prm_domain.enums import PartnerStatus
from prm_domain.errors import PermissionDenied
from prm_domain.models import DpaSignature, DpaVersion, Partner, User


class Area(StrEnum):
    """What a partner's people use, as far as the organisation's status decides it."""

    NOTICE = "notice"  # sign in to the portal, read the own account and the status notice
    ORGANISATION = "organisation"  # API tokens, own profile, users, brand kit, the tier programme
    CONTENT = "content"  # the library, renders, downloads, tracked links, syndicated items
    EMBEDS = "embeds"  # embeds made, changed and served on websites; their stats
    MDF = "mdf"  # market development funds: balances, requests, claims (money: active only)
    DEALS = "deals"  # deal registrations and the conflict check
    LEADS = "leads"  # lead data (personal data of the vendor's prospects)


# Areas that hold the vendor's customers' personal data: open only to a partner that signed the
# current data processing addendum (when the vendor has published one).
DPA_AREAS: frozenset[Area] = frozenset({Area.LEADS, Area.DEALS})


# What each partner status opens. Prospects and onboarding partners prepare (profile, team,
# brand kit) but get no vendor content and no embeds until the vendor activates them; a
# suspended partner's people may sign in to read why, nothing else; an exited partner's
# people cannot sign in at all. Vendor staff are never gated by a partner's status.
STATUS_AREAS: dict[PartnerStatus, frozenset[Area]] = {
    PartnerStatus.PROSPECT: frozenset({Area.NOTICE, Area.ORGANISATION}),
    PartnerStatus.ONBOARDING: frozenset({Area.NOTICE, Area.ORGANISATION}),
    PartnerStatus.ACTIVE: frozenset(Area),
    PartnerStatus.SUSPENDED: frozenset({Area.NOTICE}),
    PartnerStatus.EXITED: frozenset(),
}

STATUS_NOTICES: dict[PartnerStatus, str] = {
    PartnerStatus.PROSPECT: (
        "Your organisation is a prospective partner: the content library, website embeds and "
        "leads open once the vendor activates the partnership."
    ),
    PartnerStatus.ONBOARDING: (
        "Your organisation is still onboarding: the content library, website embeds and leads "
        "open once the vendor activates the partnership. Meanwhile, set up your brand kit and team."
    ),
    PartnerStatus.ACTIVE: "Your organisation's partnership is active.",
    PartnerStatus.SUSPENDED: (
        "Your organisation's partnership is suspended: the portal, the API and your website "
        "embeds are closed until the vendor lifts the suspension. Contact your channel manager."
    ),
    PartnerStatus.EXITED: (
        "Your organisation's partnership has ended: its accounts can no longer sign in."
    ),
}


class PartnerInactive(PermissionDenied):
    """The partner's status does not open this (``code`` names the status: partner_suspended)."""

    def __init__(self, status: PartnerStatus) -> None:
        super().__init__(STATUS_NOTICES[status], {"partner_status": status.value})
        self.status = status
        self.code = f"partner_{status.value}"


DPA_NOTICE = (
    "Your organisation has not signed the current data processing addendum: leads and deals "
    "open once a partner admin signs it (DPA, under Organisation in the menu)."
)


class DpaUnsigned(PermissionDenied):
    """The partner has not signed the current data processing addendum (403 ``dpa_unsigned``)."""

    code = "dpa_unsigned"

    def __init__(self) -> None:
        super().__init__(DPA_NOTICE, {"dpa": "the current version is not signed"})


# -- partner status ---------------------------------------------------------------------------


def dpa_signed(partner: Partner) -> bool:
    """Whether the partner signed the current DPA; True while the vendor has published none.

    Asked once per transaction: a request asks it at each gate it passes (two for a list of
    leads), and the answer cannot change within what the transaction sees... except by its
    own signing, which flushes a signature row and is asked after (``_dpa_memo`` is keyed on
    the session's flush count). In a web process the answer is also kept between requests
    while the DPA tables' change tokens stay the same (prm_domain.changes): every request
    that reaches leads asks it, and it changes only when the vendor publishes a version or
    a partner signs."""
    return dpa_state(partner) is not False


def dpa_state(partner: Partner) -> bool | None:
    """None while the vendor has published no DPA, else whether the partner signed the current
    one (``dpa_signed``'s answer, as the onboarding checklist needs it)."""
    session = object_session(partner)
    if session is None:
        return None  # an unsaved partner: no DPA is known to it
    memo = _dpa_memo(session)
    if memo is not None and partner.id in memo:
        return memo[partner.id]
    params = {"partner_id": partner.id}
    row = changes.kept(
        session,
        "dpa_signed",
        _CURRENT_DPA_SIGNED,
        lambda: session.execute(_CURRENT_DPA_SIGNED, params).first(),
        params,
    )
    state = None if row is None else bool(row[1])
    if memo is not None:
        memo[partner.id] = state
    return state


# The current DPA version (the newest published) and whether the partner signed it, in one
# statement: no row while the vendor has published none. Built once (every portal page asks
# it): a new statement per request cost more to build and key than to answer from memory.
_CURRENT_DPA_SIGNED: Select[int, bool] = (
    select(
        DpaVersion.id,
        select(DpaSignature.id)
        .where(
            DpaSignature.partner_id == bindparam("partner_id"),
            DpaSignature.version_id == DpaVersion.id,
        )
        .exists(),
    )
    .order_by(DpaVersion.published_at.desc(), DpaVersion.id.desc())
    .limit(1)
)


def _dpa_memo(session: Session) -> dict[int, bool | None] | None:
    transaction = session.get_transaction()
    if transaction is None:
        return None
    flushes = session.info.get(_FLUSHES, 0)
    held = session.info.get(_DPA_MEMO)
    # The transaction itself is held (not its id, which a later one may reuse), and compared
    # by identity.
    if held is None or held[0] is not transaction or held[1] != flushes:
        held = (transaction, flushes, {})
        session.info[_DPA_MEMO] = held
    return cast(dict[int, bool | None], held[2])


_DPA_MEMO = "cobrand.dpa_memo"
_FLUSHES = "cobrand.flushes"


@event.listens_for(Session, "after_flush")
def _count_flush(session: Session, _context: Any) -> None:
    session.info[_FLUSHES] = session.info.get(_FLUSHES, 0) + 1


def partner_allows(partner: Partner | None, area: Area) -> bool:
    if partner is None or area not in STATUS_AREAS[partner.status]:
        return False
    return area not in DPA_AREAS or dpa_signed(partner)


def statuses_opening(area: Area) -> list[PartnerStatus]:
    """The partner statuses that open ``area``: for queries that select partners in SQL."""
    return [status for status, areas in STATUS_AREAS.items() if area in areas]


def partner_of(actor: User) -> Partner | None:
    partner = actor.partner
    if partner is None or partner.id != actor.partner_id:
        return None  # unknown (an unsaved user): closed, never open by default
    return partner


def status_allows(actor: User, area: Area) -> bool:
    """Whether the actor's organisation's status opens ``area`` (vendor staff: always)."""
    if actor.is_vendor:
        return True
    return partner_allows(partner_of(actor), area)


def open_areas(actor: User) -> frozenset[Area]:
    """Every area whose ``status_allows`` answer is yes, asked at once: what a page that shows
    or hides many things by area (the portal's menu) keys its work on."""
    return frozenset(area for area in Area if status_allows(actor, area))


def ensure_status(actor: User, area: Area) -> None:
    """PartnerInactive (naming the status) unless the actor's organisation may use ``area``."""
    if status_allows(actor, area):
        return
    partner = partner_of(actor)
    if partner is not None and area in STATUS_AREAS[partner.status]:
        raise DpaUnsigned()  # the status opens it: only the signature is missing
    raise PartnerInactive(partner.status if partner is not None else PartnerStatus.EXITED)


def may_sign_in(user: User) -> bool:
    """Sign-in, sessions and tokens: the account is active and its organisation not exited."""
    return user.active and status_allows(user, Area.NOTICE)


def ensure_may_sign_in(user: User) -> None:
    ensure_status(user, Area.NOTICE)


def status_notice(actor: User) -> str | None:
    """The notice a partner user sees about their organisation's status; None when active."""
    if actor.is_vendor:
        return None
    partner = partner_of(actor)
    if partner is not None and partner.status == PartnerStatus.ACTIVE:
        return None
    return STATUS_NOTICES[partner.status if partner is not None else PartnerStatus.EXITED]
