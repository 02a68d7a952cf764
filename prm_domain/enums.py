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


class ChannelKind(StrEnum):
    """Where a partner's campaign posts go. ``outbox`` is built in: a labelled preview feed in
    the portal, so the whole loop works with no outside account."""

    OUTBOX = "outbox"
    LINKEDIN = "linkedin"
    X = "x"
    SMTP = "smtp"
    WEBHOOK = "webhook"

    @property
    def label(self) -> str:
        return {
            "outbox": "Outbox (preview feed)",
            "linkedin": "LinkedIn",
            "x": "X",
            "smtp": "Email (SMTP)",
            "webhook": "Webhook",
        }[self.value]


class ChannelStatus(StrEnum):
    CONNECTED = "connected"
    # The service refused the credentials (401 after any refresh): the partner must reconnect.
    NEEDS_RECONNECT = "needs_reconnect"
    DISABLED = "disabled"

    @property
    def label(self) -> str:
        return {"needs_reconnect": "Needs reconnecting"}.get(self.value, self.value.capitalize())


class PublicationState(StrEnum):
    SCHEDULED = "scheduled"
    # Claimed by a worker; the service's answer may still be on its way. A publication left
    # here by a dead worker is reconciled with the service's own list before another try.
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    SKIPPED = "skipped"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    LAUNCHED = "launched"  # the audience is invited; approved partners' posts go out
    PAUSED = "paused"  # the vendor holds every partner's scheduled posts

    @property
    def label(self) -> str:
        return self.value.capitalize()


class TrainingRole(StrEnum):
    """The role a learning path trains for (tier requirements count certified people by it)."""

    SALES = "sales"
    TECHNICAL = "technical"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class CampaignItemKind(StrEnum):
    SOCIAL = "social"  # a post: text with brand variables, a tracked link, an optional image
    EMAIL = "email"  # an email to the partner's contacts: subject, preheader, body
    ASSET = "asset"  # a co-branded library asset offered to the partner (not published)


class EnrolmentStatus(StrEnum):
    """A partner's participation in a launched campaign."""

    INVITED = "invited"
    APPROVED = "approved"
    OPTED_OUT = "opted_out"
    PAUSED = "paused"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class MdfActivity(StrEnum):
    EVENT = "event"
    DIGITAL_ADVERTISING = "digital_advertising"
    EMAIL_CAMPAIGN = "email_campaign"
    WEBINAR = "webinar"
    TRADE_SHOW = "trade_show"
    CONTENT_SYNDICATION = "content_syndication"
    TELEMARKETING = "telemarketing"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class MdfAllocationRule(StrEnum):
    FIXED = "fixed"  # an amount the vendor sets
    TIER = "tier"  # the amount the partner's tier gets (MDF_TIER_AMOUNTS in prm_domain.mdf)
    ACCRUAL = "accrual"  # co-op: a percentage of closed-won revenue, credited as deals close


class MdfEntryKind(StrEnum):
    """A movement between balances; ``prm_domain.mdf.ledger.EFFECTS`` says which."""

    ALLOCATE = "allocate"
    ACCRUE = "accrue"
    REALLOCATE_OUT = "reallocate_out"
    REALLOCATE_IN = "reallocate_in"
    COMMIT = "commit"  # a request approved
    CLAIM = "claim"  # a claim approved: committed -> claimed
    RELEASE = "release"  # unused commitment back to available (settled below, lapsed)
    PAY = "pay"
    EXPIRE = "expire"


class MdfRequestStatus(StrEnum):
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    AWAITING_SECOND_APPROVAL = "awaiting_second_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    CLAIMED = "claimed"  # settled by a claim; what it did not use went back
    LAPSED = "lapsed"  # no claim by the deadline; the commitment went back

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class MdfClaimStatus(StrEnum):
    SUBMITTED = "submitted"
    INFO_REQUESTED = "info_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAID = "paid"

    @property
    def label(self) -> str:
        if self is MdfClaimStatus.INFO_REQUESTED:
            return "More information requested"
        return self.value.replace("_", " ").capitalize()


class ContactStatus(StrEnum):
    SUBSCRIBED = "subscribed"
    # Never mailed again, whatever a later import says.
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"


class DealStatus(StrEnum):
    PENDING = "pending"  # submitted, awaiting the vendor's review
    APPROVED = "approved"  # protected until protected_until
    REJECTED = "rejected"
    EXPIRED = "expired"  # protection ran out
    WON = "won"
    LOST = "lost"


class LeadState(StrEnum):
    """Where a lead stands. Offered leads wait for the partner's answer; pool leads for a claim."""

    POOL = "pool"  # nobody's yet: eligible partners may claim it
    ASSIGNED = "assigned"  # offered to one partner, to be accepted before ``accept_by``
    ACCEPTED = "accepted"
    WORKING = "working"
    CONVERTED = "converted"  # became a deal registration
    LOST = "lost"


# States in which a partner owns the lead and may read its contact details.
LEAD_OWNED_STATES = frozenset(
    {LeadState.ACCEPTED, LeadState.WORKING, LeadState.CONVERTED, LeadState.LOST}
)
# States that count against a partner's capacity (its open leads).
LEAD_OPEN_STATES = frozenset({LeadState.ASSIGNED, LeadState.ACCEPTED, LeadState.WORKING})
# The state machine: a transition outside it is a 409.
LEAD_TRANSITIONS: dict[LeadState, frozenset[LeadState]] = {
    LeadState.POOL: frozenset({LeadState.ACCEPTED, LeadState.ASSIGNED}),
    LeadState.ASSIGNED: frozenset({LeadState.ACCEPTED, LeadState.ASSIGNED, LeadState.POOL}),
    LeadState.ACCEPTED: frozenset({LeadState.WORKING, LeadState.CONVERTED, LeadState.LOST}),
    LeadState.WORKING: frozenset({LeadState.CONVERTED, LeadState.LOST}),
    LeadState.CONVERTED: frozenset(),
    LeadState.LOST: frozenset(),
}


class OfferOutcome(StrEnum):
    """How one partner's turn with a lead ended (the assignment history)."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"  # not accepted in time: the lead moved on
    CLAIMED = "claimed"  # taken from the pool


class ApplicationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class TierChangeKind(StrEnum):
    """A line of a partner's tier history (prm_domain.models.TierChange)."""

    PROMOTED = "promoted"
    DEMOTED = "demoted"
    SET = "set"  # by the vendor, by hand
    GRACE_STARTED = "grace_started"
    GRACE_CANCELLED = "grace_cancelled"

    @property
    def label(self) -> str:
        return _TIER_CHANGE_LABELS[self]


_TIER_CHANGE_LABELS = {
    TierChangeKind.PROMOTED: "Promoted",
    TierChangeKind.DEMOTED: "Demoted",
    TierChangeKind.SET: "Tier set by the vendor",
    TierChangeKind.GRACE_STARTED: "Grace period started",
    TierChangeKind.GRACE_CANCELLED: "Grace period ended: requirements met again",
}
