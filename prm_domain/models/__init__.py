"""Every mapped class, imported here so the metadata (and Alembic) sees them all."""

from prm_domain.models.activity import SignIn
from prm_domain.models.asset import (
    Asset,
    AssetDownload,
    AssetVersion,
    RenderedFile,
    RenderJob,
    TrackedLink,
)
from prm_domain.models.audience import AudienceEntry
from prm_domain.models.audit import AuditEvent
from prm_domain.models.brand import BrandKit
from prm_domain.models.campaign import Campaign, CampaignItem, Contact, Enrolment
from prm_domain.models.changes import ChangeToken
from prm_domain.models.channel import Channel
from prm_domain.models.deal import (
    CrmAccount,
    DealMatchKey,
    DealRegistration,
    DealTierPolicy,
    DealWebhook,
    Opportunity,
    WebhookDelivery,
)
from prm_domain.models.leads import LeadOffer, LeadRoutingRule
from prm_domain.models.mdf import (
    MdfAllocation,
    MdfClaim,
    MdfFund,
    MdfIdempotencyKey,
    MdfLedgerEntry,
    MdfProof,
    MdfRequest,
)
from prm_domain.models.partner import Partner, PartnerChangeRequest
from prm_domain.models.publication import Publication
from prm_domain.models.syndication import (
    Embed,
    EmbedDailyStat,
    EmbedViewEvent,
    Lead,
    Notification,
    SyndicatedItem,
)
from prm_domain.models.tier import Tier
from prm_domain.models.tier_rules import TierChange, TierGrace, TierRequirement
from prm_domain.models.training import (
    Certification,
    Course,
    CourseCompletion,
    DpaSignature,
    DpaVersion,
    LearningPath,
    OnboardingRule,
    PartnerApplication,
    PartnerOnboarding,
    PathEnrolment,
    QuizAttempt,
)
from prm_domain.models.user import ApiToken, Invitation, User, UserSession

__all__ = [
    "ApiToken",
    "Asset",
    "AssetDownload",
    "AssetVersion",
    "AudienceEntry",
    "AuditEvent",
    "BrandKit",
    "Campaign",
    "CampaignItem",
    "Certification",
    "ChangeToken",
    "Channel",
    "Contact",
    "Course",
    "CourseCompletion",
    "CrmAccount",
    "DealMatchKey",
    "DealRegistration",
    "DealTierPolicy",
    "DealWebhook",
    "DpaSignature",
    "DpaVersion",
    "Embed",
    "EmbedDailyStat",
    "EmbedViewEvent",
    "Enrolment",
    "Invitation",
    "Lead",
    "LeadOffer",
    "LeadRoutingRule",
    "LearningPath",
    "MdfAllocation",
    "MdfClaim",
    "MdfFund",
    "MdfIdempotencyKey",
    "MdfLedgerEntry",
    "MdfProof",
    "MdfRequest",
    "Notification",
    "OnboardingRule",
    "Opportunity",
    "Partner",
    "PartnerApplication",
    "PartnerChangeRequest",
    "PartnerOnboarding",
    "PathEnrolment",
    "Publication",
    "QuizAttempt",
    "RenderJob",
    "RenderedFile",
    "SignIn",
    "SyndicatedItem",
    "Tier",
    "TierChange",
    "TierGrace",
    "TierRequirement",
    "TrackedLink",
    "User",
    "UserSession",
    "WebhookDelivery",
]
