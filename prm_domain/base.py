"""Declarative base, naming convention and column types shared by every model."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Enum, MetaData, Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine

# Named constraints make migrations reproducible on every backend (Alembic can only drop
# or alter what has a name, and SQLite batch mode needs them).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite drops the offset on the way back; without this, comparisons between stored and
    fresh values raise "can't compare offset-naive and offset-aware datetimes".
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


class ExactDecimal(TypeDecorator[decimal.Decimal]):
    """``Numeric`` that stays exact on SQLite too.

    SQLite has no decimal type and pysqlite would round-trip through float, so there it is
    stored as text; Postgres gets a real NUMERIC(precision, scale).
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 12, scale: int = 2) -> None:
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision = precision
        self.scale = scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(self.precision + 2))
        return dialect.type_descriptor(Numeric(self.precision, self.scale))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        quantum = decimal.Decimal(1).scaleb(-self.scale)
        exact = decimal.Decimal(value).quantize(quantum)
        return str(exact) if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Dialect) -> decimal.Decimal | None:
        if value is None:
            return None
        return decimal.Decimal(str(value))


# Without AUTOINCREMENT, SQLite gives a deleted row's id to the next insert. Tables whose ids
# other rows keep in JSON lists (embeds' items, audiences' tiers, jobs' partners) or that links
# and sessions carry take this, so an old reference never silently names a new row.
# (Postgres sequences never hand an id out twice.)
NO_ID_REUSE: dict[str, Any] = {"sqlite_autoincrement": True}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute by name
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
        list[int]: JSON(),
        list[Any]: JSON(),
        list[int] | None: JSON(),
        list[str] | None: JSON(),
    }


def str_enum(enum: type) -> Enum:
    """A StrEnum column stored by value as VARCHAR on every backend: adding a member needs no
    ALTER TYPE, and the database sees the same strings the API does."""
    return Enum(
        enum,
        native_enum=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class json_list_has(FunctionElement[bool]):
    """``value in column`` for a JSON list of strings, in SQL on both backends."""

    type = Boolean()
    inherit_cache = True
    name = "json_list_has"


@compiles(json_list_has)
def _json_list_has_default(element: json_list_has, compiler: Any, **kw: Any) -> str:
    # SQLAlchemy also compiles a statement with its default (string) compiler: a joined eager
    # load under LIMIT asks it for the statement's FROMs (the vendor's tag filter was a 500).
    column, value = list(element.clauses)
    return f"json_list_has({compiler.process(column, **kw)}, {compiler.process(value, **kw)})"


@compiles(json_list_has, "sqlite")
def _json_list_has_sqlite(element: json_list_has, compiler: Any, **kw: Any) -> str:
    column, value = list(element.clauses)
    # Both parts are compiled SQL (a column and a bound parameter), never input text.
    return (
        f"EXISTS (SELECT 1 FROM json_each({compiler.process(column, **kw)}) "  # noqa: S608
        f"WHERE json_each.value = {compiler.process(value, **kw)})"
    )


@compiles(json_list_has, "postgresql")
def _json_list_has_postgresql(element: json_list_has, compiler: Any, **kw: Any) -> str:
    column, value = list(element.clauses)
    return (
        f"(CAST({compiler.process(column, **kw)} AS JSONB) "
        f"@> jsonb_build_array(CAST({compiler.process(value, **kw)} AS TEXT)))"
    )
