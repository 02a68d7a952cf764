"""Batch renders: one asset for every partner of a segment, step by step, then one zip."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from prm_domain import access, audit, validation
from prm_domain.access import Right
from prm_domain.assets import get_asset
from prm_domain.base import utcnow
from prm_domain.enums import JobStatus, PartnerStatus, PartnerType, Region
from prm_domain.errors import DomainError, NotFound, ValidationError
from prm_domain.models import Asset, Partner, RenderJob, User
from prm_domain.rendering import FORMATS, Rendered, render_version
from prm_domain.storage import CHUNK, Storage

# Past this, the zip being built spills from memory to a temporary file.
ZIP_SPOOL_BYTES = 8 * 1024 * 1024
# Advisory-lock keys of render-job shards start here (a namespace of their own in the bigint
# space); a job has at most MAX_SHARDS.
_SHARD_LOCKS = 0x4A0B << 44
MAX_SHARDS = 64
SEGMENT_FIELDS = {"tier_ids", "regions", "partner_types", "statuses"}


def _segment(values: Mapping[str, Any]) -> dict[str, list[Any]]:
    unknown = set(values) - SEGMENT_FIELDS
    if unknown:
        raise ValidationError.for_fields({f"segment.{f}": "unknown field" for f in unknown})
    out: dict[str, list[Any]] = {}
    ids = values.get("tier_ids", [])
    if not isinstance(ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) and 0 < i <= validation.MAX_ID for i in ids
    ):
        raise ValidationError.for_fields({"segment.tier_ids": "must be a list of tier ids"})
    out["tier_ids"] = ids
    for field, enum in (
        ("regions", Region),
        ("partner_types", PartnerType),
        ("statuses", PartnerStatus),
    ):
        raw = values.get(field, [])
        items = validation.string_list(f"segment.{field}", raw, max_items=20, max_len=40)
        out[field] = [validation.choice(f"segment.{field}", v, enum).value for v in items]
    return out


def start_job(
    session: Session, actor: User, asset_id: int, segment: Mapping[str, Any], fmt: str
) -> RenderJob:
    """Freeze the list of partners now, so the job's total never moves under the progress bar.

    Only partners who may see the asset (``access.asset_visible_to_partner``: published, in the
    audience, active) are rendered for; each step asks again, since that may change meanwhile.
    """
    access.require(actor, Right.MANAGE_ASSETS)
    asset = get_asset(session, actor, asset_id)
    if asset.published_version_id is None and asset.latest_version is None:
        raise ValidationError("Upload a template before rendering it.", {"asset": "no version"})
    if not access.asset_is_published(asset):
        raise ValidationError(
            "Publish the asset before rendering it for partners: partners get the published "
            "version only.",
            {"asset": "not published"},
        )
    if fmt not in FORMATS[asset.kind] or fmt == "preview":
        allowed = [f for f in FORMATS[asset.kind] if f != "preview"]
        raise ValidationError.for_fields({"format": "must be one of: " + ", ".join(allowed)})
    seg = _segment(segment)
    stmt = select(Partner).order_by(Partner.id)
    if seg["tier_ids"]:
        stmt = stmt.where(Partner.tier_id.in_(seg["tier_ids"]))
    if seg["regions"]:
        stmt = stmt.where(Partner.region.in_([Region(r) for r in seg["regions"]]))
    if seg["partner_types"]:
        stmt = stmt.where(Partner.type.in_([PartnerType(t) for t in seg["partner_types"]]))
    if seg["statuses"]:
        stmt = stmt.where(Partner.status.in_([PartnerStatus(s) for s in seg["statuses"]]))
    partners = [p for p in session.scalars(stmt) if access.asset_visible_to_partner(p, asset)]
    if not partners:
        raise ValidationError(
            "No partner of the asset's audience matches this segment (only active partners "
            "get renders).",
            {"segment": "empty"},
        )
    job = RenderJob(
        asset_id=asset.id,
        created_by_id=actor.id,
        segment=seg,
        format=fmt,
        partner_ids=[p.id for p in partners],
        failures=[],
        results=[],
    )
    session.add(job)
    session.flush()
    audit.record(
        session, actor, "render_job.started", job, {"asset_id": asset.id, "partners": len(partners)}
    )
    return job


def get_job(session: Session, actor: User, job_id: int) -> RenderJob:
    job = session.get(RenderJob, job_id)
    if job is None or not access.has(actor, Right.MANAGE_ASSETS):
        raise NotFound("Job not found.")
    return job


def step(
    session: Session, storage: Storage, job_id: int, base_url: str, shard: int = 0, shards: int = 1
) -> bool:
    """Render the next partner of this shard of the job; return whether the shard has more.

    A job is rendered by ``shards`` tasks side by side, each taking every ``shards``-th partner,
    so that several workers share a large job. Two deliveries of one shard take turns (on
    Postgres, a lock on the shard until commit), so a partner is rendered once; the render runs
    without holding the job's row;
    only recording its result takes the row's lock, briefly, so shards never wait on each
    other's renders. Whoever records the last partner builds the zip.

    Safe to repeat: a finished job does nothing, and a partner already rendered is skipped, so a
    retried or duplicated task never renders twice into the zip. A partner whose render fails
    for any reason (a bad brand, a missing file, a time limit) is recorded as that partner's
    failure and the job goes on; it never stops half-way without saying why.
    """
    if not 0 <= shard < shards <= MAX_SHARDS:
        raise ValueError(f"shard {shard} of {shards}")
    _hold_shard(session, job_id, shard)
    # populate_existing: the row is re-read, not taken from this session's cache, so a shard
    # sees the other shards' progress.
    job = session.get(RenderJob, job_id, populate_existing=True)
    if job is None or job.status in (JobStatus.DONE, JobStatus.FAILED):
        return False
    pending = _pending(job, shard, shards)
    if not pending:
        return False
    partner_id = pending[0]
    partner = session.get(Partner, partner_id)
    result: list[Any] | None = None
    failure: dict[str, Any] | None = None
    try:
        with session.begin_nested():
            rendered = _render_one(session, storage, job, partner, base_url)
            result = [partner_id, storage.put(rendered.data), rendered.filename]
    except Exception as exc:
        message = exc.message if isinstance(exc, DomainError) else _describe(exc)
        name = partner.name if partner else ""
        failure = {"partner_id": partner_id, "partner": name, "error": message}
    job = session.get(RenderJob, job_id, with_for_update=True, populate_existing=True)
    if job is None or job.status in (JobStatus.DONE, JobStatus.FAILED):
        return False
    if partner_id in _handled(job):
        # A duplicate delivery of this shard recorded it meanwhile.
        return bool(_pending(job, shard, shards))
    if result is not None:
        job.results = [*job.results, result]
    else:
        job.failures = [*job.failures, failure]
    job.done = len(job.results) + len(job.failures)
    job.status = JobStatus.RUNNING
    if job.done >= job.total:
        _finish(storage, job)
    session.flush()
    return job.status == JobStatus.RUNNING and bool(_pending(job, shard, shards))


def _hold_shard(session: Session, job_id: int, shard: int) -> None:
    """Until this transaction ends, a second delivery of the same shard waits here, then sees
    what this one recorded. Postgres only: SQLite has one writer at a time anyway."""
    if session.get_bind().dialect.name == "postgresql":
        key = _SHARD_LOCKS + job_id * MAX_SHARDS + shard
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _handled(job: RenderJob) -> set[int]:
    return {r[0] for r in job.results} | {f["partner_id"] for f in job.failures}


def _pending(job: RenderJob, shard: int, shards: int) -> list[int]:
    handled = _handled(job)
    return [
        pid for i, pid in enumerate(job.partner_ids) if i % shards == shard and pid not in handled
    ]


def _render_one(
    session: Session, storage: Storage, job: RenderJob, partner: Partner | None, base_url: str
) -> Rendered:
    asset = session.get(Asset, job.asset_id)
    if partner is None or asset is None:
        raise NotFound("The partner or the asset no longer exists.")
    if not access.asset_visible_to_partner(partner, asset) or asset.published_version is None:
        # Unpublished, out of the audience now, or the partner is no longer active.
        raise NotFound("This partner may no longer see the asset; nothing was rendered.")
    return render_version(session, storage, asset.published_version, partner, job.format, base_url)


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return "A stored file (logo or template) is missing; upload it again."
    if type(exc).__name__ == "SoftTimeLimitExceeded":
        return "Rendering took too long and was stopped."
    return f"Rendering failed ({type(exc).__name__})."


def _finish(storage: Storage, job: RenderJob) -> None:
    if job.results:
        job.result_key = write_zip(storage, job.results)
        job.status = JobStatus.DONE
    else:
        job.status = JobStatus.FAILED
    job.finished_at = utcnow()


def fail(session: Session, job_id: int, reason: str) -> None:
    """Mark a job failed after an error outside any one partner (the task's last resort)."""
    job = session.get(RenderJob, job_id, with_for_update=True, populate_existing=True)
    if job is not None and job.status not in (JobStatus.DONE, JobStatus.FAILED):
        job.failures = [*job.failures, {"partner_id": 0, "partner": "", "error": reason}]
        job.status = JobStatus.FAILED
        job.finished_at = utcnow()
        session.flush()


def write_zip(storage: Storage, results: list[Any]) -> str:
    """Write the zip to a spooled file (on disk past a few megabytes), copying each render
    from the store in chunks, then store it by streaming: memory stays bounded however many
    partners the job has. Returns the zip's storage key."""
    names: set[str] = set()
    with tempfile.SpooledTemporaryFile(max_size=ZIP_SPOOL_BYTES) as spool:
        with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
            for partner_id, key, filename in results:
                name = filename if filename not in names else f"{partner_id}-{filename}"
                names.add(name)
                # Fixed timestamps: the same renders always make the same zip.
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                with storage.open(key) as source, archive.open(info, "w") as entry:
                    shutil.copyfileobj(source, entry, CHUNK)
        spool.seek(0)
        return storage.put_file(spool)
