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


def text(field: str, value: object, *, max_len: int, required: bool = True) -> str:
    if not isinstance(value, str):
        raise fail(field, "must be text")
    value = value.strip()
    if required and not value:
        raise fail(field, "is required")
    if len(value) > max_len:
        raise fail(field, f"must be at most {max_len} characters")
    if any(ord(c) < 32 and c not in "\t" for c in value):
        raise fail(field, "must not contain control characters")
    return value


def email(field: str, value: object) -> str:
    value = text(field, value, max_len=254)
    if not _EMAIL.match(value):
        raise fail(field, "is not a valid email address")
    value = value.lower()
    if len(value) > 254:  # lower() can lengthen: "İ" becomes "i" + a combining dot
        raise fail(field, "must be at most 254 characters")
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


def country(field: str, value: object) -> str:
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
    return value


def password(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise fail(field, "must be text")
    if len(value) < 10:
        raise fail(field, "must be at least 10 characters")
    if len(value) > 256:
        raise fail(field, "must be at most 256 characters")
    return value


def http_url(field: str, value: object) -> str:
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
