"""Field rules shared by the services. Each returns the clean value or raises ValidationError."""

from __future__ import annotations

import datetime as dt
import decimal
import ipaddress
import re
import unicodedata
from enum import StrEnum
from typing import Any, TypeVar

import idna

from prm_domain.countries import ISO_3166_ALPHA2
from prm_domain.errors import ValidationError

E = TypeVar("E", bound=StrEnum)

MAX_ID = 2**31 - 1  # ids are 32-bit integer columns; a larger number names no row

_EMAIL = re.compile(
    r"^[^@\s<>\"',;]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Joiners shape Persian, Indic and emoji text; every other format character is invisible and
# can reorder what a reader sees (U+202E turns "cod.exe" into "exe.doc").
_JOINERS = "\u200c\u200d"
# Hosts a developer's test page runs on; accepted (with a port) only where a caller asks.
LOOPBACK = ("localhost", "127.0.0.1")


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


def text(field: str, value: object, *, max_len: int, required: bool = True) -> str:
    if not isinstance(value, str):
        raise fail(field, "must be text")
    value = value.strip()
    if required and not value:
        raise fail(field, "is required")
    if len(value) > max_len:
        raise fail(field, f"must be at most {max_len} characters")
    if has_surrogate(value):
        raise fail(field, "is not valid Unicode text")
    if any(hidden_character(c) for c in value):
        raise fail(
            field,
            "must not contain control characters or invisible formatting characters "
            "(such as right-to-left overrides)",
        )
    return value


def hidden_character(c: str) -> bool:
    """A control, surrogate, line/paragraph separator or invisible format character (bidi
    controls, zero-width spaces, BOM, tags) other than tab and the two joiners."""
    if c == "\t" or " " <= c <= "~":
        return False
    category = unicodedata.category(c)
    return category in ("Cc", "Cs", "Zl", "Zp") or (category == "Cf" and c not in _JOINERS)


def email(field: str, value: object) -> str:
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


def mailbox(field: str, value: object) -> str:
    """An email address that goes into mail headers (a partner's contact email on the .eml
    drafts): as ``email``, and its local part plain ASCII without quotes, comments,
    colons or backslashes, which would change or break the header."""
    address = email(field, value)
    local = address.rsplit("@", 1)[0]
    # "=?": an RFC 2047 encoded word, which mail software decodes into another address.
    if len(local) > 64 or not _MAILBOX_LOCAL.match(local) or "=?" in local:
        raise fail(field, "is not a valid email address (use letters, digits and . _ - + only)")
    return address


def choice(field: str, value: Any, enum: type[E]) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise fail(field, f"must be one of: {allowed}") from None


def hostname(
    field: str, value: Any, *, allow_port: bool = False, allow_loopback: bool = False
) -> str:
    """A DNS host name: IDNA 2008 (UTS 46) A-labels, lower-case, at least two labels, never an
    IP address. With ``allow_port``, ``:port`` may follow; the default ports (80, 443) are
    dropped, as an Origin header drops them. With ``allow_loopback``, ``localhost`` and
    ``127.0.0.1`` (with any port) are accepted too: a test page on the developer's machine."""
    value = text(field, value, max_len=260).lower().rstrip(".")
    host, _, port = value.rpartition(":") if allow_port and ":" in value else (value, "", "")
    host = host.rstrip(".")
    # isascii: str.isdigit() is true for "²" (int() fails) and "٣" (not a port to store)
    if port and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise fail(field, f"{value!r} has an invalid port")
    # As an Origin header writes it: "08080" is 8080, and "0443" the default port.
    port = str(int(port)) if port else ""
    port = "" if port in ("80", "443") else port
    if allow_loopback and host in LOOPBACK:
        return f"{host}:{port}" if port else host
    if _is_ip(host):
        raise fail(field, f"{value!r} is an IP address: give the website's domain name")
    try:
        # IDNA 2008 keeps "straße.de" (the stdlib's IDNA 2003 codec folds it to "strasse.de").
        host = idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise fail(field, f"{value!r} is not a valid host name") from None
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise fail(field, f"{value!r} is not a valid host name")
    if _is_ip(host) or labels[-1].isdigit():  # full-width digits, "127.1", "0x7f.1"
        raise fail(field, f"{value!r} is an IP address: give the website's domain name")
    if len(labels) < 2:
        raise fail(field, f"{value!r} is not a full domain name")
    return f"{host}:{port}" if port else host


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


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
    if value.upper() not in ISO_3166_ALPHA2:
        hint = " (the United Kingdom is GB)" if value.upper() == "UK" else ""
        raise fail(field, f"{value.upper()!r} is not an ISO 3166 country code{hint}")
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


def aware_datetime(field: str, value: object) -> dt.datetime:
    """A date and time with a time zone, between MIN_YEAR and MAX_YEAR, returned in UTC."""
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise fail(field, "must be a date and time with a time zone")
    try:
        utc = value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise fail(field, f"must be between the years {MIN_YEAR} and {MAX_YEAR}") from None
    if not MIN_YEAR <= utc.year <= MAX_YEAR:
        raise fail(field, f"must be between the years {MIN_YEAR} and {MAX_YEAR}")
    return utc


def password(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise fail(field, "must be text")
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            raise fail(field, "contains characters that are not valid text") from None
    if len(value) < 10:
        raise fail(field, "must be at least 10 characters")
    if len(value) > 256:
        raise fail(field, "must be at most 256 characters")
    return value


def http_url(field: str, value: object, *, allow_loopback: bool = True) -> str:
    """An absolute http(s) URL on a domain name; anything else (javascript:, data:, relative,
    an IP address, credentials) is refused. The loopback host (``localhost``, ``127.0.0.1``)
    is accepted unless ``allow_loopback`` is false: it reaches only the visitor's own machine,
    and a local test page or landing page needs it."""
    from urllib.parse import urlsplit

    value = text(field, value, max_len=2000)
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise fail(field, "must be an absolute http(s) URL")
    if "@" in parts.netloc:
        # "https://javascript:alert(1)@x.example" would also read as a script URL once the
        # "https://" that made it one is gone; credentials have no place in a stored link.
        raise fail(field, "must not contain a user name or password")
    try:
        port = parts.port
    except ValueError:
        raise fail(field, "has an invalid port") from None
    host = parts.hostname or ""
    hostname(
        field,
        f"{host}:{port}" if port else host,
        allow_port=True,
        allow_loopback=allow_loopback,
    )
    return value


def contains_pattern(text_: str) -> str:
    """A LIKE pattern matching ``text_`` anywhere, its own % _ and \\ taken literally
    (use with ``escape="\\"``)."""
    escaped = text_.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
