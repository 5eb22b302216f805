"""Migrations build the schema the models describe, on SQLite and PostgreSQL."""

import pytest
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


def test_upgrade_0002_keeps_the_data_of_an_0001_database(app):
    """Units and tasks written under 0001 survive 0002; the new enum values are then accepted and
    unknown ones still refused (the CHECK constraints were replaced, not dropped)."""
    engine = db.engine
    _drop_everything(engine)
    upgrade(revision="0001")
    stamp = "2026-03-02 10:00:00"
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO unit (id, name, code, kind, sort_order, is_active, created_at, updated_at) VALUES "
            "(1, '示范市', 'sf', 'region', 0, true, :t, :t), (2, '东城区', 'dc', 'county', 1, true, :t, :t)"),
            {"t": stamp})
        conn.execute(sa.text(
            "INSERT INTO plan (id, title, state, source_text, is_deleted, created_at, updated_at) "
            "VALUES (1, '2026年重点工作', 'active', '', false, :t, :t)"), {"t": stamp})
        conn.execute(sa.text(
            "INSERT INTO measure (id, plan_id, position, level, number, text, kind, is_inline, suggestions) "
            "VALUES (1, 1, 0, 1, '1', '建设智慧校园。', 'measure', false, '{}')"))
        conn.execute(sa.text(
            "INSERT INTO task (id, measure_id, plan_id, unit_id, role, state, due_on, original_due_on, assigned_on,"
            " reporting_period, is_key, evidence_required, return_count, progress_percent, version, created_at,"
            " updated_at) VALUES (1, 1, 1, 2, 'lead', 'assigned', '2026-12-31', '2026-12-31', '2026-03-02',"
            " 'half_yearly', false, true, 0, 0, 1, :t, :t)"), {"t": stamp})
    upgrade()
    with engine.begin() as conn:
        units = conn.execute(sa.text("SELECT id, name, kind, aliases FROM unit ORDER BY id")).all()
        assert [(u.id, u.name, u.kind) for u in units] == [(1, "示范市", "region"), (2, "东城区", "county")]
        assert all(u.aliases in ("[]", []) for u in units)
        assert conn.execute(sa.text("SELECT reporting_period FROM task WHERE id = 1")).scalar() == "half_yearly"
        conn.execute(sa.text("UPDATE task SET reporting_period = 'weekly' WHERE id = 1"))
        conn.execute(sa.text(
            "INSERT INTO unit (id, name, code, kind, sort_order, is_active, created_at, updated_at, aliases) "
            "VALUES (3, '城关街道', 'cg', 'township', 2, true, :t, :t, '[\"城关办\"]')"), {"t": stamp})
    for bad in ("UPDATE task SET reporting_period = 'daily' WHERE id = 1",
                "UPDATE unit SET kind = 'village' WHERE id = 3"):
        with pytest.raises(sa.exc.IntegrityError):
            with engine.begin() as conn:
                conn.execute(sa.text(bad))
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        assert compare_metadata(context, db.metadata) == []
    # down again: the new values fold into old ones, nothing is lost that the old schema can hold
    downgrade(revision="0001")
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT reporting_period FROM task WHERE id = 1")).scalar() == "monthly"
        assert conn.execute(sa.text("SELECT kind FROM unit WHERE id = 3")).scalar() == "county"
    _drop_everything(engine)
    db.create_all()


def test_upgrade_0007_turns_written_periods_into_keys(app):
    """Evidence written before 0007 keeps its period: text that names one becomes its key, other
    text stays as it was written; down again, the keys are written back as text."""
    engine = db.engine
    _drop_everything(engine)
    upgrade(revision="0001")
    stamp = "2026-03-02 10:00:00"
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO unit (id, name, code, kind, sort_order, is_active, created_at, updated_at)"
                             " VALUES (1, '东城区', 'dc', 'county', 0, true, :t, :t)"), {"t": stamp})
        conn.execute(sa.text("INSERT INTO plan (id, title, state, source_text, is_deleted, created_at, updated_at) "
                             "VALUES (1, '2026年重点工作', 'active', '', false, :t, :t)"), {"t": stamp})
        conn.execute(sa.text("INSERT INTO measure (id, plan_id, position, level, number, text, kind, is_inline, "
                             "suggestions) VALUES (1, 1, 0, 1, '1', '建设智慧校园。', 'measure', false, '{}')"))
        conn.execute(sa.text(
            "INSERT INTO task (id, measure_id, plan_id, unit_id, role, state, due_on, original_due_on, assigned_on,"
            " reporting_period, is_key, evidence_required, return_count, progress_percent, version, created_at,"
            " updated_at) VALUES (1, 1, 1, 1, 'lead', 'assigned', '2026-12-31', '2026-12-31', '2026-03-02',"
            " 'once', false, true, 0, 0, 1, :t, :t)"), {"t": stamp})
        for i, proves in enumerate(["2026年上半年", "2026-H2", "2026年第三季度", "去年年底", None], start=1):
            conn.execute(sa.text(
                "INSERT INTO evidence (id, task_id, original_name, stored_name, content_type, size, sha256, proves,"
                " created_at, is_deleted) VALUES (:i, 1, 'a.pdf', :s, 'application/pdf', 1, 'x', :p, :t, false)"),
                {"i": i, "s": f"{i:032x}.pdf", "p": proves, "t": stamp})
    upgrade()
    with engine.begin() as conn:
        rows = conn.execute(sa.text("SELECT period_key, proves FROM evidence ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("2026-H1", None), ("2026-H2", None), ("2026-Q3", None),
                                        (None, "去年年底"), (None, None)]
    downgrade(revision="0004")
    with engine.begin() as conn:
        assert [r[0] for r in conn.execute(sa.text("SELECT proves FROM evidence ORDER BY id"))] == [
            "2026-H1", "2026-H2", "2026-Q3", "去年年底", None]
    _drop_everything(engine)
    db.create_all()
