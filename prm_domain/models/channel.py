from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from prm_domain.base import NO_ID_REUSE, Base, str_enum, utcnow
from prm_domain.enums import ChannelKind, ChannelStatus


class Channel(Base):
    """A partner's connected publishing channel: a LinkedIn author, an X account, an SMTP
    server, a signed webhook or the built-in outbox. Credentials are stored encrypted in
    ``secret`` (prm_domain.publishing) and never leave the server."""

    __tablename__ = "channel"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ChannelKind] = mapped_column(str_enum(ChannelKind))
    name: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[ChannelStatus] = mapped_column(
        str_enum(ChannelStatus), default=ChannelStatus.CONNECTED
    )
    # What the partner sees of the account: the LinkedIn author URN, the X user id, the SMTP
    # sender address or the webhook URL. Not secret.
    account: Mapped[str] = mapped_column(String(500), default="")
    # Encrypted JSON of the credentials (tokens, passwords, webhook secret); None for outbox.
    secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    token_expires_at: Mapped[dt.datetime | None]
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Channel {self.id} {self.kind} partner={self.partner_id}>"
