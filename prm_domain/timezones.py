"""Partners' time zones: IANA names checked against the system's zone database.

A campaign post at "day 2, 09:00" goes out at 09:00 in the partner's zone, on both sides of a
daylight-saving change (``local_moment``).
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from typing import Any

from prm_domain import validation

# Countries with one zone for (nearly) all their people. Countries spanning several zones
# (US, CA, BR, AU, RU, MX, ID ...) default to UTC and the partner picks its own.
COUNTRY_ZONES: dict[str, str] = {
    "AT": "Europe/Vienna",
    "BE": "Europe/Brussels",
    "CH": "Europe/Zurich",
    "CZ": "Europe/Prague",
    "DE": "Europe/Berlin",
    "DK": "Europe/Copenhagen",
    "ES": "Europe/Madrid",
    "FI": "Europe/Helsinki",
    "FR": "Europe/Paris",
    "GB": "Europe/London",
    "GR": "Europe/Athens",
    "HK": "Asia/Hong_Kong",
    "IE": "Europe/Dublin",
    "IN": "Asia/Kolkata",
    "IL": "Asia/Jerusalem",
    "IT": "Europe/Rome",
    "JP": "Asia/Tokyo",
    "KR": "Asia/Seoul",
    "NL": "Europe/Amsterdam",
    "NO": "Europe/Oslo",
    "NZ": "Pacific/Auckland",
    "PL": "Europe/Warsaw",
    "PT": "Europe/Lisbon",
    "SE": "Europe/Stockholm",
    "SG": "Asia/Singapore",
    "TW": "Asia/Taipei",
    "ZA": "Africa/Johannesburg",
}


def default_for_country(country: str) -> str:
    return COUNTRY_ZONES.get(country.upper(), "UTC")


@functools.cache
def _known() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def clean(field: str, value: Any) -> str:
    name = validation.text(field, value, max_len=64)
    if name not in _known():
        raise validation.fail(field, "is not an IANA time zone name (such as Europe/Berlin)")
    return name


def local_moment(zone: str, day: dt.date, time: dt.time) -> dt.datetime:
    """The UTC instant of ``time`` on ``day`` in ``zone``.

    Rule at daylight-saving changes: a local time that does not exist (the clocks jump from
    02:00 to 03:00, so 02:30 never happens) is moved forward by the length of the gap (02:30
    becomes 03:30, the first moment after the jump that far from midnight); a local time that
    happens twice (the clocks go back) is its first occurrence, in summer time (fold=0).
    """
    local = dt.datetime.combine(day, time, tzinfo=zoneinfo.ZoneInfo(zone))
    # zoneinfo gives a nonexistent time the offset from before the gap, so converting to UTC
    # and back lands after the gap by its length; fold=0 picks the first of two occurrences.
    return local.astimezone(dt.UTC)
