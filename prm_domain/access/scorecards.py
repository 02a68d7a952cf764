"""Who sees partner scorecards: vendor staff every partner's (the ranking too), a partner's
admins their own organisation's only (another partner's is a 404, as for any object)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, SQLColumnExpression

from prm_domain.access.rights import RIGHT_AREAS, Right, ensure_visible, partner_scope, require
from prm_domain.models import User

SCORECARD_AREA = RIGHT_AREAS[Right.VIEW_SCORECARDS]


def scorecard_scope(
    actor: User, partner_id_column: SQLColumnExpression[int]
) -> ColumnElement[bool]:
    """A WHERE clause on partners for the ranking: all for vendor staff, the own for a
    partner admin (its ranking is one row)."""
    require(actor, Right.VIEW_SCORECARDS, "Your role does not see scorecards.")
    return partner_scope(actor, partner_id_column, SCORECARD_AREA)


def ensure_can_view_scorecard(actor: User, partner_id: int) -> None:
    # Visibility first: a partner asking for another's scorecard learns nothing, not even
    # that its role could never see it.
    ensure_visible(actor, partner_id, "Partner", SCORECARD_AREA)
    require(actor, Right.VIEW_SCORECARDS, "Your role does not see scorecards.")
