"""Who reads a partner's tier progress and history, and who sets the tier requirements."""

from __future__ import annotations

from prm_domain.access.rights import Right, ensure_visible, require
from prm_domain.models import User


def ensure_can_see_tier_progress(actor: User, partner_id: int) -> None:
    """Every member of the partner sees its own progress and history (what the next tier
    needs is the programme's, open to its people); vendor staff see every partner's. Another
    tenant's is a 404, like a missing one; a suspended partner's people are refused first."""
    ensure_visible(actor, partner_id, "Partner")


def ensure_can_manage_tier_rules(actor: User) -> None:
    """Tier requirements and an evaluation on demand: whoever manages the tiers."""
    require(actor, Right.MANAGE_TIERS, "Only vendor admins set the tier requirements.")


def ensure_can_watch_tier_programme(actor: User) -> None:
    """The vendor's overview of partners near a promotion or in grace: vendor staff."""
    require(actor, Right.VIEW_ALL_PARTNERS, "Only vendor staff see every partner's progress.")
