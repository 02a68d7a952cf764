"""Tier rules: requirements as data, evaluation (on events, nightly, on demand), grace before a
demotion, the tier history, and what a partner and the vendor see of it.

The events' one call is :func:`evaluate_partner_id`; the nightly job's :func:`evaluate_all`.
"""

from prm_domain.tier_rules.evaluation import (
    Line,
    Metrics,
    Outcome,
    Programme,
    Run,
    evaluate_all,
    evaluate_partner,
    evaluate_partner_id,
    load_programme,
    measure,
)
from prm_domain.tier_rules.progress import (
    Overview,
    Progress,
    evaluate_now,
    programme_overview,
    record_tier_set,
    tier_history,
    tier_names,
    tier_progress,
)
from prm_domain.tier_rules.requirements import (
    Requirements,
    get_requirements,
    list_requirements,
    set_requirements,
)

__all__ = [
    "Line",
    "Metrics",
    "Outcome",
    "Overview",
    "Programme",
    "Progress",
    "Requirements",
    "Run",
    "evaluate_all",
    "evaluate_now",
    "evaluate_partner",
    "evaluate_partner_id",
    "get_requirements",
    "list_requirements",
    "load_programme",
    "measure",
    "programme_overview",
    "record_tier_set",
    "set_requirements",
    "tier_history",
    "tier_names",
    "tier_progress",
]
