"""Request and response shapes of the JSON API. Vocabularies come from ``prm_domain.enums``."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema
from sqlalchemy import inspect as sa_inspect

from prm_domain.enums import (
    BusinessModel,
    ChangeRequestStatus,
    PartnerStatus,
    PartnerType,
    Region,
    Role,
)
from prm_domain.pagination import MAX_PAGE, Page
from prm_domain.validation import MAX_ID

T = TypeVar("T")

# Every id in a body or query: a positive 32-bit integer (the columns' size), so an oversized
# number is a 422 naming the field, never a database overflow.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

Percent = Annotated[
    decimal.Decimal,
    Field(ge=0, le=100, decimal_places=2, description='A percentage, e.g. "12.50".'),
]


class In(BaseModel):
    # strict: "1" is not an id and 1 is not a name; extra="forbid": a typo'd field is an error,
    # not silently ignored.
    model_config = ConfigDict(strict=True, extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def loaded(obj: Any, model: type[BaseModel]) -> Any:
    """What ``model.model_validate`` should read ``obj`` (a mapped object) from: its loaded
    values as a mapping when every field it maps is loaded, else the object itself.

    The same values either way; from the mapping pydantic looks each one up in C, where from the
    object it goes through SQLAlchemy's attribute descriptors, one Python call per field: a fifth
    of a 50-lead page's work (bench/bench_scale.py). An attribute that is not loaded (expired by a
    commit) is read from the object, which loads it; a model that reads a Python property of the
    class always reads the object."""
    names = _mapped_fields(type(obj), model)
    values = obj.__dict__
    return values if names is not None and names <= values.keys() else obj


def loaded_fields(obj: Any, model: type[BaseModel]) -> dict[str, Any]:
    """The values of ``model``'s fields that ``obj`` has, read as ``loaded`` reads them: for a
    model that adds fields of its own to them."""
    names = _mapped_fields(type(obj), model)
    values = obj.__dict__
    if names is not None and names <= values.keys():
        return {name: values[name] for name in names}
    return {name: getattr(obj, name) for name in model.model_fields if hasattr(obj, name)}


_MAPPED: dict[tuple[type, type[BaseModel]], frozenset[str] | None] = {}


def _mapped_fields(cls: type, model: type[BaseModel]) -> frozenset[str] | None:
    """The fields of ``model`` that ``cls`` maps; None if one of them is a Python attribute of
    ``cls`` (a property), which only the object can answer. Worked out once per pair."""
    key = (cls, model)
    if key not in _MAPPED:
        mapper: Any = sa_inspect(cls, raiseerr=False)
        fields = set(model.model_fields)
        mapped = set(mapper.attrs.keys()) if mapper is not None else set()
        unsafe = mapper is None or any(hasattr(cls, f) for f in fields - mapped)
        _MAPPED[key] = None if unsafe else frozenset(fields & mapped)
    return _MAPPED[key]


class PageOut(Out, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


# Made once: PageOut[Any] builds (or looks up) a parametrised class on every use.
_ANY_PAGE = PageOut[Any]


def page_out(page: Page[Any], convert: Callable[[Any], BaseModel]) -> PageOut[Any]:
    """A domain Page as the API's list answer, each item shaped by ``convert``."""
    return _ANY_PAGE(
        items=[convert(i) for i in page.items],
        total=page.total,
        page=page.page,
        per_page=page.per_page,
    )


class PageQuery(BaseModel):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="1-based page number")
    per_page: int = Field(50, ge=1, le=200, description="items per page, at most 200")


class TokenIn(In):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)


class PasswordChangeIn(In):
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256, description="at least 10 characters")


class TokenOut(Out):
    token: str
    expires_at: dt.datetime


class MeOut(Out):
    id: int
    email: str
    display_name: str
    role: Role
    partner_id: int | None


class TierIn(In):
    name: str = Field(min_length=1, max_length=80)
    rank: int = Field(ge=0, le=1000)
    description: str = Field("", max_length=500)
    mdf_share_percent: Percent
    discount_percent: Percent
    content_access: list[str] = Field(default_factory=list, max_length=20)


class TierPatch(In):
    name: str | None = Field(None, min_length=1, max_length=80)
    rank: int | None = Field(None, ge=0, le=1000)
    description: str | None = Field(None, max_length=500)
    mdf_share_percent: Percent | None = None
    discount_percent: Percent | None = None
    content_access: list[str] | None = Field(None, max_length=20)


