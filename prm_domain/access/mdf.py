"""Who answers the vendor's questions on an MDF claim.

The vendor asks for more information on a claim; the claim's own organisation answers with more
proof files. Only that partner's people who may request funds (its admins) answer: vendor staff
never answer on a partner's behalf (their role lacks the right: 403), and another partner's
claim is a 404, the same as a missing one.
"""

from __future__ import annotations

from prm_domain.access.rights import Right, ensure_visible, has, require
from prm_domain.access.status import Area
from prm_domain.errors import PermissionDenied
from prm_domain.models import User


def can_answer_claim(actor: User, partner_id: int) -> bool:
    return has(actor, Right.REQUEST_MDF) and actor.partner_id == partner_id


def ensure_can_answer_claim(actor: User, partner_id: int) -> None:
    ensure_visible(actor, partner_id, "Claim", Area.MDF)
    require(actor, Right.REQUEST_MDF, "Only the partner's admins answer the vendor's questions.")
    if not can_answer_claim(actor, partner_id):  # unreachable today: no vendor role requests
        raise PermissionDenied("Only the claim's own organisation answers.")
