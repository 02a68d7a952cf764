"""Closed vocabularies of the domain. The API schemas reuse these, so each list lives once."""

from enum import StrEnum


class Role(StrEnum):
    VENDOR_ADMIN = "vendor_admin"
    CHANNEL_MANAGER = "channel_manager"
    MARKETING_MANAGER = "marketing_manager"
    PARTNER_ADMIN = "partner_admin"
    PARTNER_USER = "partner_user"

    @property
    def is_vendor(self) -> bool:
        return self in VENDOR_ROLES

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


VENDOR_ROLES = frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.MARKETING_MANAGER})
PARTNER_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_USER})


class PartnerType(StrEnum):
    RESELLER = "reseller"  # reseller / VAR
    DISTRIBUTOR = "distributor"
    SYSTEM_INTEGRATOR = "system_integrator"
    MSP = "msp"
    ISV = "isv"
    REFERRAL_AGENT = "referral_agent"

    @property
    def label(self) -> str:
        return {
            "reseller": "Reseller / VAR",
            "distributor": "Distributor",
            "system_integrator": "System integrator",
            "msp": "MSP",
            "isv": "ISV",
            "referral_agent": "Referral agent",
        }[self.value]


class PartnerStatus(StrEnum):
    PROSPECT = "prospect"
    ONBOARDING = "onboarding"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    EXITED = "exited"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ChangeRequestStatus(StrEnum):
    """A partner's proposed change to vendor-owned fields of its profile."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # a newer proposal from the same partner replaced it


class Region(StrEnum):
    NORTH_AMERICA = "NA"
    LATIN_AMERICA = "LATAM"
    EMEA = "EMEA"
    APAC = "APAC"

    @property
    def label(self) -> str:
        return self.value


class BusinessModel(StrEnum):
    RESALE = "resale"
    SUBSCRIPTION = "subscription"
    MANAGED_SERVICES = "managed_services"
    SERVICES = "services"
    REFERRAL = "referral"
    MARKETPLACE = "marketplace"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class AssetKind(StrEnum):
    PDF = "pdf"
    EMAIL = "email"
    SOCIAL = "social"

    @property
    def label(self) -> str:
        return {"pdf": "PDF", "email": "Email", "social": "Social image"}[self.value]


class AssetStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ItemKind(StrEnum):
    BANNER = "banner"
    PRODUCT = "product"
    RESOURCE = "resource"
    LEAD_FORM = "lead_form"


class EmbedKind(StrEnum):
    BANNER = "banner"  # a rotator of banners
    PRODUCTS = "products"  # a showcase of product cards
    RESOURCES = "resources"  # a list of co-branded downloads
    LEAD_FORM = "lead_form"
    BLOCK = "block"  # all of the above the embed's items hold


# What each embed kind shows; "block" shows every kind.
EMBED_SHOWS: dict[EmbedKind, frozenset[ItemKind]] = {
    EmbedKind.BANNER: frozenset({ItemKind.BANNER}),
    EmbedKind.PRODUCTS: frozenset({ItemKind.PRODUCT}),
    EmbedKind.RESOURCES: frozenset({ItemKind.RESOURCE}),
    EmbedKind.LEAD_FORM: frozenset({ItemKind.LEAD_FORM}),
    EmbedKind.BLOCK: frozenset(ItemKind),
}

LEAD_FIELDS = ("name", "email", "company", "phone", "country", "message")


class TrainingRole(StrEnum):
    """The role a learning path trains for (tier requirements count certified people by it)."""

    SALES = "sales"
    TECHNICAL = "technical"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ApplicationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
