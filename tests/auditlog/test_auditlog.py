"""The audit log is hard to alter: rows chained by hash per day, ``flask audit verify`` finds every
break, the admin page lists, filters and exports, retention archives to a signed file first."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tracker import audit
from tracker.audit import AuditEntry
from tracker.auditlog import services


def _rows(db, make, people, days=((2026, 3, 1), (2026, 3, 2))):
    """Three audit rows on each of the given days (written as services write them)."""
    for y, m, d in days:
        for n in range(3):
            unit = make.unit(f"审计县{y}{m}{d}{n}")
            audit.record(people.admin, "unit.created", unit, {"name": unit.name, "n": n},
                         now=datetime(y, m, d, 3, n, tzinfo=UTC))
    db.session.commit()


def test_rows_link_to_the_row_before_them_each_day(db, make, people):
    _rows(db, make, people)
    rows = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "unit.created")
                              .order_by(AuditEntry.id)).all()
    first_of_day = rows[0]
    assert first_of_day.chain_day == "2026-03-01" and first_of_day.prev_hash == audit.genesis("2026-03-01")
    assert rows[1].prev_hash == rows[0].row_hash and rows[2].prev_hash == rows[1].row_hash
    assert rows[3].prev_hash == audit.genesis("2026-03-02")
    assert services.verify().ok


def test_verify_reports_a_changed_row_and_a_removed_row(db, make, people, runner):
    _rows(db, make, people)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "chain intact" in result.output
    ids = db.session.scalars(sa.select(AuditEntry.id).where(AuditEntry.action == "unit.created")
                             .order_by(AuditEntry.id)).all()
    table = AuditEntry.__table__
    with db.engine.begin() as conn:
        conn.execute(sa.update(table).where(table.c.id == ids[1]).values(data={"name": "改过的名字", "n": 1}))
        conn.execute(sa.delete(table).where(table.c.id == ids[4]))
    db.session.expire_all()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0
    assert f"BREAK 2026-03-01 id={ids[1]}: row changed" in result.output
    assert f"BREAK 2026-03-02 id={ids[5]}: chain broken" in result.output
    assert "2 break(s)" in result.output


def test_a_recomputed_hash_still_breaks_the_link(db, make, people):
    """Rewriting a row together with its own hash is caught by the next row's link."""
    _rows(db, make, people, days=((2026, 3, 1),))
    rows = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    target = [r for r in rows if r.action == "unit.created"][0]
    target.data = {"name": "伪造", "n": 0}
    target.row_hash = audit.row_hash(target)
    db.session.commit()
    breaks = services.verify().breaks
    assert [(b.reason) for b in breaks] == ["link"] and breaks[0].id > target.id


def test_admin_page_lists_filters_and_exports(db, make, people, auth):
    _rows(db, make, people)
    client = auth.client_for(people.admin)
    page = client.get("/admin/audit/?action=unit.&date_from=2026-03-02&date_to=2026-03-02").get_data(as_text=True)
    assert page.count("<code>unit.created</code>") == 3
    everything = client.get("/admin/audit/?action=unit.").get_data(as_text=True)
    assert everything.count("<code>unit.created</code>") == 6
    assert "user.locked" not in client.get("/admin/audit/?security=1").get_data(as_text=True)
    # nonsense filters are ignored, not a 500
    assert client.get("/admin/audit/?object_id=abc&date_from=not-a-date").status_code == 200
    export = client.get("/admin/audit/export.csv?action=unit.&date_to=2026-03-01")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "编号" and len(rows) == 4
    assert {json.loads(r[6])["n"] for r in rows[1:]} == {0, 1, 2}
    # a supervisor reads the page, but not the units' events: those belong to no plan of theirs
    supervisor_page = auth.client_for(people.supervisor).get("/admin/audit/?action=unit.")
    assert supervisor_page.status_code == 200
    assert "<code>unit.created</code>" not in supervisor_page.get_data(as_text=True)
    assert auth.client_for(people.lead).get("/admin/audit/").status_code == 403


