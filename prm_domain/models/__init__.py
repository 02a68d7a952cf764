"""Every mapped class, imported here so the metadata (and Alembic) sees them all."""

from prm_domain.models.audit import AuditEvent
from prm_domain.models.partner import Partner
from prm_domain.models.tier import Tier
from prm_domain.models.user import ApiToken, User

__all__ = ["ApiToken", "AuditEvent", "Partner", "Tier", "User"]