class TierOut(Out):
    id: int
    name: str
    rank: int
    description: str
    mdf_share_percent: decimal.Decimal
    discount_percent: decimal.Decimal
    content_access: list[str]


class PartnerIn(In):
    name: str = Field(min_length=1, max_length=200)
    type: PartnerType
    tier_id: Id
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")
    region: Region
    verticals: list[str] = Field(default_factory=list, max_length=20)
    business_model: BusinessModel | None = None
    website_domains: list[str] = Field(default_factory=list, max_length=20)
    status: PartnerStatus = PartnerStatus.PROSPECT
    dpa_signed_on: dt.date | None = Field(
        None, description="date the current data processing addendum was signed"
    )
    timezone: str | None = Field(
        None,
        max_length=64,
        description="IANA time zone (Europe/Berlin); default: the country's, else UTC",
    )


class PartnerPatch(In):
    name: str | None = Field(None, min_length=1, max_length=200)
    type: PartnerType | None = None
    tier_id: Id | None = None
    country: str | None = Field(None, min_length=2, max_length=2)
    region: Region | None = None
    verticals: list[str] | None = Field(None, max_length=20)
    business_model: BusinessModel | None = None
    website_domains: list[str] | None = Field(None, max_length=20)
    status: PartnerStatus | None = None
    dpa_signed_on: dt.date | None = None
    timezone: str | None = Field(None, max_length=64, description="IANA time zone name")


class PartnerChangeIn(In):
    """Fields the vendor owns that a partner admin may ask to change, and why."""

    name: str | None = Field(None, min_length=1, max_length=200)
    type: PartnerType | None = None
    region: Region | None = None
    verticals: list[str] | None = Field(None, max_length=20)
    note: str = Field("", max_length=500)


class PartnerChangeOut(Out):
    id: int
    partner_id: int
    changes: dict[str, Any]
    note: str
    status: ChangeRequestStatus
    requested_by_id: int | None
    decided_by_id: int | None
    decided_at: dt.datetime | None
    decision_note: str
    created_at: dt.datetime


class PartnerChangeQuery(PageQuery):
    status: ChangeRequestStatus | None = None


class DecisionIn(In):
    note: str = Field("", max_length=500)


class PartnerOut(Out):
    id: int
    name: str
    type: PartnerType
    tier_id: Id
    tier_name: str
    country: str
    region: Region
    verticals: list[str]
    business_model: BusinessModel | None
    website_domains: list[str]
    status: PartnerStatus
    dpa_signed_on: dt.date | None
    timezone: str
    created_at: dt.datetime
    updated_at: dt.datetime


class PartnerQuery(PageQuery):
    q: str | None = Field(None, max_length=200, description="search in name, or a country code")
    tier_id: Id | None = None
    status: PartnerStatus | None = None
    type: PartnerType | None = None
    region: Region | None = None


class UserIn(In):
    email: str = Field(max_length=254)
    password: str = Field(min_length=10, max_length=256)
    display_name: str = Field(min_length=1, max_length=120)
    role: Role


class UserOut(Out):
    id: int
    email: str
    display_name: str
    role: Role
    partner_id: int | None
    active: bool
    created_at: dt.datetime
    last_sign_in_at: dt.datetime | None


class AuditEventOut(Out):
    id: int
    at: dt.datetime
    actor_id: int | None
    actor_email: str
    action: str
    object_type: str
    object_id: int | None
    partner_id: int | None
    changes: dict[str, object]


# Money travels as a decimal string ("1250.00"), never as a JSON number: a number is a 422.
_AMOUNT = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,2})?$")


def _amount(value: Any) -> decimal.Decimal:
    if not isinstance(value, str):
        raise ValueError('must be a decimal string like "1250.00", not a number')
    if not _AMOUNT.match(value):
        raise ValueError('must be a decimal string like "1250.00" (at most 2 decimal places)')
    return decimal.Decimal(value)


Amount = Annotated[
    decimal.Decimal,
    PlainValidator(_amount),
    WithJsonSchema(
        {"type": "string", "pattern": _AMOUNT.pattern, "examples": ["1250.00"]}, mode="validation"
    ),
]
