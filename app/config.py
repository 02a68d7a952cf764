"""Configuration from environment variables, with defaults that need nothing installed."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any


def _secret_key(instance: Path) -> str:
    """The SECRET_KEY from the environment, else one generated once and kept under instance/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        # Written whole to a file of its own, then linked into place: a second process starting
        # at the same moment either links first or finds the complete key, never an empty file.
        fd, tmp = tempfile.mkstemp(dir=instance, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


def _periodic_jobs(value: str) -> dict[str, float]:
    """``name=seconds,...``: intervals that replace the default schedule's (tests use seconds)."""
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        name, sep, seconds = part.partition("=")
        try:
            every = float(seconds)
        except ValueError:
            every = 0.0
        if not sep or not every > 0:
            raise ValueError(f"PERIODIC_JOBS: expected name=seconds, got {part!r}")
        out[name.strip()] = every
    return out


def from_env(instance_path: str) -> dict[str, Any]:
    instance = Path(instance_path)
    env = os.environ
    redis_url = env.get("REDIS_URL") or None
    public_base_url = env.get("PUBLIC_BASE_URL", "").rstrip("/") or None
    return {
        "SECRET_KEY": _secret_key(instance),
        "DATABASE_URL": env.get("DATABASE_URL") or f"sqlite:///{instance / 'cobrand.db'}",
        # SQLite only: how long a writer waits for another's lock before "database is locked".
        "SQLITE_BUSY_TIMEOUT": float(env.get("SQLITE_BUSY_TIMEOUT", "5")),
        "REDIS_URL": redis_url,
        "STORAGE_DIR": env.get("STORAGE_DIR") or str(instance / "storage"),
        # s3://bucket/prefix keeps files in an S3-compatible store shared by every machine
        # (credentials from the AWS_* variables); unset, files live under STORAGE_DIR.
        "STORAGE_URL": env.get("STORAGE_URL") or None,
        "S3_ENDPOINT_URL": env.get("S3_ENDPOINT_URL") or None,
        # Downloads from S3 redirect to an address valid this long; 0 streams them through
        # the web process instead (a store the browsers cannot reach).
        # A batch render is split into this many tasks, so that every worker takes a share.
        "RENDER_JOB_SHARDS": int(env.get("RENDER_JOB_SHARDS", "4")),
        "S3_PRESIGN_SECONDS": int(env.get("S3_PRESIGN_SECONDS", "300")),
        "PUBLIC_BASE_URL": public_base_url,
        "VENDOR_NAME": env.get("VENDOR_NAME", "Nimbus Cloud"),
        "CELERY_QUEUE": env.get("CELERY_QUEUE", "cobrand"),
        "PERIODIC_JOBS": _periodic_jobs(env.get("PERIODIC_JOBS", "")),
        # Separates the counters of deployments (or test runs) that share one Redis.
        "RATE_LIMIT_PREFIX": env.get("RATE_LIMIT_PREFIX", "cobrand"),
        # The longest each web process reuses an embed's serialized content (0: never). Any
        # change to what it shows ends it sooner (prm_domain.changes), so this only bounds
        # the age of an answer after a change made outside the product (psql by hand).
        "SYNDICATION_CACHE_SECONDS": float(env.get("SYNDICATION_CACHE_SECONDS", "300")),
        # How often each web process asks whether the content changed (its own changes it
        # sees at once): the delay before another process's change reaches its caches.
        "CHANGE_CHECK_SECONDS": float(env.get("CHANGE_CHECK_SECONDS", "1")),
        # Uploads (issue 4) may be large; JSON bodies are held to API_MAX_JSON_BYTES per request.
        "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
        "API_MAX_JSON_BYTES": 1024 * 1024,
        "API_TOKEN_TTL_HOURS": int(env.get("API_TOKEN_TTL_HOURS", "168")),
        # How long a partner has to accept a lead offered to it before it moves on.
        "LEAD_ACCEPT_HOURS": float(env.get("LEAD_ACCEPT_HOURS", "48")),
        # Quiz attempts per person and course within any 24 hours (the key must not be found
        # by trying answers: certifications feed lead routing).
        "QUIZ_ATTEMPTS_PER_DAY": int(env.get("QUIZ_ATTEMPTS_PER_DAY", "3")),
        # Failed sign-ins only: per account from one address, and per address over all
        # accounts. Never per account from anywhere: strangers could lock the owner out.
        "LOGIN_LIMIT_PER_ACCOUNT_ADDRESS": env.get(
            "LOGIN_LIMIT_PER_ACCOUNT_ADDRESS", "5 per 15 minutes"
        ),
        "LOGIN_LIMIT_PER_ADDRESS": env.get("LOGIN_LIMIT_PER_ADDRESS", "20 per 15 minutes"),
        # A partner admin adding users whose addresses have accounts elsewhere.
        "USER_ADD_REFUSAL_LIMIT": env.get("USER_ADD_REFUSAL_LIMIT", "10 per hour"),
        # Portal sessions end after this long without a request, and at the latest after the
        # absolute lifetime (NIST SP 800-63B AAL2: 30 minutes idle, 12 hours).
        "SESSION_IDLE_MINUTES": int(env.get("SESSION_IDLE_MINUTES", "30")),
        # Tracked links (/r/<code>) and counted downloads: per address; a repeat within the
        # window is served but not counted again (app/links.py, app/api/library.py).
        "LINK_LIMIT_PER_ADDRESS": env.get("LINK_LIMIT_PER_ADDRESS", "60 per minute"),
        "LINK_REPEAT_WINDOW": env.get("LINK_REPEAT_WINDOW", "10 minutes"),
        "DOWNLOAD_LIMIT_PER_ADDRESS": env.get("DOWNLOAD_LIMIT_PER_ADDRESS", "60 per minute"),
        "DOWNLOAD_REPEAT_WINDOW": env.get("DOWNLOAD_REPEAT_WINDOW", "10 minutes"),
        # The public partner application form (/apply): submissions per address.
        "APPLICATION_LIMIT_PER_ADDRESS": env.get("APPLICATION_LIMIT_PER_ADDRESS", "5 per hour"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Secure cookies when the public URL is HTTPS; a plain-HTTP dev server would lose them.
        "SESSION_COOKIE_SECURE": bool(public_base_url and public_base_url.startswith("https://")),
        "PERMANENT_SESSION_LIFETIME": int(env.get("SESSION_MAX_HOURS", "12")) * 3600,
        # The cookie is set when it changes (sign-in, a CSRF token, a flash), not re-signed and
        # sent on every answer: its expiry is the server-side session's absolute end anyway
        # (auth.open_session), and the idle timeout is kept on the server.
        "SESSION_REFRESH_EACH_REQUEST": False,
        # Publishing (issue 9): each service's API base is a setting, so a stand-in can take its
        # place; OAuth 2 client credentials and endpoints for connecting and refreshing.
        "LINKEDIN_API_BASE": env.get("LINKEDIN_API_BASE", "https://api.linkedin.com"),
        "LINKEDIN_VERSION": env.get("LINKEDIN_VERSION", "202511"),
        "LINKEDIN_CLIENT_ID": env.get("LINKEDIN_CLIENT_ID", ""),
        "LINKEDIN_CLIENT_SECRET": env.get("LINKEDIN_CLIENT_SECRET", ""),
        "LINKEDIN_AUTHORIZE_URL": env.get(
            "LINKEDIN_AUTHORIZE_URL", "https://www.linkedin.com/oauth/v2/authorization"
        ),
        "LINKEDIN_TOKEN_URL": env.get(
            "LINKEDIN_TOKEN_URL", "https://www.linkedin.com/oauth/v2/accessToken"
        ),
        "X_API_BASE": env.get("X_API_BASE", "https://api.x.com"),
        "X_CLIENT_ID": env.get("X_CLIENT_ID", ""),
        "X_CLIENT_SECRET": env.get("X_CLIENT_SECRET", ""),
        "X_AUTHORIZE_URL": env.get("X_AUTHORIZE_URL", "https://x.com/i/oauth2/authorize"),
        "X_TOKEN_URL": env.get("X_TOKEN_URL", "https://api.x.com/2/oauth2/token"),
        # Channel credentials are encrypted under a key derived from this (HKDF), else from
        # SECRET_KEY; set it to rotate the session key without losing connected channels.
        "CHANNEL_SECRET_KEY": env.get("CHANNEL_SECRET_KEY", ""),
        "PUBLISH_TIMEOUT": float(env.get("PUBLISH_TIMEOUT", "20")),
        # Partner webhook/SMTP hosts and vendor deal webhooks may be private addresses only
        # with this set (test stand-ins on loopback, a closed intranet install): off, they
        # must resolve to public addresses (SSRF). The configured LinkedIn/X bases need not.
        "PUBLISH_ALLOW_PRIVATE_HOSTS": env.get("PUBLISH_ALLOW_PRIVATE_HOSTS", "")
        in ("1", "true", "yes"),
        # A publication "publishing" for longer was left by a dead worker and is reconciled.
        # Keep it above the publish task's hard time limit (50 s); tests shorten it.
        "PUBLISH_STALE_SECONDS": float(env.get("PUBLISH_STALE_SECONDS", "60")),
        # Behind a TLS-terminating proxy (Heroku-style routers), trust its X-Forwarded-* headers.
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
    }