def test_retention_archives_to_a_signed_file_then_removes(app, db, make, people, runner, tmp_path):
    app.config["AUDIT_ARCHIVE_FOLDER"] = str(tmp_path / "archive")
    _rows(db, make, people, days=((2025, 1, 1), (2025, 1, 2)))
    recent = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.chain_day >= "2026-01-01"))
    result = runner.invoke(args=["audit", "archive"])
    assert result.exit_code == 0 and "archived 6 rows (2025-01-01 to 2025-01-02)" in result.output, result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.chain_day < "2026-01-01")) == 0
    [archived] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "audit.archived")).all()
    assert archived.data["rows"] == 6
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == recent + 1
    [path] = (tmp_path / "archive").glob("*.jsonl")
    assert len(path.read_text(encoding="utf-8").splitlines()) == 6
    assert runner.invoke(args=["audit", "verify-archive", str(path)]).exit_code == 0
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    path.write_text(path.read_text(encoding="utf-8").replace("审计县", "伪造县"), encoding="utf-8")
    tampered = runner.invoke(args=["audit", "verify-archive", str(path)])
    assert tampered.exit_code != 0 and "签名不符" in tampered.output
    assert "nothing older" in runner.invoke(args=["audit", "archive"]).output


def test_unwritable_archive_folder_removes_nothing(app, db, make, people, runner, tmp_path):
    """A folder that cannot be made (here under a file: fails for root too)."""
    (tmp_path / "a-file").write_text("x")
    app.config["AUDIT_ARCHIVE_FOLDER"] = str(tmp_path / "a-file" / "archive")
    _rows(db, make, people, days=((2025, 1, 1),))
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    result = runner.invoke(args=["audit", "archive"])
    assert result.exit_code != 0 and "无法写入归档目录" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before


def test_archive_refuses_a_broken_chain(app, db, make, people, tmp_path, now):
    app.config["AUDIT_ARCHIVE_FOLDER"] = str(tmp_path / "archive")
    _rows(db, make, people, days=((2025, 1, 1),))
    table = AuditEntry.__table__
    first = db.session.scalar(sa.select(sa.func.min(table.c.id)).where(table.c.chain_day == "2025-01-01"))
    with db.engine.begin() as conn:
        conn.execute(sa.update(table).where(table.c.id == first).values(action="unit.deleted"))
    db.session.expire_all()
    with pytest.raises(services.AuditLogError, match="不连续"):
        services.archive_expired(now=now + timedelta(days=1))
    db.session.rollback()
    assert not (tmp_path / "archive").exists()


def test_migration_chains_the_rows_written_before_it(app, db):
    """Upgrading an install with audit rows from before the chain links them, day by day."""
    from flask_migrate import upgrade

    from tests.test_migrations import _drop_everything

    engine = db.engine
    _drop_everything(engine)
    upgrade(revision="0001")
    with engine.begin() as conn:
        for n, at in enumerate(("2026-03-01 01:00:00", "2026-03-01 02:00:00", "2026-03-02 01:00:00")):
            conn.execute(sa.text("INSERT INTO audit_entry (at, action, object_type, object_id, data) "
                                 "VALUES (:at, 'unit.created', 'unit', :n, :data)"),
                         {"at": at, "n": n, "data": json.dumps({"n": n})})
    upgrade()
    db.session.expire_all()
    rows = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [r.chain_day for r in rows] == ["2026-03-01", "2026-03-01", "2026-03-02"]
    assert rows[1].prev_hash == rows[0].row_hash and rows[2].prev_hash == audit.genesis("2026-03-02")
    assert services.verify().ok
    db.session.remove()
    _drop_everything(engine)
    db.create_all()


def test_concurrent_writers_keep_one_chain(app, db, make, people):
    """Transactions in several threads (connections) at once still link each row to the one before."""
    import threading

    from tracker.auth.models import User

    admin_id = people.admin.id
    failures = []

    def writer(n: int) -> None:
        with app.app_context():
            try:
                for k in range(10):
                    actor = db.session.get(User, admin_id)
                    audit.record(actor, "test.concurrent", actor, {"writer": n, "k": k})
                    db.session.commit()
            except Exception as exc:  # reported below
                failures.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "test.concurrent")) == 40
    result = services.verify()
    assert result.ok, result.breaks
