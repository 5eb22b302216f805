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


def test_upgrade_0005_backfills_acknowledgement_of_older_tasks(app):
    """Tasks from before 签收 existed are taken as acknowledged (at their first report, else at
    their creation), so none shows as 未签收; units keep links on."""
    engine = db.engine
    _drop_everything(engine)
    upgrade(revision="0004")
    created, reported = "2026-03-02 10:00:00", "2026-03-09 08:30:00"
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO unit (id, name, code, kind, sort_order, is_active, created_at, updated_at, aliases) "
            "VALUES (1, '东城区', 'dc', 'county', 0, true, :t, :t, '[]')"), {"t": created})
        conn.execute(sa.text(
            "INSERT INTO plan (id, title, state, source_text, is_deleted, created_at, updated_at) "
            "VALUES (1, '2026年重点工作', 'active', '', false, :t, :t)"), {"t": created})
        for measure_id in (1, 2):
            conn.execute(sa.text(
                "INSERT INTO measure (id, plan_id, position, level, number, text, kind, is_inline, suggestions) "
                "VALUES (:id, 1, :id, 1, :n, '建设智慧校园。', 'measure', false, '{}')"),
                {"id": measure_id, "n": str(measure_id)})
            conn.execute(sa.text(
                "INSERT INTO task (id, measure_id, plan_id, unit_id, role, state, due_on, original_due_on, assigned_on,"
                " reporting_period, is_key, evidence_required, return_count, progress_percent, version, created_at,"
                " updated_at) VALUES (:id, :id, 1, 1, 'lead', :state, '2026-12-31', '2026-12-31', '2026-03-02',"
                " 'once', false, true, 0, 0, 1, :t, :t)"),
                {"id": measure_id, "state": "in_progress" if measure_id == 1 else "assigned", "t": created})
        conn.execute(sa.text(
            "INSERT INTO progress_report (id, task_id, text, created_at) VALUES (1, 1, '已启动', :t)"), {"t": reported})
    upgrade()
    with engine.begin() as conn:
        rows = conn.execute(sa.text(
            "SELECT id, acknowledged_at, acknowledged_via, refusal_closed FROM task ORDER BY id")).all()
        assert [(r.id, str(r.acknowledged_at)[:19], r.acknowledged_via, bool(r.refusal_closed)) for r in rows] == [
            (1, reported, "backfill", False), (2, created, "backfill", False)]
        assert bool(conn.execute(sa.text("SELECT links_enabled FROM unit WHERE id = 1")).scalar())
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        assert compare_metadata(context, db.metadata) == []
    downgrade(revision="0004")
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM task")).scalar() == 2
    _drop_everything(engine)
    db.create_all()


def test_upgrade_0006_keeps_outbox_and_users(app):
    """Mail and users written under 0004 survive 0006: mail is email, people read reminders one by
    one, and the install time is recorded; the new outbox states are then accepted."""
    engine = db.engine
    _drop_everything(engine)
    upgrade(revision="0004")
    stamp = "2026-03-02 10:00:00"
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO \"user\" (id, email, name, role, is_active, password_hash, session_token, created_at,"
            " updated_at, must_change_password, failed_logins) VALUES (1, 'lead@example.cn', '张主任', 'unit_lead',"
            " true, '', 't', :t, :t, false, 0)"), {"t": stamp})
        conn.execute(sa.text(
            "INSERT INTO outbox_email (id, dedupe_key, to_addr, cc_addrs, subject, body_text, reason, kind,"
            " attachments, status, attempts, created_at, next_attempt_at) VALUES (1, 'k', 'lead@example.cn',"
            " '[]', '督办提醒', '正文', '', 'task_due', '[]', 'sent', 1, :t, :t)"), {"t": stamp})
    upgrade()
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT channel, status FROM outbox_email")).one() == ("email", "sent")
        assert conn.execute(sa.text("SELECT digest_mode FROM \"user\"")).scalar() == "immediate"
        assert conn.execute(sa.text("SELECT value FROM app_meta WHERE key = 'installed_at'")).scalar()
        conn.execute(sa.text("UPDATE outbox_email SET status = 'held' WHERE id = 1"))
    with pytest.raises(sa.exc.IntegrityError):
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE outbox_email SET channel = 'pigeon' WHERE id = 1"))
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
