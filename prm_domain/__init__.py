"""The PRM domain: partners, users, tiers, and the rules and workflows over them.

Imports the standard library and SQLAlchemy only. Functions take a ``Session`` and the acting
user, may flush, never commit, and raise subclasses of :class:`DomainError`.
"""

from prm_domain.errors import (
    Conflict,
    DomainError,
    InvalidCredentials,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationError,
)

__all__ = [
    "Conflict",
    "DomainError",
    "InvalidCredentials",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "ValidationError",
]
