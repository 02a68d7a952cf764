"""The change tokens of prm_domain.changes: one row per watched table."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from prm_domain.base import Base


class ChangeToken(Base):
    """Replaced with a new random value by every committed write to the table ``name``."""

    __tablename__ = "change_token"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
