"""Migrations build the schema the models describe, on SQLite and PostgreSQL."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

import tracker.models  # noqa: F401
from tracker.extensions import db


def _drop_everything(engine) -> None:
    names = sa.inspect(engine).get_table_names()
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(sa.text("PRAGMA foreign_keys=OFF"))
        cascade = " CASCADE" if engine.dialect.name == "postgresql" else ""
        for name in names:
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"{cascade}'))


def test_upgrade_from_empty_matches_models(app):
    engine = db.engine
    _drop_everything(engine)
    upgrade()
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], diff
    # and back down to empty, and up again: the chain is whole
    downgrade(revision="base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert "task" in sa.inspect(engine).get_table_names()
    _drop_everything(engine)
    db.create_all()
