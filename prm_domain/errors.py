"""One family of domain errors; the adapters (API, portal, tasks) map each to a response."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """Base of every error the domain raises on purpose. ``code`` is stable for API clients."""

    code = "domain_error"

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, str] = dict(fields or {})


class ValidationError(DomainError):
    """Input breaks a rule; ``fields`` names each offending field and says why."""

    code = "invalid_fields"

    @classmethod
    def for_fields(cls, fields: Mapping[str, str]) -> ValidationError:
        names = ", ".join(sorted(fields))
        return cls(f"Invalid value for: {names}.", fields)


class NotFound(DomainError):
    """The object does not exist, or its existence is private to another tenant."""

    code = "not_found"


class PermissionDenied(DomainError):
    """The actor may see the object but not do this to it."""

    code = "forbidden"


class Conflict(DomainError):
    """The change collides with existing data (a duplicate, a stale state)."""

    code = "conflict"


class InvalidCredentials(DomainError):
    """Sign-in failed. Deliberately says nothing of whether the account exists."""

    code = "invalid_credentials"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
