from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from prm_domain.base import NO_ID_REUSE, Base, str_enum, utcnow
from prm_domain.enums import (
    BusinessModel,
    ChangeRequestStatus,
    PartnerStatus,
    PartnerType,
    Region,
)

if TYPE_CHECKING:
    from prm_domain.models.tier import Tier
    from prm_domain.models.user import User


class Partner(Base):
    """A partner organisation (tenant). Everything a partner owns points back here."""

    __tablename__ = "partner"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Case-folded name keeps "Acme IT" and "ACME it" from being two partners.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[PartnerType] = mapped_column(str_enum(PartnerType))
    tier_id: Mapped[int] = mapped_column(ForeignKey("tier.id"), index=True)
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[Region] = mapped_column(str_enum(Region))
    verticals: Mapped[list[str]] = mapped_column(default=list)
    business_model: Mapped[BusinessModel | None] = mapped_column(str_enum(BusinessModel))
    website_domains: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[PartnerStatus] = mapped_column(
        str_enum(PartnerStatus), default=PartnerStatus.PROSPECT
    )
    dpa_signed_on: Mapped[dt.date | None]
    # IANA zone name: campaign posts at "day N, 09:00" go out at 09:00 here.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    tier: Mapped[Tier] = relationship(lazy="joined", innerjoin=True)
    users: Mapped[list[User]] = relationship(back_populates="partner", order_by="User.id")

    @property
    def tier_name(self) -> str:
        return self.tier.name

    def __repr__(self) -> str:
        return f"<Partner {self.id} {self.name!r}>"


class PartnerChangeRequest(Base):
    """A partner admin's proposal to change fields the vendor owns (name, type, region,
    verticals); applied only when a vendor channel manager or admin approves it."""

    __tablename__ = "partner_change_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    # {field: proposed value}, cleaned by the same rules as a vendor's edit.
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[ChangeRequestStatus] = mapped_column(
        str_enum(ChangeRequestStatus), default=ChangeRequestStatus.PENDING, index=True
    )
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[dt.datetime | None]
    decision_note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
