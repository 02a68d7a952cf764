"""Field rules shared by the services. Each returns the clean value or raises ValidationError."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from enum import StrEnum
from typing import Any, TypeVar

from prm_domain.errors import ValidationError

E = TypeVar("E", bound=StrEnum)

MAX_ID = 2**31 - 1  # ids are 32-bit integer columns; a larger number names no row

_EMAIL = re.compile(
    r"^[^@\s<>\"',;]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def fail(field: str, why: str) -> ValidationError:
    return ValidationError.for_fields({field: why})


_SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogate(value: str) -> bool:
    """A lone surrogate (JSON "\\ud800") cannot be encoded as UTF-8: not storable text."""
    return _SURROGATE.search(value) is not None


def surrogate_path(value: Any) -> str | None:
    """The dotted path ("fields.name", "body" for the top) of the first key or string in a
    JSON value that holds a lone surrogate; None if there is none."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if has_surrogate(item):
                return path or "body"
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and has_surrogate(key):
                    return path or "body"
                stack.append((name, child))
        elif isinstance(item, list):
            stack.extend((f"{path}.{i}" if path else str(i), c) for i, c in enumerate(item))
    return None


def text(field: str, value: Any, *, max_len: int, required: bool = True) -> str:
    if not isinstance(value, str):
        raise fail(field, "must be text")
    value = value.strip()
    if required and not value:
        raise fail(field, "is required")
    if len(value) > max_len:
        raise fail(field, f"must be at most {max_len} characters")
    if any(ord(c) < 32 and c not in "\t" for c in value):
        raise fail(field, "must not contain control characters")
    if has_surrogate(value):
        raise fail(field, "is not valid Unicode text")
    return value


def email(field: str, value: Any) -> str:
    value = text(field, value, max_len=254)
    if not _EMAIL.match(value):
        raise fail(field, "is not a valid email address")
    value = value.lower()
    if len(value) > 254:  # lower() can lengthen: "İ" becomes "i" + a combining dot
        raise fail(field, "must be at most 254 characters")
    return value


# RFC 5322 dot-atom local part, ASCII: what stands in a From header exactly as typed.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_MAILBOX_LOCAL = re.compile(rf"^{_ATEXT}(?:\.{_ATEXT})*$")


def mailbox(field: str, value: Any) -> str:
    """An email address that goes into mail headers (a partner's contact email on the .eml
    drafts): as ``email``, and its local part plain ASCII without quotes, comments,
    colons or backslashes, which would change or break the header."""
    value = email(field, value)
    local = value.rsplit("@", 1)[0]
    if len(local) > 64 or not _MAILBOX_LOCAL.match(local):
        raise fail(field, "is not a valid email address (use letters, digits and . _ - + only)")
    return value


def choice(field: str, value: Any, enum: type[E]) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise fail(field, f"must be one of: {allowed}") from None


def hostname(field: str, value: Any, *, allow_port: bool = False) -> str:
    """A DNS host name (IDNA-encoded, lower-case), optionally with ``:port``."""
    value = text(field, value, max_len=260).lower().rstrip(".")
    host, _, port = value.partition(":") if allow_port else (value, "", "")
    # isascii: str.isdigit() is true for "²" (int() fails) and "٣" (not a port to store)
    if port and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise fail(field, f"{value!r} has an invalid port")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise fail(field, f"{value!r} is not a valid host name") from None
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise fail(field, f"{value!r} is not a valid host name")
    if len(labels) < 2 and host != "localhost" and not allow_port:
        raise fail(field, f"{value!r} is not a full domain name")
    return f"{host}:{port}" if port else host


def string_list(field: str, value: Any, *, max_items: int, max_len: int) -> list[str]:
    if not isinstance(value, list):
        raise fail(field, "must be a list")
    if len(value) > max_items:
        raise fail(field, f"must have at most {max_items} entries")
    out: list[str] = []
    for item in value:
        clean = text(field, item, max_len=max_len)
        if clean not in out:
            out.append(clean)
    return out


def country(field: str, value: Any) -> str:
    value = text(field, value, max_len=2)
    # Check before upper-casing: "ß".upper() is "SS", and "ﬀ".upper() is "FF".
    if not re.fullmatch(r"[A-Za-z]{2}", value):
        raise fail(field, "must be a two-letter ISO 3166 country code")
    return value.upper()


def percent(field: str, value: Any) -> decimal.Decimal:
    if isinstance(value, bool | float):
        # Floats carry binary rounding; percentages and money arrive as strings or Decimals.
        raise fail(field, 'must be a decimal number given as a string, e.g. "12.5"')
    try:
        number = decimal.Decimal(str(value))
    except decimal.InvalidOperation:
        raise fail(field, "must be a decimal number") from None
    if not number.is_finite() or not 0 <= number <= 100:
        raise fail(field, "must be between 0 and 100")
    if number != number.quantize(decimal.Decimal("0.01")):
        raise fail(field, "must have at most two decimal places")
    return number.quantize(decimal.Decimal("0.01"))


def past_date(field: str, value: Any) -> dt.date | None:
    if value is None:
        return None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise fail(field, "must be a date (YYYY-MM-DD)")
    if value > dt.date.today() + dt.timedelta(days=1):
        raise fail(field, "must not be in the future")
    if value.year < MIN_YEAR:
        raise fail(field, f"must be in the year {MIN_YEAR} or later")
    return value


# What a schedule or a signature date may be: far enough to never refuse a real one, and
# clear of the calendar's ends (year 1 and 9999), where moving to UTC or adding a day
# overflows Python's datetime.
MIN_YEAR, MAX_YEAR = 1900, 2999


def aware_datetime(field: str, value: Any) -> dt.datetime:
    """A date and time with a time zone, between MIN_YEAR and MAX_YEAR, returned in UTC."""
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise fail(field, "must be a date and time with a time zone")
    try:
        value = value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise fail(field, f"must be between the years {MIN_YEAR} and {MAX_YEAR}") from None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise fail(field, f"must be between the years {MIN_YEAR} and {MAX_YEAR}")
    return value


def password(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise fail(field, "must be text")
    if len(value) < 10:
        raise fail(field, "must be at least 10 characters")
    if len(value) > 256:
        raise fail(field, "must be at most 256 characters")
    return value


def http_url(field: str, value: Any) -> str:
    """An absolute http(s) URL; anything else (javascript:, data:, relative) is refused."""
    from urllib.parse import urlsplit

    value = text(field, value, max_len=2000)
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise fail(field, "must be an absolute http(s) URL")
    hostname(field, parts.hostname or "", allow_port=True)
    return value


def contains_pattern(text_: str) -> str:
    """A LIKE pattern matching ``text_`` anywhere, its own % _ and \\ taken literally
    (use with ``escape="\\"``)."""
    escaped = text_.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
