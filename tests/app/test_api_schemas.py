"""Answers shaped from mapped objects: read from their loaded values or from the object, the same
answer (app/api/schemas.py ``loaded``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.api.schemas import Out, PartnerOut, loaded, loaded_fields
from prm_domain.models import Partner, User


class _Columns(Out):
    id: int
    name: str
    country: str
    verticals: list[str]
    created_at: dt.datetime
    note: str = "not a column: its default"


class _WithProperty(Out):
    id: int
    email: str
    is_vendor: bool  # a Python property of User, not a column


def _same(model: type[BaseModel], obj: Any) -> None:
    assert model.model_validate(loaded(obj, model)) == model.model_validate(obj)


def test_a_loaded_object_is_read_from_its_values_and_gives_the_same_answer(
    session: Session, make_partner: Callable[..., Partner]
) -> None:
    partner = make_partner()
    session.flush()
    session.expire(partner)
    fresh = session.get(Partner, partner.id)
    assert fresh is not None
    fresh.name  # noqa: B018 - loads the row again
    assert loaded(fresh, _Columns) is fresh.__dict__
    _same(_Columns, fresh)
    assert loaded_fields(fresh, _Columns) == {
        "id": fresh.id, "name": fresh.name, "country": fresh.country,
        "verticals": fresh.verticals, "created_at": fresh.created_at,
    }  # fmt: skip


def test_an_expired_object_is_read_from_the_object_which_loads_it(
    session: Session, make_partner: Callable[..., Partner]
) -> None:
    partner = make_partner(name="Before Rename")
    session.flush()
    session.expire(partner)  # as a commit leaves it: nothing loaded
    assert loaded(partner, _Columns) is partner
    assert loaded_fields(partner, _Columns)["name"] == "Before Rename"
    _same(_Columns, partner)


def test_a_model_reading_a_property_always_reads_the_object(
    session: Session, make_user: Callable[..., User], make_partner: Callable[..., Partner]
) -> None:
    partner = make_partner()
    user = make_user()
    session.flush()
    assert loaded(partner, PartnerOut) is partner  # tier_name is a property of Partner
    _same(PartnerOut, partner)
    assert loaded(user, _WithProperty) is user
    assert _WithProperty.model_validate(loaded(user, _WithProperty)).is_vendor == user.is_vendor
