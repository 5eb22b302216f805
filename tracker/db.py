"""The SQLAlchemy base: stable constraint names for migrations, UTC timestamps."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Aware UTC now; a function reference for column defaults, never evaluated at import."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Store naive UTC, hand back aware UTC: SQLite keeps no time zone, PostgreSQL the same column."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base)
T = TypeVar("T")


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


def str_enum(enum_cls, length: int = 20) -> sa.Enum:
    """An enum stored as its readable value with a CHECK constraint."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        name=enum_cls.__name__.lower(),
        validate_strings=True,
    )


def insert_ignoring(table: Any, *index_elements: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING for the session's database (SQLite or PostgreSQL): a second
    insert of the same key is a no-op, never an error that would end the transaction."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing(index_elements=list(index_elements) or None)


def enable_sqlite_pragmas(engine: sa.Engine) -> None:
    """WAL and foreign keys for SQLite: several readers beside one writer, and real FK checks."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - trivial
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def retry_on_conflict(work: Callable[[], T], attempts: int = 5) -> T:
    """Run ``work`` and commit. When a concurrent transaction won a race (a unique key already
    taken, SQLite busy, a PostgreSQL deadlock), roll back and run it again: the loser waits and
    retries cleanly instead of failing with a traceback."""
    for attempt in range(attempts):
        try:
            result = work()
            db.session.commit()
            return result
        except (sa.exc.IntegrityError, sa.exc.OperationalError):
            db.session.rollback()
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")
