"""Celery tasks: ids and JSON in, their own session, one call into the domain, commit."""

from __future__ import annotations

from celery import shared_task

from app import db
from prm_domain import auth


@shared_task(name="cobrand.purge_dead_tokens", ignore_result=False)
def purge_dead_tokens() -> int:
    with db.get_db().sessionmaker() as session:
        removed = auth.purge_dead_tokens(session)
        session.commit()
    return removed


@shared_task(name="cobrand.ping", ignore_result=False)
def ping(value: str) -> str:
    """Round-trips the broker and result backend; used by health checks and tests."""
    return f"pong:{value}"
