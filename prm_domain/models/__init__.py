"""Every mapped class, imported here so the metadata (and Alembic) sees them all."""

from prm_domain.models.asset import (
    Asset,
    AssetDownload,
    AssetVersion,
    RenderedFile,
    RenderJob,
    TrackedLink,
)
from prm_domain.models.audit import AuditEvent
from prm_domain.models.brand import BrandKit
from prm_domain.models.leads import LeadOffer, LeadRoutingRule
from prm_domain.models.partner import Partner, PartnerChangeRequest
from prm_domain.models.syndication import (
    Embed,
    EmbedDailyStat,
    EmbedViewEvent,
    Lead,
    Notification,
    SyndicatedItem,
)
from prm_domain.models.tier import Tier
from prm_domain.models.user import ApiToken, User, UserSession

__all__ = [
    "ApiToken",
    "Asset",
    "AssetDownload",
    "AssetVersion",
    "AuditEvent",
    "BrandKit",
    "Embed",
    "EmbedDailyStat",
    "EmbedViewEvent",
    "Lead",
    "LeadOffer",
    "LeadRoutingRule",
    "Notification",
    "Partner",
    "PartnerChangeRequest",
    "RenderJob",
    "RenderedFile",
    "SyndicatedItem",
    "Tier",
    "TrackedLink",
    "User",
    "UserSession",
]
