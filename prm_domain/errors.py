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
        # What an API client reads: the same, unless the message was made for people from the
        # fields (ValidationError.for_fields), when the client gets the fields' own names.
        self.api_message = message


# Short words people read in capitals; a field named after them says so ("dpa_signed_on").
_ACRONYMS = frozenset({"api", "csv", "dpa", "id", "mdf", "pdf", "roi", "sso", "url", "utm", "vat"})


def field_words(name: str) -> str:
    """A field's name as words ("consent_source" -> "consent source", "tier_id" -> "tier",
    "fields.email" -> "email", "dpa_signed_on" -> "DPA signed on"): for messages people read."""
    last = name.rsplit(".", 1)[-1]
    parts = [p for p in last.replace("-", "_").split("_") if p]
    if len(parts) > 1 and parts[-1] == "id":
        parts.pop()
    elif len(parts) > 1 and parts[-1] == "ids":
        parts = [*parts[:-2], parts[-2] + "s"]
    words = [p.upper() if p in _ACRONYMS else p for p in parts]
    return " ".join(words) or name


class ValidationError(DomainError):
    """Input breaks a rule; ``fields`` names each offending field and says why."""

    code = "invalid_fields"

    @classmethod
    def for_fields(cls, fields: Mapping[str, str]) -> ValidationError:
        # The message is read by people (a portal page, an API client's log); the machine
        # names are in ``fields``.
        if len(fields) == 1:
            ((name, why),) = fields.items()
            error = cls(f"Check the {field_words(name)}: {why}.", fields)
        else:
            names = ", ".join(field_words(n) for n in sorted(fields))
            error = cls(f"Check these fields: {names}.", fields)
        error.api_message = f"Invalid value for: {', '.join(sorted(fields))}."
        return error


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
