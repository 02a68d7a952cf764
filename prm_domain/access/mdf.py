"""Who answers the vendor's questions on MDF requests and claims.

The vendor asks for changes to a request or for more information on a claim; the partner the
request or claim belongs to answers (a changed request, more proof files). Only that partner's
people who may request funds (its admins) answer: vendor staff never answer on a partner's
behalf (their roles lack the right: 403), and another partner's request or claim is a 404, the
same as a missing one. Whether there is a question to answer is the state machine's (409).
"""

from __future__ import annotations

from prm_domain.access.rights import Right, ensure_visible, has, require
from prm_domain.access.status import Area
from prm_domain.errors import PermissionDenied
from prm_domain.models import User


def can_answer_mdf(actor: User, partner_id: int) -> bool:
    return has(actor, Right.REQUEST_MDF) and actor.partner_id == partner_id


def ensure_can_answer_mdf(actor: User, partner_id: int, what: str = "Claim") -> None:
    ensure_visible(actor, partner_id, what, Area.MDF)
    require(actor, Right.REQUEST_MDF, "Only the partner's admins answer the vendor's questions.")
    if not can_answer_mdf(actor, partner_id):  # unreachable today: no vendor role requests
        raise PermissionDenied("Only its own organisation answers.")
