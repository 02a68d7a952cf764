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
from prm_domain.models.user import ApiToken, User, UserSession

__all__ = [
    "ApiToken",
    "Asset",
    "AssetDownload",
    "AssetVersion",
    "AuditEvent",
    "BrandKit",
    "Certification",
    "Course",
    "CourseCompletion",
    "DpaSignature",
    "DpaVersion",
    "Embed",
    "EmbedDailyStat",
    "EmbedViewEvent",
    "Lead",
    "LearningPath",
    "Notification",
    "OnboardingRule",
    "Partner",
    "PartnerApplication",
    "PartnerChangeRequest",
    "PartnerOnboarding",
    "PathEnrolment",
    "QuizAttempt",
    "RenderJob",
    "RenderedFile",
    "SyndicatedItem",
    "Tier",
    "TrackedLink",
    "User",
    "UserSession",
]
