"""MERGE SEAM (training): the certification codes a partner holds, as routing asks for them.

Training and certification live in their own feature. Until it is merged no partner holds any
certification, so a routing rule that requires one finds nobody (its leads fall through to the
next rule, then the pool). At merge, make this return the codes of the partner's people's
current (unexpired) certifications; routing needs nothing else.
"""

from __future__ import annotations

from sqlalchemy.orm import Session


def partner_certifications(session: Session, partner_id: int) -> set[str]:
    """The certification codes ``partner_id`` holds today (none until training is merged)."""
    del session, partner_id
    return set()
