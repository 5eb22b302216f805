"""Migration 0010: evidence written before it survives, and may then share its stored file."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from tests.test_migrations import _drop_everything
from tracker.extensions import db

STAMP = "2026-03-02 10:00:00"


def _seed_0004(conn) -> None:
    conn.execute(sa.text(
        "INSERT INTO unit (id, name, code, kind, sort_order, is_active, created_at, updated_at, aliases) "
        "VALUES (1, '东城区', 'dc', 'county', 0, true, :t, :t, '[]')"), {"t": STAMP})
    conn.execute(sa.text("INSERT INTO plan (id, title, state, source_text, is_deleted, created_at, updated_at) "
                         "VALUES (1, '2026年重点工作', 'active', '', false, :t, :t)"), {"t": STAMP})
    conn.execute(sa.text(
        "INSERT INTO measure (id, plan_id, position, level, number, text, kind, is_inline, suggestions) "
        "VALUES (1, 1, 0, 1, '1', '建设智慧校园。', 'measure', false, '{}'), "
        "(2, 1, 1, 1, '2', '完成图书采购。', 'measure', false, '{}')"))
    for task_id in (1, 2):
        conn.execute(sa.text(
            "INSERT INTO task (id, measure_id, plan_id, unit_id, role, state, due_on, original_due_on, assigned_on,"
            " reporting_period, is_key, evidence_required, return_count, progress_percent, version, created_at,"
            " updated_at) VALUES (:id, :id, 1, 1, 'lead', 'in_progress', '2026-12-31', '2026-12-31', '2026-03-02',"
            " 'quarterly', false, true, 0, 0, 1, :t, :t)"), {"id": task_id, "t": STAMP})
    conn.execute(sa.text(
        "INSERT INTO evidence (id, task_id, original_name, stored_name, content_type, size, sha256, proves,"
        " created_at, is_deleted) VALUES (1, 1, '台账.pdf', :name, 'application/pdf', 10, :sha, '2026 上半年',"
        " :t, false)"), {"name": "a" * 32 + ".pdf", "sha": "0" * 64, "t": STAMP})


def _copy(conn) -> None:
    conn.execute(sa.text(
        "INSERT INTO evidence (id, task_id, original_name, stored_name, content_type, size, sha256, created_at,"
        " is_deleted, reused_from_id) VALUES (2, 2, '台账.pdf', :name, 'application/pdf', 10, :sha, :t, false, 1)"),
        {"name": "a" * 32 + ".pdf", "sha": "0" * 64, "t": STAMP})


def test_evidence_survives_0010_and_can_then_share_its_file(app):
    engine = db.engine
    _drop_everything(engine)
    upgrade(revision="0004")
    with engine.begin() as conn:
        _seed_0004(conn)
    upgrade(revision="0010")
    with engine.begin() as conn:
        row = conn.execute(sa.text(
            "SELECT original_name, proves, period_key, reused_from_id FROM evidence WHERE id = 1")).one()
        # 0007 read the period as written into its key
        assert tuple(row) == ("台账.pdf", None, "2026-H1", None)
        _copy(conn)
        assert conn.execute(sa.text("SELECT count(*) FROM evidence WHERE stored_name = :n"),
                            {"n": "a" * 32 + ".pdf"}).scalar() == 2
    # down again: the copy goes (the old schema holds one row per file), the upload stays
    downgrade(revision="0004")
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT id FROM evidence")).scalars().all() == [1]
    with pytest.raises(sa.exc.IntegrityError):
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO evidence (id, task_id, original_name, stored_name, content_type, size, sha256,"
                " created_at, is_deleted) VALUES (3, 2, 'x.pdf', :name, 'application/pdf', 1, :sha, :t, false)"),
                {"name": "a" * 32 + ".pdf", "sha": "0" * 64, "t": STAMP})
    _drop_everything(engine)
    db.create_all()
