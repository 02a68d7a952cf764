"""Idempotency keys: the first answer to a POST is kept per user and key, so a retried
submission creates one record; the same key with another body is a conflict."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain.errors import Conflict, ValidationError
from prm_domain.models import MdfIdempotencyKey, User

MAX_KEY = 200


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY or not key.isprintable():
        raise ValidationError.for_fields(
            {"Idempotency-Key": f"must be 1 to {MAX_KEY} printable characters"}
        )
    return key


def find(session: Session, actor: User, key: str, body_hash: str) -> MdfIdempotencyKey | None:
    """The stored answer for this key, None if it is new; Conflict if the body differs."""
    found = session.scalar(
        select(MdfIdempotencyKey).where(
            MdfIdempotencyKey.user_id == actor.id, MdfIdempotencyKey.key == key
        )
    )
    if found is not None and found.body_hash != body_hash:
        raise Conflict(
            "This Idempotency-Key was used with another request body.",
            {"Idempotency-Key": "was used with another body"},
        )
    return found


def remember(
    session: Session, actor: User, key: str, body_hash: str, status: int, response: Any
) -> None:
    session.add(
        MdfIdempotencyKey(
            user_id=actor.id, key=key, body_hash=body_hash, status=status, response=response
        )
    )
    session.flush()
