"""Partner scorecards (``metrics``: the figures, trends and ranking; ``demo``: a year of history
for the demo partners)."""

from prm_domain.scorecards.metrics import (
    EXPORT_COLUMNS,
    MAX_MONTHS,
    SORTS,
    Metrics,
    Period,
    RankRow,
    Scorecard,
    TrendPoint,
    export_ranking,
    get_scorecard,
    previous,
    rank_partners,
    trailing,
)

__all__ = [
    "EXPORT_COLUMNS",
    "MAX_MONTHS",
    "SORTS",
    "Metrics",
    "Period",
    "RankRow",
    "Scorecard",
    "TrendPoint",
    "export_ranking",
    "get_scorecard",
    "previous",
    "rank_partners",
    "trailing",
]
