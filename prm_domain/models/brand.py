from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from prm_domain.base import Base, utcnow


class BrandKit(Base):
    """A partner's brand: logos (as storage keys of re-encoded PNGs), colour, contact details.

    ``version`` goes up on every change; rendered files are cached under it, so a changed brand
    never serves a stale download.
    """

    __tablename__ = "brand_kit"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), unique=True
    )
    logo_key: Mapped[str | None] = mapped_column(String(64))
    logo_on_dark_key: Mapped[str | None] = mapped_column(String(64))
    primary_color: Mapped[str] = mapped_column(String(7), default="#000000")
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    contact_title: Mapped[str] = mapped_column(String(120), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_website: Mapped[str] = mapped_column(String(200), default="")
    contact_address: Mapped[str] = mapped_column(String(300), default="")
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
