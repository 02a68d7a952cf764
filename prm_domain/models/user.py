from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from prm_domain.base import NO_ID_REUSE, Base, str_enum, utcnow
from prm_domain.enums import PARTNER_ROLES, VENDOR_ROLES, Role

if TYPE_CHECKING:
    from prm_domain.models.partner import Partner


def _in(values: frozenset[Role]) -> str:
    return ", ".join(f"'{r.value}'" for r in sorted(values))


class User(Base):
    """A person who signs in: a vendor employee, or a member of exactly one partner."""

    __tablename__ = "user_account"  # "user" is reserved in Postgres
    __table_args__ = (
        # The database itself refuses a partner role without a partner, or a vendor role with one.
        CheckConstraint(
            f"(role IN ({_in(VENDOR_ROLES)}) AND partner_id IS NULL)"
            f" OR (role IN ({_in(PARTNER_ROLES)}) AND partner_id IS NOT NULL)",
            name="role_matches_partner",
        ),
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored case-folded so uniqueness is case-insensitive on every backend.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[dt.datetime | None]
    # The end of the person's latest visit to the portal: what is "new" is newer than this.
    last_seen_at: Mapped[dt.datetime | None]

    partner: Mapped[Partner | None] = relationship(back_populates="users")

    @property
    def is_vendor(self) -> bool:
        return self.role.is_vendor

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role.value}>"


class ApiToken(Base):
    """A bearer token for the JSON API: only its SHA-256 is stored; it expires, can be revoked."""

    __tablename__ = "api_token"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class UserSession(Base):
    """A signed-in browser: the cookie holds a random id, only its SHA-256 is stored here.

    Ending the row ends the session wherever the cookie is replayed from; it also ends after
    an idle period (``last_seen_at``) and at ``expires_at`` however busy it is.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class Invitation(Base):
    """A one-time link for a new person to set their password: only its SHA-256 is stored; it
    expires, and using it (or issuing a newer one) ends it."""

    __tablename__ = "user_invitation"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined", innerjoin=True)
