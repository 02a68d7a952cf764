"""The certification codes a partner holds, as lead routing asks for them (training's rule)."""

from __future__ import annotations

from sqlalchemy.orm import Session


def partner_certifications(session: Session, partner_id: int) -> set[str]:
    """The codes of the current (unexpired) certifications held by the partner's people."""
    from prm_domain import training

    return training.partner_certifications(session, partner_id)
