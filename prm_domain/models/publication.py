from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from prm_domain.base import NO_ID_REUSE, Base, str_enum, utcnow
from prm_domain.enums import PublicationState


class Publication(Base):
    """One campaign item going out on one partner channel at one moment.

    Schedules live here, in the database: beat claims due rows (a conditional UPDATE from
    ``scheduled`` to ``publishing``), never long Celery ETAs. ``key`` is the idempotency key
    every attempt carries; ``content`` is the post as the partner approved it (text, subject,
    preheader, html, link, image key), frozen at approval so later edits of the campaign do
    not change what a partner signed off.
    """

    __tablename__ = "publication"
    __table_args__ = (
        Index("ix_publication_state_due_at", "state", "due_at"),
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel.id", ondelete="SET NULL"), index=True
    )
    # The campaign's tables reference these (campaign, campaign_item, enrolment).
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_item.id", ondelete="CASCADE"))
    enrolment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrolment.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # "social" | "email"
    key: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[PublicationState] = mapped_column(
        str_enum(PublicationState), default=PublicationState.SCHEDULED
    )
    due_at: Mapped[dt.datetime]
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attempts: Mapped[int] = mapped_column(default=0)
    # Not before this moment (Retry-After, backoff); None means at due_at.
    next_attempt_at: Mapped[dt.datetime | None]
    # When the current attempt claimed the row; a stale claim marks a dead worker.
    claimed_at: Mapped[dt.datetime | None]
    published_at: Mapped[dt.datetime | None]
    external_id: Mapped[str] = mapped_column(String(200), default="")
    external_url: Mapped[str] = mapped_column(String(500), default="")
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Publication {self.id} {self.state} due={self.due_at:%Y-%m-%d %H:%M}>"
